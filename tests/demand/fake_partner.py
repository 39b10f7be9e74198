"""A real OpenRTB bidder on a loopback port (uvicorn in a thread), answering what the test
says: a function from the received BidRequest to (status, body), after an optional delay.
It records every bid request and every win or billing notice it is sent."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.waiting import wait_for

Answer = Callable[[dict[str, Any]], tuple[int, Any]]


def bid_everything(price: float = 3.0, currency: str | None = "USD", **bid_fields: Any) -> Answer:
    """A bid at `price` on every imp, with markup and a billing URL carrying the price macro."""

    def answer(request: dict[str, Any]) -> tuple[int, Any]:
        bids = [
            {
                "id": f"b-{imp['id']}",
                "impid": imp["id"],
                "price": price,
                "w": 300,
                "h": 250,
                "adm": "<div>partner ad at ${AUCTION_PRICE}</div>",
                "crid": "cr-1",
                "burl": f"{FakePartner.base}/bill?price=${{AUCTION_PRICE}}&imp={imp['tagid']}",
                "nurl": f"{FakePartner.base}/win?price=${{AUCTION_PRICE}}",
            }
            | bid_fields
            for imp in request["imp"]
        ]
        body: dict[str, Any] = {"id": request["id"], "seatbid": [{"seat": "fake", "bid": bids}]}
        if currency is not None:
            body["cur"] = currency
        return 200, body

    return answer


class FakePartner:
    base = ""  # set when the server listens

    def __init__(self) -> None:
        self.answer: Answer = bid_everything()
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self.answered = 0  # bid requests answered (after the delay)
        self.notices: list[str] = []
        routes = [
            Route("/bid", self._bid, methods=["POST"]),
            Route("/bill", self._notice),
            Route("/win", self._notice),
            Route("/moved", self._moved, methods=["GET", "POST"]),
        ]
        self.app = Starlette(routes=routes)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        FakePartner.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"{self.base}/bid"

    def start(self) -> None:
        self.thread.start()
        wait_for(lambda: self.server.started, 10, "the fake partner to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def reset(self) -> None:
        self.answer, self.delay = bid_everything(), 0.0
        self.requests.clear()
        self.answered = 0
        self.notices.clear()

    async def _bid(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.answered += 1
        status, payload = self.answer(body)
        if status == 204:
            return Response(status_code=204)
        text = payload if isinstance(payload, str) else json.dumps(payload)
        return Response(text, status_code=status, media_type="application/json")

    async def _moved(self, request: Request) -> Response:
        """A redirect to the win notice: an outbound call must not follow it."""
        self.notices.append(str(request.url))
        return Response(status_code=302, headers={"Location": f"{self.base}/win?redirected=1"})

    async def _notice(self, request: Request) -> Response:
        self.notices.append(str(request.url))
        return Response(status_code=200)

"""What the serving path's own plumbing costs per request, and the event loop's lag under load.

1. In-process, without sockets: a bare ASGI endpoint called directly, then the same endpoint
   behind the metrics middleware (http/metrics.py), behind the fast lane (http/fast_lane.py,
   a hot route) and behind FastAPI's full stack as an ordinary route; microseconds per
   request and what each layer adds.
2. `lag_p99`: the event loop's lag during a load, read from the server's own
   `shelfspace_event_loop_lag_seconds` histogram (two scrapes, before and after).
Measured, never asserted.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rich.table import Table

BODY = b'{"status": "ok"}'
Asgi = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]],
                Awaitable[None]]


async def _bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})


def _per_request_us(app: Asgi, path: str, method: str, requests: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def run() -> float:
        def scope() -> dict[str, Any]:
            return {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "root_path": "",
                    "query_string": b"", "headers": [], "scheme": "http", "server": ("127.0.0.1", 80),
                    "client": ("127.0.0.1", 1), "http_version": "1.1", "asgi": {"version": "3.0"}, "state": {}}

        for _ in range(500):  # warm up
            await app(scope(), receive, send)
        started = time.perf_counter()
        for _ in range(requests):
            await app(scope(), receive, send)
        return (time.perf_counter() - started) / requests * 1e6

    return asyncio.run(run())


def plumbing_table(requests: int = 20_000) -> Table:
    from fastapi import FastAPI, Request
    from fastapi.routing import APIRoute
    from prometheus_client import CollectorRegistry
    from starlette.responses import Response

    from shelfspace.http.fast_lane import FastLane, HotRoute
    from shelfspace.http.metrics import HttpMetrics, MetricsMiddleware
    from shelfspace.http.security_headers import HeaderPolicy, SecurityHeaders

    async def endpoint(request: Request) -> Response:
        return Response(BODY, media_type="application/json")

    api = FastAPI()
    api.add_api_route("/hot", endpoint, methods=["GET"])
    api.add_api_route("/routed", endpoint, methods=["GET"])
    hot = HotRoute.of(next(r for r in api.routes if isinstance(r, APIRoute) and r.path == "/hot"))
    api.add_middleware(FastLane, routes=[hot], handlers=api.exception_handlers)

    cases: list[tuple[str, Asgi, str]] = [
        ("bare ASGI endpoint (baseline)", _bare, "/"),
        ("behind the metrics middleware", MetricsMiddleware(_bare, HttpMetrics(CollectorRegistry())), "/"),
        ("behind the security headers, a hot path (nosniff only)",
         SecurityHeaders(_bare, HeaderPolicy.for_network("https://ads.example"), hot_prefixes=("/hot",)), "/hot"),
        ("behind the security headers, any other path",
         SecurityHeaders(_bare, HeaderPolicy.for_network("https://ads.example"), hot_prefixes=("/hot",)), "/"),
        ("FastAPI app, hot route (fast lane)", api, "/hot"),
        ("FastAPI app, ordinary route", api, "/routed"),
    ]
    table = Table(title=f"Plumbing per request, in-process, no sockets ({requests:,} calls each)")
    for column in ("layer", "µs / request", "added to bare µs"):
        table.add_column(column, justify="right" if column != "layer" else "left")
    baseline = None
    for label, app, path in cases:
        cost = _per_request_us(app, path, "GET", requests)
        baseline = baseline if baseline is not None else cost
        table.add_row(label, f"{cost:.1f}", f"{cost - baseline:.1f}")
    return table


LAG_BUCKET = re.compile(r'^shelfspace_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$', re.M)


def lag_buckets(metrics_text: str) -> list[tuple[float, float]]:
    """(upper bound, cumulative count) of the loop-lag histogram in a /metrics text."""
    return [(float(le), float(n)) for le, n in LAG_BUCKET.findall(metrics_text)]


def lag_p99(before: str, after: str) -> str:
    """The 99th percentile of the loop's lag between two scrapes, as the bucket bound it is
    under ("≤ 2 ms"); the histogram's buckets are as fine as it can tell."""
    then = dict(lag_buckets(before))
    during = [(le, n - then.get(le, 0.0)) for le, n in lag_buckets(after)]
    total = during[-1][1] if during else 0.0
    if not total:
        return "no samples"
    for le, n in during:
        if n >= 0.99 * total:
            return "≤ %g ms" % (le * 1000) if le != float("inf") else "> 1 s"
    return "> 1 s"

"""The server the HTTP benchmark measures: Shelfspace with a bare ASGI endpoint beside it.

`/__bare` answers a fixed JSON body with no framework at all, on the same uvicorn
process, event loop and socket as the real routes; it is the baseline every ratio in
the benchmark table is taken against. `/__framework` answers the same body from an empty
route of the app itself, to show how much of a request the framework alone costs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.db.engine import make_engine
from shelfspace.db.migrate import upgrade

BARE_PATH = "/__bare"
BARE_BODY = b'{"status": "ok"}'
# The framework's floor: an empty POST route of the same app, through the same middleware,
# reading the body and answering the fixed body. What a decision adds is the rest.
FRAMEWORK_PATH = "/__framework"


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BARE_BODY)).encode())]})
    await send({"type": "http.response.body", "body": BARE_BODY})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--bootstrap-key", required=True)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, port=args.port, bootstrap_key=args.bootstrap_key)
    engine = make_engine(settings.sqlalchemy_url())
    upgrade(engine)
    app = create_app(settings, engine)

    @app.post(FRAMEWORK_PATH, include_in_schema=False)
    async def framework_floor(request: Request) -> Response:
        await request.body()
        return Response(BARE_BODY, media_type="application/json")

    app.router.routes.insert(0, app.router.routes.pop())  # matched first, as the decision route is

    async def combined(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == BARE_PATH:
            await bare(scope, receive, send)
        else:
            await app(scope, receive, send)

    uvicorn.run(combined, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()

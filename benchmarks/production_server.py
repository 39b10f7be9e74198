"""The production benchmark's server: `uvicorn --workers N`, each process serving the app
in production mode (settings from SHELFSPACE_* variables) with the bare ASGI endpoint of
benchmarks/http_server.py beside it on the same port, as the baseline."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

ROOT = Path(__file__).parent.parent


def combined_app() -> ASGIApp:
    from benchmarks.http_server import BARE_PATH, bare
    from shelfspace.asgi import app_from_environment

    app = app_from_environment()

    async def combined(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == BARE_PATH:
            await bare(scope, receive, send)
        else:
            await app(scope, receive, send)

    return combined


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    from shelfspace.config import load_settings
    from shelfspace.db.engine import make_engine
    from shelfspace.db.migrate import upgrade

    upgrade(make_engine(load_settings().sqlalchemy_url()))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    os.environ["SHELFSPACE_PORT"] = str(args.port)
    sys.path.insert(0, str(ROOT))
    uvicorn.run("benchmarks.production_server:combined_app", factory=True, workers=args.workers,
                host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

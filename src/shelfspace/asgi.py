"""The app as uvicorn's worker processes build it (`shelfspace serve --workers N`).

Each worker process imports this and calls `app_from_environment`: settings come from the
`SHELFSPACE_*` environment the parent set, and the parent has already migrated the
database, so a worker only connects.
"""

from __future__ import annotations

from fastapi import FastAPI

from shelfspace.app import create_app
from shelfspace.config import load_settings
from shelfspace.db.engine import make_engine
from shelfspace.logs import configure_logging


def app_from_environment() -> FastAPI:
    settings = load_settings()
    configure_logging()
    return create_app(settings, make_engine(settings.sqlalchemy_url()))

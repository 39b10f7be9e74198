"""FastAPI dependencies: the request's database session and the app's settings.

The authenticated caller (`Caller`) is accounts' business: `accounts/caller.py`, which
reads the key from `bearer` here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from shelfspace.config import Settings
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of


def get_db(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, or rolled back."""
    with session_scope(runtime_of(request).db_sessions) as session:
        yield session


# scope="function": the commit runs before the response leaves, so a failed commit is an
# error answer rather than a success that was never stored.
Db = Annotated[Session, Depends(get_db, scope="function")]

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ssk_…`")


def get_settings(request: Request) -> Settings:
    settings: Settings = runtime_of(request).settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]

"""FastAPI dependencies: the request's database session and its authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts.approval import require_approved
from shelfspace.accounts.roles import Principal
from shelfspace.accounts.service import authenticate_key
from shelfspace.catalog.models import Advertiser
from shelfspace.config import Settings
from shelfspace.core.errors import Unauthorized
from shelfspace.db.session import session_scope


def get_db(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, or rolled back."""
    with session_scope(request.app.state.sessions) as session:
        yield session


# scope="function": the commit runs before the response leaves, so a failed commit is an
# error answer rather than a success that was never stored.
Db = Annotated[Session, Depends(get_db, scope="function")]

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ssk_…`")


def current_principal(
    db: Db, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    principal = authenticate_key(db, credentials.credentials)
    if principal is None:
        raise Unauthorized("unknown or revoked API key")
    if principal.advertiser_id is not None:  # a brand's key: refused while the brand waits for approval
        advertiser = db.get(Advertiser, principal.advertiser_id)
        require_approved(advertiser.status if advertiser is not None else None)
    return principal


Caller = Annotated[Principal, Depends(current_principal)]


def principal_for(sessions: sessionmaker[Session], credentials: HTTPAuthorizationCredentials) -> Principal:
    """Authenticate outside the request's own session, for routes that need no database
    unless a key is sent (the decision API's `debug`)."""
    with session_scope(sessions) as db:
        return current_principal(db, credentials)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]

"""The API's authenticated caller: the key's `Principal`, as a FastAPI dependency.

Authentication is accounts' business (keys, their scopes, a brand's approval), so it lives
here rather than in `http/`, which only knows the request's session (`http/deps.py` `Db`)
and where the key comes from (`bearer`). Every route that acts for someone takes `Caller`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts.approval import require_approved
from shelfspace.accounts.roles import Principal
from shelfspace.accounts.route_rights import api_right
from shelfspace.accounts.service import authenticate_key, note_key_use
from shelfspace.accounts.tenants import advertiser_status
from shelfspace.core.errors import Unauthorized
from shelfspace.db.session import session_scope
from shelfspace.http.deps import Db, bearer
from shelfspace.runtime import runtime_of


def current_principal(
    request: Request, db: Db, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The key's principal, refused (403) unless its scope holds the right the route needs
    (accounts/route_rights.py): before the body or any id is looked at."""
    principal = _authenticated(db, credentials, runtime_of(request).clock.now(), runtime_of(request).db_sessions)
    route = request.scope.get("route")
    template = getattr(route, "path_format", request.url.path)
    right = api_right(request.method, template)
    principal.require(right, f"{request.method} {template}")
    return principal


def _authenticated(
    db: Session, credentials: HTTPAuthorizationCredentials | None, now: datetime, sessions: sessionmaker[Session]
) -> Principal:
    """`now` (the app's clock) is when the key was used: noted at most once a minute, in a
    transaction of its own (`sessions`), so the request's own stays a reader until it writes."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    use = authenticate_key(db, credentials.credentials, now)
    if use is None:
        raise Unauthorized("unknown or revoked API key")
    if use.note_due:
        with session_scope(sessions) as own:
            note_key_use(own, use.key_id, now)
    principal = use.principal
    if principal.advertiser_id is not None:  # a brand's key: refused while the brand waits for approval
        require_approved(advertiser_status(db, principal.advertiser_id))
    return principal


Caller = Annotated[Principal, Depends(current_principal)]


def principal_for(
    sessions: sessionmaker[Session], credentials: HTTPAuthorizationCredentials, now: datetime
) -> Principal:
    """Authenticate outside the request's own session, for routes that need no database
    unless a key is sent (the decision API's `debug`)."""
    with session_scope(sessions) as db:
        return _authenticated(db, credentials, now, sessions)

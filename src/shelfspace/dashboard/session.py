"""Who is signed in to the dashboard: a signed session cookie naming a user.

The cookie (Starlette's SessionMiddleware, signed with itsdangerous) holds only the user's
id and the form token; the user is read again on every page so that a disabled user is
out at once. The signing secret is `SHELFSPACE_SESSION_SECRET`, or else a random one kept
in the data directory, so sessions survive a restart of a single server.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from shelfspace.accounts.models import User
from shelfspace.accounts.roles import Principal, Role
from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.config import Settings
from shelfspace.db.session import session_scope

SESSION_COOKIE = "shelfspace_session"
SESSION_SECRET_FILE = "session.key"
SESSION_DAYS = 14
USER_KEY = "user_id"


def session_secret(settings: Settings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path: Path = settings.data_dir / SESSION_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


API_PATHS = ("/v1/", "/track/", "/healthz", "/metrics", "/static/")


class DashboardSessions:
    """Sessions for pages only: the decision and tracking paths never pay for cookies."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.with_session = SessionMiddleware(
            app,
            secret_key=session_secret(settings),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_DAYS * 86400,
            same_site="lax",
            https_only=(settings.public_url or "").startswith("https://"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope["path"]).startswith(API_PATHS):
            await self.with_session(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_sessions(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(DashboardSessions, settings=settings)


def home_of(role: Role) -> str:
    """Where a person lands after signing in."""
    return "/console" if role is Role.OPERATOR else "/brand"


@dataclass(frozen=True, slots=True)
class DashboardUser:
    """The signed-in person, with the principal every service call is made as."""

    id: str
    email: str
    role: Role
    advertiser_id: str | None
    advertiser_name: str | None
    advertiser_status: AdvertiserStatus | None

    @property
    def principal(self) -> Principal:
        return Principal(actor=f"user:{self.id}", role=self.role, advertiser_id=self.advertiser_id)

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def home(self) -> str:
        return home_of(self.role)


def load_user(db: Session, user_id: str) -> DashboardUser | None:
    user = db.get(User, user_id)
    if user is None or user.disabled_at is not None:
        return None
    advertiser = db.get(Advertiser, user.advertiser_id) if user.advertiser_id else None
    return DashboardUser(
        id=user.id, email=user.email, role=user.role, advertiser_id=user.advertiser_id,
        advertiser_name=advertiser.name if advertiser else None,
        advertiser_status=advertiser.status if advertiser else None,
    )


def sign_in(request: Request, user: User) -> None:
    """A new session for the user: the old form token goes, so a planted session is useless."""
    request.session.clear()
    request.session[USER_KEY] = user.id


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in_user(request: Request) -> DashboardUser | None:
    if "session" not in request.scope:  # an API path: no cookies are read there
        return None
    user_id = request.session.get(USER_KEY)
    if not isinstance(user_id, str):
        return None
    cached = request.scope.get("shelfspace.user")
    if isinstance(cached, DashboardUser):
        return cached
    with session_scope(request.app.state.sessions) as db:
        user = load_user(db, user_id)
    if user is None:
        sign_out(request)
    request.scope["shelfspace.user"] = user
    return user


class SignInRequired(Exception):
    """Raised by a page for a visitor without a session: answered with a redirect to sign in."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class WrongRole(Exception):
    """A signed-in user on a page of the other role: answered as not found, as the API does."""


def _user(request: Request) -> DashboardUser:
    user = signed_in_user(request)
    if user is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return user


def _operator(request: Request) -> DashboardUser:
    user = _user(request)
    if not user.is_operator:
        raise WrongRole()
    return user


def _advertiser(request: Request) -> DashboardUser:
    user = _user(request)
    if user.is_operator or user.advertiser_id is None:
        raise WrongRole()
    return user


AnyUser = Annotated[DashboardUser, Depends(_user)]
OperatorUser = Annotated[DashboardUser, Depends(_operator)]
AdvertiserUser = Annotated[DashboardUser, Depends(_advertiser)]

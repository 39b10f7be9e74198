"""Who is signed in to the dashboard: a random session token in a cookie, the session on
the server (accounts/sessions.py).

The cookie holds nothing but the token (HttpOnly, SameSite=Lax, Secure when the public URL
is https). The middleware only reads and writes cookies, never the database: the row is
read by `signed_in_user`, which runs in the thread pool with the page, so no SQL runs on
the event loop. The user is read again on every page so that a disabled user is out at
once. Visitors who are not signed in get a second random cookie, `shelfspace_form`, only
to bind the form tokens of the sign-in and sign-up forms (dashboard/csrf.py).

Pages (HTML) are sent with `Cache-Control: no-store`: after signing out, the browser's back
button asks the server again (and lands on the sign-in page) instead of showing a copy.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session, object_session
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfspace.accounts import sessions as server_sessions
from shelfspace.accounts.models import User
from shelfspace.accounts.roles import Principal, Role
from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.config import Settings
from shelfspace.db.session import session_scope

SESSION_COOKIE = "shelfspace_session"
FORM_COOKIE = "shelfspace_form"
SESSION_SECRET_FILE = "session.key"
SCOPE_KEY = "shelfspace.page_session"


def session_secret(settings: Settings) -> str:
    """Keys the form tokens (dashboard/csrf.py); sessions themselves need no secret."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path: Path = settings.data_dir / SESSION_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


API_PATHS = ("/v1/", "/track/", "/healthz", "/metrics", "/static/")


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
    email_verified: bool  # False only for a self-signed-up user who has not followed the e-mailed link

    @property
    def principal(self) -> Principal:
        return Principal(actor=f"user:{self.id}", role=self.role, advertiser_id=self.advertiser_id)

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def home(self) -> str:
        return home_of(self.role)


@dataclass(slots=True)
class PageSession:
    """One request's view of its cookies, and what its answer must change in them."""

    secret: bytes
    token: str | None  # the session token, as the cookie will hold it after this answer
    visitor: str | None  # the form cookie of a visitor not signed in
    set_token: bool = False
    drop_token: bool = False
    set_visitor: bool = False
    resolved: bool = False
    user: DashboardUser | None = None
    flash: str | None = field(default=None)

    def visitor_token(self) -> str:
        if self.visitor is None:
            self.visitor = secrets.token_urlsafe(32)
            self.set_visitor = True
        return self.visitor

    def forget(self) -> None:
        self.token, self.set_token, self.drop_token = None, False, True
        self.resolved, self.user, self.flash = True, None, None


def page_session(request: Request) -> PageSession | None:
    """None on API paths: they never read cookies."""
    state = request.scope.get(SCOPE_KEY)
    return state if isinstance(state, PageSession) else None


def _cookie(name: str, value: str, *, max_age: int | None, secure: bool) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


class DashboardSessions:
    """Cookies for pages only: the decision and tracking paths never pay for them."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.secret = session_secret(settings).encode("utf-8")
        self.secure = (settings.public_url or "").startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(API_PATHS):
            await self.app(scope, receive, send)
            return
        cookies = _cookies_of(scope)
        state = PageSession(secret=self.secret, token=cookies.get(SESSION_COOKIE) or None,
                            visitor=cookies.get(FORM_COOKIE) or None)
        scope[SCOPE_KEY] = state

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if state.set_token and state.token is not None:
                    max_age = int(server_sessions.ABSOLUTE_LIFETIME.total_seconds())
                    headers.append("set-cookie", _cookie(SESSION_COOKIE, state.token, max_age=max_age,
                                                         secure=self.secure))
                elif state.drop_token:
                    headers.append("set-cookie", _cookie(SESSION_COOKIE, "", max_age=0, secure=self.secure))
                if state.set_visitor and state.visitor is not None:
                    headers.append("set-cookie", _cookie(FORM_COOKIE, state.visitor, max_age=None, secure=self.secure))
                if "cache-control" not in headers and headers.get("content-type", "").startswith("text/html"):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def _cookies_of(scope: Scope) -> dict[str, str]:
    """The request's cookies, parsed as browsers send them (Starlette's lenient parser)."""
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            found.update(cookie_parser(value.decode("latin-1")))
    return found


def install_sessions(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(DashboardSessions, settings=settings)


def load_user(db: Session, user_id: str) -> DashboardUser | None:
    user = db.get(User, user_id)
    if user is None or user.disabled_at is not None:
        return None
    advertiser = db.get(Advertiser, user.advertiser_id) if user.advertiser_id else None
    return DashboardUser(
        id=user.id, email=user.email, role=user.role, advertiser_id=user.advertiser_id,
        advertiser_name=advertiser.name if advertiser else None,
        advertiser_status=advertiser.status if advertiser else None,
        email_verified=user.email_verified_at is not None,
    )


def sign_in(request: Request, user: User) -> None:
    """A new session for the user, written in the transaction the user was read in (it
    commits with the sign-in or sign-up). The session this browser had before, if any,
    ends: a session planted before sign-in is useless after it."""
    state = page_session(request)
    db = object_session(user)
    assert state is not None and db is not None, "a page request, with the user read from the database"
    now = request.app.state.clock.now()
    if state.token is not None:
        server_sessions.end_session(db, state.token)
    state.token = server_sessions.start_session(db, user.id, now)
    state.set_token, state.drop_token = True, False
    state.resolved, state.user, state.flash = False, None, None


def sign_out(request: Request) -> None:
    """The session's row goes now: the cookie, even if kept, opens nothing any more."""
    state = page_session(request)
    if state is None:
        return
    if state.token is not None:
        with session_scope(request.app.state.sessions) as db:
            server_sessions.end_session(db, state.token)
    state.forget()


def signed_in_user(request: Request) -> DashboardUser | None:
    """The person the session cookie stands for, or None (a plain `def` caller only: SQL)."""
    state = page_session(request)
    if state is None or state.token is None:
        return None
    if state.resolved:
        return state.user
    with session_scope(request.app.state.sessions) as db:
        row = server_sessions.find_session(db, state.token, request.app.state.clock.now())
        user = load_user(db, row.user_id) if row is not None else None
        flash = row.flash if row is not None else None
    if user is None:
        state.forget()  # ended, expired or unknown: the cookie is cleared with this answer
        return None
    state.resolved, state.user, state.flash = True, user, flash
    return user


def current_token(request: Request) -> str | None:
    """The token of the request's session (for a password change, which keeps it alive)."""
    state = page_session(request)
    return state.token if state is not None else None


def set_flash(request: Request, message: str) -> None:
    """A message the next page shows once, kept in the session's row."""
    state = page_session(request)
    if state is None or state.token is None:
        return
    with session_scope(request.app.state.sessions) as db:
        server_sessions.set_flash(db, state.token, message)


def take_flash(request: Request) -> str | None:
    """The message waiting for this page, if any; shown once."""
    state = page_session(request)
    if state is None or state.token is None or signed_in_user(request) is None or state.flash is None:
        return None
    message, state.flash = state.flash, None
    with session_scope(request.app.state.sessions) as db:
        server_sessions.clear_flash(db, state.token)
    return message


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

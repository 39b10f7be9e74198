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
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session, object_session
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shelfspace.accounts import sessions as server_sessions
from shelfspace.accounts.access_policy import staff_two_factor_required
from shelfspace.accounts.models import User
from shelfspace.accounts.rights import LABELS, Right, TeamRole, rights_of
from shelfspace.accounts.roles import Principal, Role, acting_as
from shelfspace.accounts.route_rights import page_right
from shelfspace.accounts.signing_secret import session_secret
from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.config import Settings
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

SESSION_COOKIE = "shelfspace_session"
FORM_COOKIE = "shelfspace_form"
SCOPE_KEY = "shelfspace.page_session"


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
    team_role: TeamRole = TeamRole.ADMIN
    two_factor: bool = False  # signs in with an authenticator code too (accounts/two_factor.py)
    # Staff without a second factor while the network requires one: sent to set it up first
    # (dashboard/approval_gate.py).
    two_factor_owed: bool = False

    @property
    def principal(self) -> Principal:
        return acting_as(self)

    @property
    def rights(self) -> frozenset[Right]:
        return rights_of(self.role, self.team_role)

    def may(self, right: Right | str) -> bool:
        """For templates as well: `user.may("billing")`."""
        return Right(right) in self.rights

    @property
    def team_role_label(self) -> str:
        return LABELS[self.team_role]

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
    # The password was right, the second factor is still owed: this session opens only the
    # page asking for the code (dashboard/two_factor_pages.py), which reads this.
    pending_user_id: str | None = None

    def visitor_token(self) -> str:
        if self.visitor is None:
            self.visitor = secrets.token_urlsafe(32)
            self.set_visitor = True
        return self.visitor

    def forget(self) -> None:
        self.token, self.set_token, self.drop_token = None, False, True
        self.resolved, self.user, self.flash, self.pending_user_id = True, None, None, None


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
        state = PageSession(
            secret=self.secret, token=cookies.get(SESSION_COOKIE) or None, visitor=cookies.get(FORM_COOKIE) or None
        )
        scope[SCOPE_KEY] = state

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if state.set_token and state.token is not None:
                    max_age = int(server_sessions.ABSOLUTE_LIFETIME.total_seconds())
                    headers.append(
                        "set-cookie", _cookie(SESSION_COOKIE, state.token, max_age=max_age, secure=self.secure)
                    )
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
    two_factor = user.totp_enabled_at is not None
    return DashboardUser(
        id=user.id,
        email=user.email,
        role=user.role,
        advertiser_id=user.advertiser_id,
        advertiser_name=advertiser.name if advertiser else None,
        advertiser_status=advertiser.status if advertiser else None,
        email_verified=user.email_verified_at is not None,
        team_role=user.team_role,
        two_factor=two_factor,
        two_factor_owed=(user.role is Role.OPERATOR and not two_factor and staff_two_factor_required(db)),
    )


def sign_in(request: Request, user: User, second_factor_pending: bool = False) -> None:
    """A new session for the user, written in the transaction the user was read in (it
    commits with the sign-in or sign-up). The session this browser had before, if any,
    ends: a session planted before sign-in is useless after it. `second_factor_pending`:
    the session opens nothing but the page asking for the code until `complete_sign_in`."""
    state = page_session(request)
    db = object_session(user)
    assert state is not None and db is not None, "a page request, with the user read from the database"
    now = runtime_of(request).clock.now()
    if state.token is not None:
        server_sessions.end_session(db, state.token)
    state.token = server_sessions.start_session(db, user.id, now, second_factor_pending=second_factor_pending)
    state.set_token, state.drop_token = True, False
    state.resolved, state.user, state.flash, state.pending_user_id = False, None, None, None


def complete_sign_in(request: Request, db: Session) -> bool:
    """The second factor was proven: the pending session gives way to a full one under a new
    token, in `db`'s transaction. False if the pending session ended meanwhile."""
    state = page_session(request)
    assert state is not None and state.token is not None, "a page request with a pending session"
    token = server_sessions.complete_second_factor(db, state.token, runtime_of(request).clock.now())
    if token is None:
        return False
    state.token, state.set_token, state.drop_token = token, True, False
    state.resolved, state.user, state.flash, state.pending_user_id = False, None, None, None
    return True


def sign_out(request: Request) -> None:
    """The session's row goes now: the cookie, even if kept, opens nothing any more."""
    state = page_session(request)
    if state is None:
        return
    if state.token is not None:
        with session_scope(runtime_of(request).db_sessions) as db:
            server_sessions.end_session(db, state.token)
    state.forget()


def signed_in_user(request: Request) -> DashboardUser | None:
    """The person the session cookie stands for, or None (a plain `def` caller only: SQL)."""
    state = page_session(request)
    if state is None or state.token is None:
        return None
    if state.resolved:
        return state.user
    with session_scope(runtime_of(request).db_sessions) as db:
        row = server_sessions.find_session(db, state.token, runtime_of(request).clock.now())
        pending = row is not None and row.second_factor_pending
        user = load_user(db, row.user_id) if row is not None else None
        flash = row.flash if row is not None else None
    if user is None:
        state.forget()  # ended, expired or unknown: the cookie is cleared with this answer
        return None
    if pending:  # signed in halfway: nobody yet, but the cookie stays for the code page
        state.resolved, state.user, state.pending_user_id = True, None, user.id
        return None
    state.resolved, state.user, state.flash = True, user, flash
    return user


def pending_user_id(request: Request) -> str | None:
    """Whose password was right in this session while the second factor is still owed."""
    state = page_session(request)
    if state is None:
        return None
    signed_in_user(request)
    return state.pending_user_id


def current_token(request: Request) -> str | None:
    """The token of the request's session (for a password change, which keeps it alive)."""
    state = page_session(request)
    return state.token if state is not None else None


def set_flash(request: Request, message: str) -> None:
    """A message the next page shows once, kept in the session's row."""
    state = page_session(request)
    if state is None or state.token is None:
        return
    with session_scope(runtime_of(request).db_sessions) as db:
        server_sessions.set_flash(db, state.token, message)


def take_flash(request: Request) -> str | None:
    """The message waiting for this page, if any; shown once."""
    state = page_session(request)
    if state is None or state.token is None or signed_in_user(request) is None or state.flash is None:
        return None
    message, state.flash = state.flash, None
    with session_scope(runtime_of(request).db_sessions) as db:
        server_sessions.clear_flash(db, state.token)
    return message


class SignInRequired(Exception):
    """Raised by a page for a visitor without a session: answered with a redirect to sign in."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class WrongRole(Exception):
    """A signed-in user on a page of the other role: answered as not found, as the API does."""


class NotPermitted(Exception):
    """A signed-in user whose team role lacks the page's right: answered 403, saying which role."""

    def __init__(self, user: DashboardUser, right: Right) -> None:
        super().__init__(
            f"Your role ({user.team_role_label.lower()}) does not include this page ({right}). "
            "Ask an admin of your team if you need it."
        )


def _user(request: Request) -> DashboardUser:
    """The signed-in person, refused a page their team role has no right to
    (accounts/route_rights.py decides, for every console and brand page)."""
    user = signed_in_user(request)
    if user is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    route = request.scope.get("route")
    right = page_right(request.method, getattr(route, "path_format", request.url.path))
    if right is not None and not user.may(right) and _side_matches(user, request.url.path):
        raise NotPermitted(user, right)
    return user


def _side_matches(user: DashboardUser, path: str) -> bool:
    """A brand on a console page is the wrong side (not found), not a missing right."""
    return path.startswith("/console") == user.is_operator


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


def user_of_side(request: Request, side: Role) -> DashboardUser:
    """The signed-in person of `side` (a page registered for both sides picks by its path)."""
    return _operator(request) if side is Role.OPERATOR else _advertiser(request)


AnyUser = Annotated[DashboardUser, Depends(_user)]
OperatorUser = Annotated[DashboardUser, Depends(_operator)]
AdvertiserUser = Annotated[DashboardUser, Depends(_advertiser)]

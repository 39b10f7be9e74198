"""Signing in and out of the dashboard, and changing one's own password.

Sign-in asks the throttle (accounts/sign_in_throttle.py) before the password is checked:
past the limits it answers 429 with Retry-After, whatever the password. A person with
two-factor sign-in gets a session that opens only the page asking for the code
(dashboard/two_factor_pages.py).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from shelfspace.accounts import sign_in_throttle
from shelfspace.accounts.passwords import MIN_PASSWORD_LENGTH
from shelfspace.accounts.service import authenticate_user, change_own_password
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, errors_of, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AnyUser, current_token, home_of, sign_in, sign_out, signed_in_user
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()


CODE_PAGE = "/login/code"


def code_page(next_path: str) -> str:
    """The page asking for the second factor, passing on where the person was going."""
    return f"{CODE_PAGE}?next={quote(next_path)}" if next_path else CODE_PAGE


def local_path(next_path: str, fallback: str) -> str:
    """Only a path on this site: a sign-in link must not send people elsewhere."""
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or not next_path.startswith("/") or next_path.startswith("//"):
        return fallback
    return next_path


@router.get("/")
def home(request: Request) -> Response:
    user = signed_in_user(request)
    return RedirectResponse(user.home if user else "/login", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:
    user = signed_in_user(request)
    if user is not None:
        return RedirectResponse(local_path(next, user.home), status_code=303)
    return render(request, "login.html", next=next, errors={}, values={})


def sign_in_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post("/login")
def login(request: Request, form: CheckedForm) -> Response:
    """A plain `def`: checking the password (argon2) takes tens of milliseconds of CPU.

    The attempt is written and committed first (as a failure until proven otherwise), so
    that every process counts it before any of them checks another password."""
    email, password, next_path = text(form, "email"), form.get("password"), text(form, "next")
    sessions, now = runtime_of(request).db_sessions, runtime_of(request).clock.now()
    values = {"email": email}
    if not email or not isinstance(password, str):
        errors = {GENERAL: "Enter your email and password."}
        return render(request, "login.html", status_code=400, next=next_path, errors=errors, values=values)
    with session_scope(sessions) as db:
        attempt = sign_in_throttle.note_attempt(db, email, sign_in_address(request), now)
    with session_scope(sessions) as db:
        locked = sign_in_throttle.lockout(db, attempt, now)
        user = authenticate_user(db, email, password) if locked is None else None
        if user is not None:
            code_owed = user.totp_enabled_at is not None
            if code_owed:  # signed in by the code, not yet: dashboard/two_factor_pages.py
                sign_in_throttle.second_factor_owed(db, attempt)
            else:
                sign_in_throttle.succeeded(db, attempt)
            sign_in(request, user, second_factor_pending=code_owed)
            home = home_of(user.role)
    if locked is not None:
        page = render(
            request, "login.html", status_code=429, next=next_path, errors={GENERAL: locked.message}, values=values
        )
        page.headers["Retry-After"] = str(locked.retry_after)
        return page
    if user is None:
        errors = {GENERAL: "That email and password do not match an account."}
        return render(request, "login.html", status_code=400, next=next_path, errors=errors, values=values)
    if code_owed:
        return RedirectResponse(code_page(local_path(next_path, "")), status_code=303)
    return RedirectResponse(local_path(next_path, home), status_code=303)


@router.post("/logout")
def logout(request: Request, user: AnyUser, form: CheckedForm) -> Response:
    """The session's row is deleted: the cookie, even if copied, opens nothing any more."""
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


def _password_form(request: Request, errors: dict[str, str], status_code: int = 200) -> Response:
    return render(
        request,
        "password.html",
        status_code=status_code,
        title="Change your password",
        errors=errors,
        values={},
        min_length=MIN_PASSWORD_LENGTH,
    )


@router.get("/account/password")
def password_page(request: Request, user: AnyUser) -> Response:
    return _password_form(request, {})


@router.post("/account/password")
def change_password(request: Request, user: AnyUser, form: CheckedForm) -> Response:
    """A plain `def`: two argon2 computations. Every other session of the person ends; the
    one in use stays, so nobody is signed out by their own change."""
    current, new, again = form.get("current_password"), form.get("password"), form.get("password_again")
    if not all(isinstance(v, str) for v in (current, new, again)):
        return _password_form(request, {GENERAL: "Fill in every field."}, 400)
    assert isinstance(current, str) and isinstance(new, str)
    if new != again:
        return _password_form(request, {"password_again": "does not match the new password"}, 400)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            ended = change_own_password(
                db, user.id, current, new, runtime_of(request).clock.now(), keep_token=current_token(request)
            )
    except ShelfspaceError as exc:
        return _password_form(request, errors_of(exc), 400)
    others = f" {ended} other session{'s' if ended != 1 else ''} signed out." if ended else ""
    return redirect_with(request, user.home, f"Your password was changed.{others}")

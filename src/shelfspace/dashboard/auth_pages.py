"""Signing in and out of the dashboard."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from shelfspace.accounts.service import authenticate_user
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, text
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AnyUser, home_of, sign_in, sign_out, signed_in_user
from shelfspace.db.session import session_scope

router = page_router()


def _local(next_path: str, fallback: str) -> str:
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
        return RedirectResponse(_local(next, user.home), status_code=303)
    return render(request, "login.html", next=next, errors={}, values={})


@router.post("/login")
def login(request: Request, form: CheckedForm) -> Response:
    """A plain `def`: checking the password (argon2) takes tens of milliseconds of CPU."""
    email, password, next_path = text(form, "email"), form.get("password"), text(form, "next")
    with session_scope(request.app.state.sessions) as db:
        user = authenticate_user(db, email, password) if email and isinstance(password, str) else None
        if user is not None:
            sign_in(request, user)
            home = home_of(user.role)
    if user is None:
        errors = {GENERAL: "That email and password do not match an account."}
        return render(request, "login.html", status_code=400, next=next_path, errors=errors, values={"email": email})
    return RedirectResponse(_local(next_path, home), status_code=303)


@router.post("/logout")
def logout(request: Request, user: AnyUser, form: CheckedForm) -> Response:
    sign_out(request)
    return RedirectResponse("/login", status_code=303)

"""/password/forgot and /password/reset/{token}: a forgotten password, by e-mail.

The rules are accounts/password_reset.py's. The request page answers the same for every
address, and the e-mail is sent after the answer has gone (a background task), so neither
the words nor the time of the answer say whether an account uses the address. The reset
page sets the password and signs nobody in.
"""

from __future__ import annotations

from contextlib import suppress

from fastapi import BackgroundTasks, Request
from starlette.responses import Response

from shelfspace.accounts import password_reset
from shelfspace.accounts.password_reset import ResetProblem, ResetRefused
from shelfspace.accounts.passwords import MIN_PASSWORD_LENGTH
from shelfspace.config import Settings
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, text
from shelfspace.dashboard.link_refused import SIGN_IN, LinkRefusal, NextStep, SignedLink, link_refused
from shelfspace.dashboard.rendering import render
from shelfspace.dashboard.routing import page_router
from shelfspace.db.session import session_scope
from shelfspace.mail import Mail, Mailer, MailNotSent
from shelfspace.runtime import runtime_of

router = page_router()

MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024
REASONS = {
    ResetProblem.UNKNOWN: LinkRefusal.INVALID,
    ResetProblem.EXPIRED: LinkRefusal.EXPIRED,
    ResetProblem.USED: LinkRefusal.USED,
}
NEXT_STEPS = (NextStep("/password/forgot", "Ask for a new link"), SIGN_IN)


def _forgot_form(request: Request, values: dict[str, str], errors: FieldErrors, status_code: int = 200) -> Response:
    return render(
        request,
        "password/forgot.html",
        status_code=status_code,
        title="Forgot your password?",
        values=values,
        errors=errors,
    )


@router.get("/password/forgot")
def forgot_page(request: Request) -> Response:
    return _forgot_form(request, {}, {})


def _send(settings: Settings, mail: Mail) -> None:
    """After the answer: a failure is in the server log (mail.py writes it), never on the page."""
    with suppress(MailNotSent):
        Mailer(settings).send(mail)


@router.post("/password/forgot")
def ask_for_link(request: Request, form: CheckedForm, background: BackgroundTasks) -> Response:
    """A plain `def`: SQL. The same page follows whatever the address."""
    email = text(form, "email")
    if not email or len(email) > MAX_EMAIL_LENGTH or "@" not in email:
        error = "enter the e-mail address you sign in with" if not email else "is not an e-mail address"
        return _forgot_form(request, {"email": email[:MAX_EMAIL_LENGTH]}, {"email": error}, 400)
    settings: Settings = runtime_of(request).settings
    mail = password_reset.request_reset(
        runtime_of(request).db_sessions, settings, email, runtime_of(request).clock.now()
    )
    if mail is not None:
        background.add_task(_send, settings, mail)
    minutes = int(password_reset.LINK_TTL.total_seconds() // 60)
    return render(request, "password/forgot_sent.html", title="Check your e-mail", email=email, minutes=minutes)


def _refused(request: Request, exc: ResetRefused) -> Response:
    return link_refused(request, SignedLink.PASSWORD_RESET, REASONS[exc.problem], exc.message, NEXT_STEPS)


def _reset_form(request: Request, token: str, email: str, errors: FieldErrors, status_code: int = 200) -> Response:
    return render(
        request,
        "password/reset.html",
        status_code=status_code,
        title="Choose a new password",
        token=token,
        email=email,
        errors=errors,
        min_length=MIN_PASSWORD_LENGTH,
    )


@router.get("/password/reset/{token}")
def reset_page(request: Request, token: str) -> Response:
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            email = password_reset.email_of_link(db, token, runtime_of(request).clock.now())
    except ResetRefused as exc:
        return _refused(request, exc)
    return _reset_form(request, token, email, {})


@router.post("/password/reset/{token}")
def reset(request: Request, token: str, form: CheckedForm) -> Response:
    """A plain `def`: argon2. Every session of the person ends; this browser is not signed in."""
    new, again = form.get("password"), form.get("password_again")
    now = runtime_of(request).clock.now()
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            email = password_reset.email_of_link(db, token, now)
    except ResetRefused as exc:
        return _refused(request, exc)
    if not isinstance(new, str) or not new:
        return _reset_form(request, token, email, {"password": "choose a new password"}, 400)
    if len(new) > MAX_PASSWORD_LENGTH:
        return _reset_form(request, token, email, {"password": f"is longer than {MAX_PASSWORD_LENGTH} characters"}, 400)
    if new != again:
        return _reset_form(request, token, email, {"password_again": "does not match the new password"}, 400)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            ended = password_reset.reset_password(db, token, new, now)
    except ResetRefused as exc:
        return _refused(request, exc)
    except ShelfspaceError as exc:  # the strength rule: named beside the new password
        return _reset_form(request, token, email, errors_of(exc), 400)
    return render(request, "password/reset_done.html", title="Password changed", email=email, ended=ended)

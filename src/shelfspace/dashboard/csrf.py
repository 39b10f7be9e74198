"""Form tokens against cross-site request forgery.

Every dashboard form carries a token derived from the session: an HMAC, under the form
secret (accounts/signing_secret.py `session_secret`), of the session's random token, or, for a
visitor not signed in (the sign-in and sign-up forms), of the visitor's form cookie. It is
derived rather than stored, so checking it needs no database (the check runs on the event
loop, before the page), and it changes at sign-in, so a token learnt before is useless
after. A POST whose token does not match is refused before anything runs. The cookies are
also SameSite=Lax, so this is the second of two locks.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from shelfspace.dashboard.session import PageSession, page_session

CSRF_FIELD = "csrf_token"


class CsrfRejected(Exception):
    """A form arrived without this session's token: answered 403, nothing done."""


def _token_for(state: PageSession, create: bool) -> str | None:
    if state.token is not None:
        bound = "session:" + state.token
    elif state.visitor is not None or create:
        bound = "visitor:" + state.visitor_token()
    else:
        return None
    return hmac.new(state.secret, bound.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token this page's forms carry ("" off the dashboard's paths)."""
    state = page_session(request)
    if state is None:
        return ""
    token = _token_for(state, create=True)
    assert token is not None
    return token


def check_csrf(request: Request, form: FormData) -> None:
    state = page_session(request)
    expected = _token_for(state, create=False) if state is not None else None
    sent = form.get(CSRF_FIELD)
    if expected is None or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise CsrfRejected()


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its token is checked: the one way pages read a form."""
    form = await request.form()
    check_csrf(request, form)
    return form


# Reading the body needs the event loop, and only that does: as a dependency the form is
# read (and its token checked, from the cookies alone) before the page's own plain `def`
# runs in the thread pool, where its SQL, password hashing and file work cannot hold the
# loop. Declare it after the user parameter, so a visitor without a session is still sent
# to sign in first.
CheckedForm = Annotated[FormData, Depends(checked_form)]

"""Form tokens against cross-site request forgery.

Every dashboard form carries a random token kept in the signed session; a POST whose
token does not match is refused before anything runs. The session cookie is also
SameSite=Lax, so this is the second of two locks.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

CSRF_FIELD = "csrf_token"
CSRF_KEY = "csrf"


class CsrfRejected(Exception):
    """A form arrived without this session's token: answered 403, nothing done."""


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def check_csrf(request: Request, form: FormData) -> None:
    expected = request.session.get(CSRF_KEY)
    sent = form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise CsrfRejected()


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its token is checked: the one way pages read a form."""
    form = await request.form()
    check_csrf(request, form)
    return form


# Reading the body needs the event loop, and only that does: as a dependency the form is
# read (and its token checked) before the page's own plain `def` runs in the thread pool,
# where its SQL, password hashing and file work cannot hold the loop. Declare it after the
# user parameter, so a visitor without a session is still sent to sign in first.
CheckedForm = Annotated[FormData, Depends(checked_form)]

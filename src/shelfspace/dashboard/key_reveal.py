"""A new API key's secret, carried from the form's POST to the page that shows it once.

Creating a key answers with a redirect (POST-redirect-GET), so reloading the page that
shows the key cannot send the form again and make a second key. The secret crosses the
redirect in a cookie of this browser only, never in the database (Shelfspace keeps only
a key's SHA-256) nor in the URL: the cookie is signed with the network's secret, bound to
the session that made the key, HttpOnly, scoped to the showing page's path, and lives
`HOLD` at most. The redirect's URL names the cookie by a one-time nonce (so two keys made
in two tabs do not overwrite each other), and the page that shows the secret deletes the
cookie in the same answer: a reload finds none and says the key was shown already.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import Response

from shelfspace.accounts.signing_secret import session_secret
from shelfspace.dashboard.session import current_token
from shelfspace.runtime import runtime_of

HOLD = timedelta(minutes=2)  # from the form's answer to the page that shows the key
COOKIE_PREFIX = "shelfspace_new_key_"
SALT = "shelfspace.new-api-key"
NONCE_BYTES = 12
NONCE = re.compile(rf"[0-9a-f]{{{NONCE_BYTES * 2}}}")


@dataclass(frozen=True, slots=True)
class NewKey:
    """What the page shows of a just-created key, its secret included."""

    id: str
    name: str
    prefix: str
    scope: str
    owner: str
    secret: str


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_secret(runtime_of(request).settings), salt=SALT)


def _session_mark(request: Request) -> str:
    """Which session made the key (a hash of its token): another browser's cookie shows nothing."""
    return hashlib.sha256((current_token(request) or "").encode("utf-8")).hexdigest()


def new_nonce() -> str:
    """The one-time name of a key's cookie, in the URL of the page that shows the key."""
    return secrets.token_hex(NONCE_BYTES)


def hold(request: Request, response: Response, path: str, nonce: str, key: NewKey) -> None:
    """Put the key in a cookie, sent with `response`, for the page at `path` only."""
    sealed = _serializer(request).dumps({"k": asdict(key), "m": _session_mark(request), "n": nonce})
    response.set_cookie(
        COOKIE_PREFIX + nonce,
        sealed,
        max_age=int(HOLD.total_seconds()),
        path=path,
        secure=(runtime_of(request).settings.public_url or "").startswith("https://"),
        httponly=True,
        samesite="strict",
    )


def take(request: Request, nonce: str) -> NewKey | None:
    """The key held under `nonce`, or None when it was shown already, has lapsed, or is not
    this session's. The page that shows it calls `forget` on its answer: shown once."""
    sealed = request.cookies.get(COOKIE_PREFIX + nonce) if NONCE.fullmatch(nonce) else None
    if sealed is None:
        return None
    try:
        held = _serializer(request).loads(sealed, max_age=int(HOLD.total_seconds()))
    except BadSignature:  # altered, or older than HOLD
        return None
    if not isinstance(held, dict) or held.get("n") != nonce or held.get("m") != _session_mark(request):
        return None
    return NewKey(**held["k"])


def forget(response: Response, path: str, nonce: str) -> None:
    """Delete the cookie with this answer, whatever it held."""
    if NONCE.fullmatch(nonce):
        response.delete_cookie(COOKIE_PREFIX + nonce, path=path)

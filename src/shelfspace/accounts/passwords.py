"""Passwords: the one rule for a new password, and hashing with argon2id (the argon2-cffi
defaults follow RFC 9106).

Length alone let `aaaaaaaaaaaa`, `123456789012` and `password1234` through, so a new
password must also satisfy zxcvbn, an estimator that knows common passwords, names,
keyboard patterns, repeats and sequences, and the person's own e-mail and name. Every
place a password is set (sign-up, `/v1/users`, `shelfspace users create`, a password
change, the demo's logins) goes through `password_problem`, via accounts/service.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
MIN_STRENGTH = 3  # zxcvbn's score, 0 to 4: 3 is "safely unguessable: moderate protection from offline attacks"
# zxcvbn refuses longer input (its matching grows fast with length); what comes after the
# 72nd character only adds to a password's strength, so the estimate reads the start.
ESTIMATED_LENGTH = 72
# Words everyone here would try first, beside the person's own.
SITE_WORDS = ("shelfspace", "dashboard", "console", "brand", "operator")


def _user_words(user_inputs: Iterable[str]) -> list[str]:
    """An e-mail and a name, and their parts: `jo.smith@acme.example` also gives `jo`, `smith`, `acme`."""
    words: list[str] = list(SITE_WORDS)
    for value in user_inputs:
        value = value.strip().lower()
        if value:
            words.append(value)
            words.extend(part for part in re.split(r"[^a-z0-9]+", value) if len(part) >= 3)
    return words


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why `password` may not be used, in words a person can act on; None when it may.

    `user_inputs` are the person's e-mail and name: a password made of them is weak.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters long"
    estimate = zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=_user_words(user_inputs))
    if estimate["score"] >= MIN_STRENGTH:
        return None
    feedback = estimate["feedback"]
    warning = str(feedback.get("warning") or "").rstrip(".")
    advice = " ".join(str(s) for s in feedback.get("suggestions") or [])
    reason = f"is too easy to guess: {warning[:1].lower()}{warning[1:]}." if warning else "is too easy to guess."
    return f"{reason} {advice or 'Add another word or two. Uncommon words are better.'}"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

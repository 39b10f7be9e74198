"""The sign-in throttle: how many wrong passwords an account and an address may try.

An audit tried 1,042 wrong passwords on one operator, then the right one, and got in. Now,
within any 15 minutes, an account takes 5 failures and an address 20 (across accounts);
past either, sign-in answers 429 with Retry-After and the password is not even checked, so
the right one is refused too until the window has moved on. A person with two-factor
sign-in is signed in by the code, not the password: a wrong code counts as a wrong
password does, and only the right code is the success. A successful sign-in clears
its account's count (the person is back) but not its address's (an attacker with one
account of their own must not reset the count for the others).

The attempts are rows in `sign_in_attempts`, so every process of `serve --workers N`
counts the same ones. Each attempt is written (as a failure, until proven otherwise) and
committed BEFORE the count and the password check, so concurrent attempts in other
processes see each other: at worst a racing attempt is refused one early, never let in
late. This module owns the rule; dashboard/auth_pages.py only asks it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shelfspace.accounts.models import SignInAttempt, SignInOutcome

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # per account in WINDOW
ADDRESS_FAILURES = 20  # per network address in WINDOW, whichever accounts were tried
KEEP = timedelta(days=1)  # older attempts are deleted: they count for nothing
ADDRESS_LENGTH = 64


class Limit(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True, slots=True)
class LockedOut:
    """Sign-in refused: which limit, and how many seconds until an attempt counts again."""

    limit: Limit
    retry_after: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        whom = "this account" if self.limit is Limit.ACCOUNT else "your network address"
        return (
            f"Too many failed sign-ins for {whom}. For safety, sign-in is paused: try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}."
        )


def account_key(email: str) -> str:
    """The account as the throttle knows it: a hash of the e-mail typed, so mistyped and
    made-up addresses are counted without being kept."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def note_attempt(db: Session, email: str, address: str, now: datetime) -> int:
    """Write the attempt as a failure (it stays one unless `succeeded` says otherwise);
    the caller commits it before asking `lockout`. Returns its id."""
    db.execute(delete(SignInAttempt).where(SignInAttempt.at < now - KEEP))
    attempt = SignInAttempt(
        at=now, account=account_key(email), address=address[:ADDRESS_LENGTH], outcome=SignInOutcome.FAILED
    )
    db.add(attempt)
    db.flush()
    return attempt.id


def _retry_after(failures: list[datetime], allowed: int, now: datetime) -> int | None:
    """None while fewer than `allowed` failures are in the window; else the seconds until
    the oldest that matters leaves it."""
    if len(failures) < allowed:
        return None
    lifts_at = failures[len(failures) - allowed] + WINDOW
    return max(1, math.ceil((lifts_at - now).total_seconds()))


def lockout(db: Session, attempt_id: int, now: datetime) -> LockedOut | None:
    """Whether the attempt must be refused, from the failures before it (other attempts
    committed meanwhile included). A refused attempt is marked so and never counts."""
    attempt = db.get(SignInAttempt, attempt_id)
    assert attempt is not None, "note_attempt committed it"
    since = now - WINDOW
    # Ids, not times, order a success and the failures after it: they may share a second.
    last_success = db.scalar(
        select(func.max(SignInAttempt.id)).where(
            SignInAttempt.account == attempt.account,
            SignInAttempt.outcome == SignInOutcome.SUCCEEDED,
            SignInAttempt.at > since,
        )
    )
    failed = [SignInAttempt.outcome == SignInOutcome.FAILED, SignInAttempt.id != attempt_id]
    by_account = list(
        db.scalars(
            select(SignInAttempt.at)
            .where(
                SignInAttempt.account == attempt.account,
                SignInAttempt.at > since,
                SignInAttempt.id > (last_success or 0),
                *failed,
            )
            .order_by(SignInAttempt.at)
        )
    )
    by_address = list(
        db.scalars(
            select(SignInAttempt.at)
            .where(SignInAttempt.address == attempt.address, SignInAttempt.at > since, *failed)
            .order_by(SignInAttempt.at)
        )
    )
    waits = [
        (wait, limit)
        for wait, limit in (
            (_retry_after(by_account, ACCOUNT_FAILURES, now), Limit.ACCOUNT),
            (_retry_after(by_address, ADDRESS_FAILURES, now), Limit.ADDRESS),
        )
        if wait is not None
    ]
    if not waits:
        return None
    attempt.outcome = SignInOutcome.REFUSED
    wait, limit = max(waits)
    return LockedOut(limit, wait)


def second_factor_owed(db: Session, attempt_id: int) -> None:
    """The password was right and a code is owed: the attempt stops counting as a failure
    but does not clear the account's failures, so re-entering a known password never buys
    more guesses at the code; the code's own attempt counts like a password's."""
    attempt = db.get(SignInAttempt, attempt_id)
    assert attempt is not None, "note_attempt committed it"
    attempt.outcome = SignInOutcome.SECOND_FACTOR_OWED


def succeeded(db: Session, attempt_id: int) -> None:
    attempt = db.get(SignInAttempt, attempt_id)
    assert attempt is not None, "note_attempt committed it"
    attempt.outcome = SignInOutcome.SUCCEEDED

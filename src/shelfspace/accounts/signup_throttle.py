"""How many sign-ups an address, and how many verification e-mails a person, may ask for.

Each action let through is a row in `signup_attempts`, written and committed BEFORE it is
counted: when two processes race, each sees the other's row, so the limit can only be
over-enforced (both refused at the edge), never passed. A refused try deletes its own row
again, so knocking on a closed door does not keep it closed; the answer says when it opens
(`Retry-After`). Invalid forms are not counted (they cost nothing and a person retyping a
password must not be locked out); a sign-up that fails on a taken e-mail is, so the form
cannot be used to test addresses one after another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts.signup_models import SignupAction, SignupAttempt
from shelfspace.config import Settings
from shelfspace.db.session import session_scope

WINDOW = timedelta(hours=1)
VERIFICATION_EMAILS_PER_HOUR = 3  # the first e-mail and two more: enough for a lost one, useless for spam
KEY_LENGTH = 64  # the column's width; an IPv6 address is at most 45 characters


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    window: timedelta


def limit_of(action: SignupAction, settings: Settings) -> Limit:
    """What each action may do in its window: the one place these numbers live."""
    if action is SignupAction.SIGN_UP:
        return Limit(settings.signups_per_address_per_hour, WINDOW)
    return Limit(VERIFICATION_EMAILS_PER_HOUR, WINDOW)


class Throttled(Exception):
    """Too many tries: `retry_after` whole seconds until one more is allowed."""

    def __init__(self, action: SignupAction, retry_after: int) -> None:
        super().__init__(f"{action.value}: try again in {retry_after} s")
        self.action = action
        self.retry_after = retry_after


def take(sessions: sessionmaker[Session], action: SignupAction, key: str, limit: Limit, now: datetime) -> None:
    """Count one `action` for `key`, or raise Throttled (and count nothing). Blocking SQL."""
    key = key[:KEY_LENGTH]
    with session_scope(sessions) as db:
        db.execute(delete(SignupAttempt).where(SignupAttempt.at < now - WINDOW))  # no action looks further back
        mine = SignupAttempt(at=now, action=action, key=key)
        db.add(mine)
        db.flush()
        my_id = mine.id
    with session_scope(sessions) as db:
        others = list(
            db.scalars(
                select(SignupAttempt.at)
                .where(
                    SignupAttempt.action == action,
                    SignupAttempt.key == key,
                    SignupAttempt.at > now - limit.window,
                    SignupAttempt.id != my_id,
                )
                .order_by(SignupAttempt.at)
            )
        )
        if len(others) < limit.count:
            return
        db.execute(delete(SignupAttempt).where(SignupAttempt.id == my_id))
    # One more is allowed once all but count - 1 of the others have left the window.
    opens_at = others[len(others) - limit.count] + limit.window
    raise Throttled(action, max(1, math.ceil((opens_at - now).total_seconds())))

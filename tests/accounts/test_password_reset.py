"""Password reset by an e-mailed link (accounts/password_reset.py), without HTTP: the link
holds 256 random bits of which only the hash is kept, works once for an hour, three an
hour per account at most; using it sets the password, ends every session and voids the
other links, and signs nobody in."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts import password_reset
from shelfspace.accounts.models import AuditEntry, DashboardSession, PasswordReset, User
from shelfspace.accounts.password_reset import LINK_TTL, LINKS_PER_HOUR, ResetProblem, ResetRefused
from shelfspace.accounts.service import authenticate_user
from shelfspace.accounts.sessions import start_session
from shelfspace.config import Settings
from shelfspace.core.errors import InvalidInput
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import PASSWORD, make_user
from tests.databases import empty_all_tables

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EMAIL = "ops@network.example"
NEW_PASSWORD = "quiet orchard lantern 58"
LINK = re.compile(r"http://shelfspace\.test/password/reset/([A-Za-z0-9_-]+)")


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_sessionmaker(engine)
    empty_all_tables(engine)


def _ask(sessions: sessionmaker[Session], settings: Settings, email: str = EMAIL, now: datetime = NOW) -> str | None:
    """The token the e-mail carries, or None if no e-mail would go."""
    mail = password_reset.request_reset(sessions, settings, email, now)
    if mail is None:
        return None
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


def _links(sessions: sessionmaker[Session]) -> list[PasswordReset]:
    with session_scope(sessions) as db:
        rows = list(db.scalars(select(PasswordReset).order_by(PasswordReset.id)))
        db.expunge_all()
        return rows


def _reset(
    sessions: sessionmaker[Session],
    token: str,
    password: str = NEW_PASSWORD,
    now: datetime = NOW + timedelta(minutes=5),
) -> int:
    with session_scope(sessions) as db:
        return password_reset.reset_password(db, token, password, now)


def test_the_link_holds_256_random_bits_and_the_table_only_their_hash(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    user_id = make_user(sessions.kw["bind"], EMAIL)
    mail = password_reset.request_reset(sessions, settings, "  OPS@Network.example ", NOW)
    assert mail is not None and mail.to == EMAIL and "works once, for 60 minutes" in mail.body
    token = LINK.search(mail.body).group(1)  # type: ignore[union-attr]
    assert len(token) == 43  # 32 bytes, base64url
    [row] = _links(sessions)
    assert row.user_id == user_id and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.expires_at == NOW + LINK_TTL and row.used_at is None
    with session_scope(sessions) as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.object_type == "password_reset"))
        assert entry is not None and entry.actor == "password-reset" and entry.object_id == row.id
        assert token not in str(entry.changes) and row.token_hash not in str(entry.changes)


def test_unknown_and_disabled_addresses_get_nothing(sessions: sessionmaker[Session], settings: Settings) -> None:
    user_id = make_user(sessions.kw["bind"], EMAIL)
    assert _ask(sessions, settings, "nobody@network.example") is None
    with session_scope(sessions) as db:
        db.execute(update(User).where(User.id == user_id).values(disabled_at=NOW))
    assert _ask(sessions, settings) is None
    assert _links(sessions) == []


def test_at_most_three_links_an_hour_the_rest_refused_quietly(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    make_user(sessions.kw["bind"], EMAIL)
    sent = [_ask(sessions, settings, now=NOW + timedelta(minutes=i)) for i in range(LINKS_PER_HOUR)]
    assert all(sent)
    assert _ask(sessions, settings, now=NOW + timedelta(minutes=10)) is None
    assert _ask(sessions, settings, now=NOW + timedelta(minutes=59)) is None
    assert len(_links(sessions)) == LINKS_PER_HOUR  # the refused ones left no row
    # An hour after the first, one more may go.
    assert _ask(sessions, settings, now=NOW + LINK_TTL + timedelta(seconds=1)) is not None


def test_the_link_sets_the_password_once_ends_every_session_and_voids_the_other_links(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    user_id = make_user(sessions.kw["bind"], EMAIL)
    first, second = _ask(sessions, settings), _ask(sessions, settings, now=NOW + timedelta(minutes=1))
    assert first and second
    with session_scope(sessions) as db:
        for _ in range(2):
            start_session(db, user_id, NOW)
    assert _reset(sessions, second) == 2
    with session_scope(sessions) as db:
        assert authenticate_user(db, EMAIL, NEW_PASSWORD) is not None
        assert authenticate_user(db, EMAIL, PASSWORD) is None
        live = db.scalar(
            select(func.count()).select_from(DashboardSession).where(DashboardSession.revoked_at.is_(None))
        )
        assert live == 0  # and none was started: the link signs nobody in
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.object_id == user_id).order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.actor == f"user:{user_id}"
        assert entry.changes == {
            "password": "changed",
            "why": "password_reset",
            "password_reset": _links(sessions)[1].id,
            "sessions_ended": 2,
            "links_voided": 1,
        }
    for token in (second, first):  # used, and voided by the use of the other
        with pytest.raises(ResetRefused) as refused, session_scope(sessions) as db:
            password_reset.check_link(db, token, NOW + timedelta(minutes=6))
        assert refused.value.problem is ResetProblem.USED


def test_an_expired_or_unknown_link_says_which(sessions: sessionmaker[Session], settings: Settings) -> None:
    make_user(sessions.kw["bind"], EMAIL)
    token = _ask(sessions, settings)
    assert token
    cases = {
        token: (NOW + LINK_TTL, ResetProblem.EXPIRED),
        token[:-1]: (NOW, ResetProblem.UNKNOWN),
        "": (NOW, ResetProblem.UNKNOWN),
        "x" * 500: (NOW, ResetProblem.UNKNOWN),
        "bad token/..": (NOW, ResetProblem.UNKNOWN),
    }
    for presented, (at, problem) in cases.items():
        with pytest.raises(ResetRefused) as refused, session_scope(sessions) as db:
            password_reset.reset_password(db, presented, NEW_PASSWORD, at)
        assert refused.value.problem is problem, presented
        assert refused.value.message == password_reset.MESSAGES[problem]
    assert "expired" in password_reset.MESSAGES[ResetProblem.EXPIRED]


def test_a_weak_password_is_refused_and_the_link_still_works(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    make_user(sessions.kw["bind"], EMAIL)
    token = _ask(sessions, settings)
    assert token
    with pytest.raises(InvalidInput) as weak:
        _reset(sessions, token, "password1234")
    assert weak.value.fields[0].field == "password"
    assert _reset(sessions, token) == 0

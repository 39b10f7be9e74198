"""Two-factor sign-in (accounts/two_factor.py) and the staff policy (accounts/access_policy.py),
without pages: enrolment confirmed by a first code, codes a step either side of now,
recovery codes kept as hashes and spent once, turning off, and the policy's API."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts import access_policy, two_factor
from shelfspace.accounts.models import AuditEntry, RecoveryCode, User
from shelfspace.accounts.rights import Role, TeamRole
from shelfspace.accounts.roles import Principal
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.accounts.two_factor import SecondFactor
from shelfspace.core.errors import Forbidden, InvalidInput
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import PASSWORD, make_user
from tests.databases import empty_all_tables
from tests.support import Api, field_errors

NOW = datetime(2026, 12, 1, 9, 0, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)
ENROLLED = NOW - timedelta(minutes=10)  # the enrolment's code is spent: later checks use newer ones
ADMIN = Principal(actor="user:admin", role=Role.OPERATOR, team_role=TeamRole.ADMIN)


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_sessionmaker(engine)
    empty_all_tables(engine)


def _user(sessions: sessionmaker[Session], user_id: str) -> User:
    with session_scope(sessions) as db:
        user = db.get(User, user_id)
        assert user is not None
        db.expunge(user)
        return user


def _enrolled(
    sessions: sessionmaker[Session],
    email: str = "ops@network.example",
    role: Role = Role.OPERATOR,
    advertiser_id: str | None = None,
) -> tuple[str, str, list[str]]:
    """A user with two-factor sign-in on: (id, secret, recovery codes)."""
    user_id = make_user(sessions.kw["bind"], email, role, advertiser_id)
    with session_scope(sessions) as db:
        secret = two_factor.start_enrolment(db, user_id).secret
    with session_scope(sessions) as db:
        codes = two_factor.confirm_enrolment(db, user_id, pyotp.TOTP(secret).at(ENROLLED), ENROLLED)
    return user_id, secret, codes


def _verify(sessions: sessionmaker[Session], user_id: str, code: str, now: datetime = NOW) -> SecondFactor | None:
    with session_scope(sessions) as db:
        user = db.get(User, user_id)
        assert user is not None
        return two_factor.verify_second_factor(db, user, code, now)


def test_enrolment_shows_a_qr_code_of_the_otpauth_uri_and_is_on_only_after_a_first_code(
    sessions: sessionmaker[Session],
) -> None:
    user_id = make_user(sessions.kw["bind"], "ops@network.example")
    with session_scope(sessions) as db:
        enrolment = two_factor.start_enrolment(db, user_id)
    with session_scope(sessions) as db:
        assert two_factor.start_enrolment(db, user_id).secret == enrolment.secret  # a reload shows the same
    uri = urlsplit(enrolment.uri)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert unquote(uri.path) == "/Shelfspace:ops@network.example"
    assert parse_qs(uri.query) == {"secret": [enrolment.secret], "issuer": ["Shelfspace"]}
    assert enrolment.qr_svg.startswith("<svg") and "<path" in enrolment.qr_svg and "<script" not in enrolment.qr_svg
    assert enrolment.grouped_secret.replace(" ", "") == enrolment.secret
    assert _user(sessions, user_id).totp_enabled_at is None  # scanning alone turns nothing on
    assert _verify(sessions, user_id, pyotp.TOTP(enrolment.secret).at(NOW)) is None
    with pytest.raises(InvalidInput) as wrong, session_scope(sessions) as db:
        two_factor.confirm_enrolment(
            db, user_id, "000000" if pyotp.TOTP(enrolment.secret).at(NOW) != "000000" else "111111", NOW
        )
    assert wrong.value.fields[0].field == "code"
    with session_scope(sessions) as db:
        codes = two_factor.confirm_enrolment(db, user_id, pyotp.TOTP(enrolment.secret).at(NOW), NOW)
    assert _user(sessions, user_id).totp_enabled_at == NOW
    assert len(codes) == 10 == len(set(codes)) and all(len(c) == 11 and c[5] == "-" for c in codes)
    with session_scope(sessions) as db:
        stored = set(db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user_id)))
        assert stored == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
        history = " ".join(
            str(e.changes) for e in db.scalars(select(AuditEntry).where(AuditEntry.object_id == user_id))
        )
    assert "enrolment_started" in history and "'enabled'" in history
    assert enrolment.secret not in history and not any(c in history or c.replace("-", "") in history for c in codes)


def test_a_code_counts_one_step_either_side_of_now_and_no_further(sessions: sessionmaker[Session]) -> None:
    user_id, secret, _ = _enrolled(sessions)
    totp = pyotp.TOTP(secret)
    for offset in (-1, 0, 1):
        assert _verify(sessions, user_id, totp.at(NOW + offset * STEP)) is SecondFactor.AUTHENTICATOR
    for offset in (-2, 2):
        code = totp.at(NOW + offset * STEP)
        if code not in {totp.at(NOW + k * STEP) for k in (-1, 0, 1)}:
            assert _verify(sessions, user_id, code) is None
    later = NOW + 3 * STEP
    spaced = totp.at(later)
    assert _verify(sessions, user_id, f" {spaced[:3]} {spaced[3:]} ", later) is SecondFactor.AUTHENTICATOR
    assert _verify(sessions, user_id, "") is None and _verify(sessions, user_id, "x" * 10_000) is None


def test_a_code_works_once_and_never_after_a_newer_one(sessions: sessionmaker[Session]) -> None:
    """A code seen over a shoulder, or in a proxy's log, opens nothing once it was used."""
    user_id, secret, _ = _enrolled(sessions)
    totp = pyotp.TOTP(secret)
    assert _verify(sessions, user_id, totp.at(NOW)) is SecondFactor.AUTHENTICATOR
    assert _verify(sessions, user_id, totp.at(NOW)) is None  # the same code again, in its own window
    assert _verify(sessions, user_id, totp.at(NOW + STEP), NOW + STEP) is SecondFactor.AUTHENTICATOR
    assert _verify(sessions, user_id, totp.at(NOW), NOW + STEP) is None  # older than the last one used
    assert _user(sessions, user_id).totp_last_step == totp.timecode(NOW + STEP)


def test_a_recovery_code_works_once(sessions: sessionmaker[Session]) -> None:
    user_id, _, codes = _enrolled(sessions)
    assert _verify(sessions, user_id, codes[3].upper()) is SecondFactor.RECOVERY_CODE
    assert _verify(sessions, user_id, codes[3]) is None
    assert _verify(sessions, user_id, codes[4].replace("-", "")) is SecondFactor.RECOVERY_CODE
    with session_scope(sessions) as db:
        assert two_factor.recovery_codes_left(db, user_id) == 8
        used = list(db.scalars(select(AuditEntry.changes).where(AuditEntry.object_id == user_id)))
    assert {"two_factor": "recovery_code_used", "recovery_codes_left": 8} in used


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(sessions: sessionmaker[Session]) -> None:
    user_id, secret, old = _enrolled(sessions)
    with pytest.raises(InvalidInput) as refused, session_scope(sessions) as db:
        two_factor.regenerate_recovery_codes(db, user_id, "123", NOW)
    assert refused.value.fields[0].field == "code"
    with session_scope(sessions) as db:
        new = two_factor.regenerate_recovery_codes(db, user_id, pyotp.TOTP(secret).at(NOW), NOW)
    assert not set(new) & set(old)
    assert _verify(sessions, user_id, old[0]) is None
    assert _verify(sessions, user_id, new[0]) is SecondFactor.RECOVERY_CODE


def test_turning_off_needs_the_password_and_a_code_and_is_refused_to_staff_while_required(
    sessions: sessionmaker[Session], operator: Api
) -> None:
    user_id, secret, codes = _enrolled(sessions)
    code = pyotp.TOTP(secret).at(NOW)
    with pytest.raises(InvalidInput) as wrong, session_scope(sessions) as db:
        two_factor.turn_off(db, user_id, "not my password", code, NOW)
    assert wrong.value.fields[0].field == "password"
    with pytest.raises(InvalidInput) as wrong, session_scope(sessions) as db:
        two_factor.turn_off(db, user_id, PASSWORD, "999999" if code != "999999" else "888888", NOW)
    assert wrong.value.fields[0].field == "code"
    with session_scope(sessions) as db:
        access_policy.set_staff_two_factor(db, ADMIN, True, NOW)
    with pytest.raises(Forbidden), session_scope(sessions) as db:
        two_factor.turn_off(db, user_id, PASSWORD, code, NOW)
    # A brand's person chooses for themselves, whatever the staff policy.
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    brand_user, brand_secret, _ = _enrolled(sessions, "ops@acme.example", Role.ADVERTISER, brand)
    with session_scope(sessions) as db:
        two_factor.turn_off(db, brand_user, PASSWORD, pyotp.TOTP(brand_secret).at(NOW), NOW)
    with session_scope(sessions) as db:
        access_policy.set_staff_two_factor(db, ADMIN, False, NOW)
    with session_scope(sessions) as db:
        two_factor.turn_off(db, user_id, PASSWORD, codes[0], NOW)  # a recovery code will do
    for gone in (user_id, brand_user):
        user = _user(sessions, gone)
        assert user.totp_secret is None and user.totp_enabled_at is None
        assert _verify(sessions, gone, codes[1]) is None
    with session_scope(sessions) as db:
        assert db.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)).first() is None


def test_only_an_operator_admin_sets_the_policy_and_each_change_is_audited(operator: Api, engine: Engine) -> None:
    assert operator.get("/v1/access-policy") == {
        "staff_two_factor_required": False,
        "updated_at": None,
        "updated_by": None,
    }
    answer = operator.call("PUT", "/v1/access-policy", json={"staff_two_factor_required": True})
    assert answer.status_code == 200 and answer.json()["staff_two_factor_required"] is True
    assert answer.json()["updated_by"].startswith("key:")
    assert operator.call("PUT", "/v1/access-policy", json={"staff_two_factor_required": True}).status_code == 200
    entries = operator.get("/v1/audit-log?object_type=access_policy")["data"]
    assert [e["changes"] for e in entries] == [{"staff_two_factor_required": [False, True]}]  # no change, no entry
    refused = operator.call("PUT", "/v1/access-policy", json={"staff_two_factor_required": "yes"})
    assert refused.status_code == 422 and "staff_two_factor_required" in field_errors(refused.json())
    assert operator.call("PUT", "/v1/access-policy", json={}).status_code == 422
    with session_scope(make_sessionmaker(engine)) as db:
        key, finance = create_key(db, ADMIN, ApiKeyCreate(role=Role.OPERATOR, name="money"))
        key.team_role = TeamRole.FINANCE  # staff, but not an admin: no SECURITY right
    finance_api = Api(operator.client, finance)
    assert finance_api.call("GET", "/v1/access-policy").status_code == 403
    assert finance_api.call("PUT", "/v1/access-policy", json={"staff_two_factor_required": False}).status_code == 403
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    with session_scope(make_sessionmaker(engine)) as db:
        _, brand_key = create_key(db, ADMIN, ApiKeyCreate(role=Role.ADVERTISER, advertiser_id=brand))
    assert Api(operator.client, brand_key).call("GET", "/v1/access-policy").status_code == 403
    assert operator.get("/v1/access-policy")["staff_two_factor_required"] is True

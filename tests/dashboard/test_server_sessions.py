"""Dashboard sessions kept on the server: signing out, a password change, an operator or a
disabled account end them at once; idle and absolute lifetimes are enforced on the app's
clock (moved by the test, never slept)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from shelfspace.accounts.models import AuditEntry, DashboardSession
from shelfspace.accounts.roles import Role
from shelfspace.accounts.sessions import ABSOLUTE_LIFETIME, IDLE_LIFETIME
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.dashboard.session import FORM_COOKIE, SESSION_COOKIE
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim.clock import SteppedClock
from tests.conftest import new_key
from tests.dashboard.conftest import START
from tests.dashboard.pages import PASSWORD, make_user, sign_in, token_of
from tests.databases import empty_all_tables
from tests.support import Api, field_errors

NEW_PASSWORD = "quiet orchard lantern 58"


def _signed_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in afresh (as another browser would) and return the session cookie's value."""
    client.cookies.clear()
    sign_in(client, email, password)
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    return token


def _as(client: TestClient, token: str) -> TestClient:
    """The client as the browser holding this session cookie."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    return client


def _opens_console(client: TestClient, token: str) -> bool:
    answer = _as(client, token).get("/console", follow_redirects=False)
    if answer.status_code == 303:
        assert answer.headers["location"].startswith("/login")
        return False
    assert answer.status_code == 200, answer.text
    return True


def _rows(engine: Engine) -> list[DashboardSession]:
    with session_scope(make_sessionmaker(engine)) as db:
        rows = list(db.scalars(select(DashboardSession)))
        db.expunge_all()
        return rows


def test_the_cookie_holds_only_a_random_token_and_the_server_keeps_its_hash(
    app_client: TestClient, engine: Engine
) -> None:
    user_id = make_user(engine, "ops@network.example")
    sign_in(app_client, "ops@network.example")
    cookie = next(c for c in app_client.cookies.jar if c.name == SESSION_COOKIE)
    assert cookie.value and len(cookie.value) >= 43  # 256 bits, base64
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "lax"
    assert not cookie.secure  # the test server's public URL is http
    [row] = _rows(engine)
    assert row.id == hashlib.sha256(cookie.value.encode()).hexdigest() and cookie.value not in row.id
    assert row.user_id == user_id and row.revoked_at is None
    assert row.expires_at == START + ABSOLUTE_LIFETIME and row.last_seen_at == START


def test_the_cookie_is_secure_when_the_network_is_served_over_https(engine: Engine, tmp_path: Path) -> None:
    make_user(engine, "ops@network.example")
    settings = Settings(data_dir=tmp_path, public_url="https://ads.network.example")
    with TestClient(create_app(settings, engine), base_url="https://testserver") as client:
        token = token_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"email": "ops@network.example", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        set_cookie = [v for v in answer.headers.get_list("set-cookie") if v.startswith(SESSION_COOKIE)]
        assert set_cookie and "Secure" in set_cookie[0] and "HttpOnly" in set_cookie[0]
    empty_all_tables(engine)


def test_signing_out_ends_the_session_even_for_a_kept_copy_of_the_cookie(
    app_client: TestClient, engine: Engine
) -> None:
    make_user(engine, "ops@network.example")
    token = _signed_in(app_client, "ops@network.example")
    assert _opens_console(app_client, token)
    form = token_of(app_client.get("/console").text)
    answer = app_client.post("/logout", data={"csrf_token": form}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
    assert _rows(engine) == []  # the row is gone at once
    # The old cookie, put back by hand (or kept by an attacker), opens nothing.
    assert not _opens_console(app_client, token)
    assert app_client.get("/console", follow_redirects=False).headers["location"] == "/login?next=/console"


def test_pages_are_not_kept_by_the_browser(app_client: TestClient, engine: Engine) -> None:
    """So the back button after signing out asks the server, which answers with sign-in."""
    make_user(engine, "ops@network.example")
    _signed_in(app_client, "ops@network.example")
    assert app_client.get("/console").headers["cache-control"] == "no-store"


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app_client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    laptop = _signed_in(app_client, "ops@network.example")
    phone = _signed_in(app_client, "ops@network.example")
    form = token_of(_as(app_client, phone).get("/account/password").text)
    weak = app_client.post(
        "/account/password",
        data={
            "csrf_token": form,
            "current_password": PASSWORD,
            "password": "password1234",
            "password_again": "password1234",
        },
    )
    assert weak.status_code == 400 and "too easy to guess" in weak.text
    assert _opens_console(app_client, laptop)  # nothing changed
    wrong = _as(app_client, phone).post(
        "/account/password",
        data={
            "csrf_token": form,
            "current_password": "not my password 42",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 400 and "not your current password" in wrong.text
    done = _as(app_client, phone).post(
        "/account/password",
        data={
            "csrf_token": form,
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "1 other session signed out" in _as(app_client, phone).get("/console").text  # the flash, once
    assert "1 other session signed out" not in app_client.get("/console").text
    assert not _opens_console(app_client, laptop)
    assert _opens_console(app_client, phone)
    _signed_in(app_client, "ops@network.example", NEW_PASSWORD)  # the new password works


def test_an_operator_ends_a_users_sessions_and_it_is_audited(app_client: TestClient, engine: Engine) -> None:
    user_id = make_user(engine, "ops@network.example")
    first, second = _signed_in(app_client, "ops@network.example"), _signed_in(app_client, "ops@network.example")
    app_client.cookies.clear()
    operator = Api(app_client, new_key(engine, Role.OPERATOR))
    assert operator.delete(f"/v1/users/{user_id}/sessions") == {"user_id": user_id, "ended": 2}
    assert not _opens_console(app_client, first) and not _opens_console(app_client, second)
    app_client.cookies.clear()
    entries = operator.get(f"/v1/audit-log?object_type=user_sessions&object_id={user_id}")["data"]
    assert [(e["action"], e["changes"]) for e in entries] == [
        ("revoke", {"sessions": 2, "reason": "revoked_by_operator"})
    ]
    operator.delete("/v1/users/usr_nobody/sessions", status=404)
    brand = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    Api(app_client, new_key(engine, Role.ADVERTISER, brand["id"])).delete(f"/v1/users/{user_id}/sessions", status=403)
    _signed_in(app_client, "ops@network.example")  # ended, not locked out


def test_disabling_a_user_ends_their_sessions_and_an_operator_reset_password_too(
    app_client: TestClient, engine: Engine
) -> None:
    user_id = make_user(engine, "ops@network.example")
    make_user(engine, "boss@network.example")  # the staff keep an active admin (accounts/team.py)
    token = _signed_in(app_client, "ops@network.example")
    app_client.cookies.clear()
    operator = Api(app_client, new_key(engine, Role.OPERATOR))
    assert field_errors(operator.patch(f"/v1/users/{user_id}", {"password": "123456789012"}, status=422))["password"]
    assert _opens_console(app_client, token)
    app_client.cookies.clear()
    operator.patch(f"/v1/users/{user_id}", {"password": NEW_PASSWORD})
    assert not _opens_console(app_client, token)
    token = _signed_in(app_client, "ops@network.example", NEW_PASSWORD)
    app_client.cookies.clear()
    assert operator.patch(f"/v1/users/{user_id}", {"disabled": True})["disabled_at"] is not None
    assert not _opens_console(app_client, token)
    assert all(row.revoked_at is not None for row in _rows(engine))


def test_an_idle_session_ends_after_its_idle_lifetime(
    app_client: TestClient, engine: Engine, clock: SteppedClock
) -> None:
    make_user(engine, "ops@network.example")
    token = _signed_in(app_client, "ops@network.example")
    clock.advance_to(START + IDLE_LIFETIME - timedelta(minutes=1))
    assert _opens_console(app_client, token)  # used in time: the idle clock starts again
    clock.advance_to(START + 2 * IDLE_LIFETIME - timedelta(minutes=2))
    assert _opens_console(app_client, token)
    clock.advance_to(START + 3 * IDLE_LIFETIME)
    assert not _opens_console(app_client, token)


def test_last_seen_is_written_at_most_once_a_minute(
    app_client: TestClient, engine: Engine, clock: SteppedClock
) -> None:
    make_user(engine, "ops@network.example")
    token = _signed_in(app_client, "ops@network.example")
    clock.advance_to(START + timedelta(seconds=30))
    for _ in range(3):
        assert _opens_console(app_client, token)
    assert [r.last_seen_at for r in _rows(engine)] == [START]
    clock.advance_to(START + timedelta(seconds=61))
    assert _opens_console(app_client, token)
    assert [r.last_seen_at for r in _rows(engine)] == [START + timedelta(seconds=61)]


def test_a_busy_session_still_ends_at_its_absolute_lifetime(
    app_client: TestClient, engine: Engine, clock: SteppedClock
) -> None:
    make_user(engine, "ops@network.example")
    token = _signed_in(app_client, "ops@network.example")
    moment = START
    while moment + IDLE_LIFETIME / 2 < START + ABSOLUTE_LIFETIME:
        moment += IDLE_LIFETIME / 2
        clock.advance_to(moment)
        assert _opens_console(app_client, token), moment
    clock.advance_to(START + ABSOLUTE_LIFETIME)
    assert not _opens_console(app_client, token)


def test_ended_sessions_are_pruned(app_client: TestClient, engine: Engine, clock: SteppedClock) -> None:
    make_user(engine, "ops@network.example")
    _signed_in(app_client, "ops@network.example")
    _signed_in(app_client, "ops@network.example")
    assert len(_rows(engine)) == 2
    clock.advance_to(START + IDLE_LIFETIME + timedelta(minutes=1))
    _signed_in(app_client, "ops@network.example")  # a sign-in sweeps what can open nothing any more
    assert [r.created_at for r in _rows(engine)] == [START + IDLE_LIFETIME + timedelta(minutes=1)]


def test_a_visitors_form_cookie_is_not_a_session(app_client: TestClient, engine: Engine) -> None:
    page = app_client.get("/login")
    assert app_client.cookies.get(FORM_COOKIE) and not app_client.cookies.get(SESSION_COOKIE)
    assert "csrf_token" in page.text
    with session_scope(make_sessionmaker(engine)) as db:
        assert db.scalar(select(func.count()).select_from(DashboardSession)) == 0
        assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0

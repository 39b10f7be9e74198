"""The sign-in throttle: 5 failures per account and 20 per address in 15 minutes, then 429
with Retry-After, the right password included; counted in the database, so two app
processes on one database count together."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.sign_in_throttle import ACCOUNT_FAILURES, ADDRESS_FAILURES, WINDOW
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.sim.clock import SteppedClock
from tests.dashboard.conftest import START
from tests.dashboard.pages import PASSWORD, make_user, token_of
from tests.databases import empty_all_tables


def _try(client: TestClient, email: str, password: str) -> httpx.Response:
    client.cookies.clear()
    token = token_of(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )


def _fail(client: TestClient, email: str, times: int) -> None:
    for n in range(times):
        assert _try(client, email, f"wrong password number {n}").status_code == 400


def test_an_account_is_paused_after_five_failures_even_for_the_right_password(
    app_client: TestClient, engine: Engine, clock: SteppedClock
) -> None:
    make_user(engine, "ops@network.example")
    _fail(app_client, "ops@network.example", ACCOUNT_FAILURES)
    clock.advance_to(START + timedelta(minutes=5))
    refused = _try(app_client, "ops@network.example", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == (WINDOW - timedelta(minutes=5)).total_seconds()
    assert "Too many failed sign-ins for this account" in refused.text and "try again in 10 minutes" in refused.text
    assert app_client.get("/console", follow_redirects=False).status_code == 303  # nobody signed in
    # Typing the e-mail differently is the same account.
    assert _try(app_client, " OPS@network.example", PASSWORD).status_code == 429
    clock.advance_to(START + WINDOW + timedelta(seconds=1))
    assert _try(app_client, "ops@network.example", PASSWORD).status_code == 303


def test_the_limit_is_per_account(app_client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    make_user(engine, "other@network.example")
    _fail(app_client, "ops@network.example", ACCOUNT_FAILURES)
    assert _try(app_client, "ops@network.example", PASSWORD).status_code == 429
    assert _try(app_client, "other@network.example", PASSWORD).status_code == 303


def test_a_success_clears_its_accounts_count(app_client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    _fail(app_client, "ops@network.example", ACCOUNT_FAILURES - 1)
    assert _try(app_client, "ops@network.example", PASSWORD).status_code == 303
    _fail(app_client, "ops@network.example", ACCOUNT_FAILURES - 1)
    assert _try(app_client, "ops@network.example", PASSWORD).status_code == 303
    _fail(app_client, "ops@network.example", ACCOUNT_FAILURES)
    assert _try(app_client, "ops@network.example", PASSWORD).status_code == 429


def test_an_address_is_paused_after_twenty_failures_across_accounts(app_client: TestClient, engine: Engine) -> None:
    """Spraying a few guesses at many accounts stays under each account's limit, not the
    address's; and a success of the attacker's own account does not clear its count."""
    make_user(engine, "mine@network.example")
    make_user(engine, "ops@network.example")
    per_account = ACCOUNT_FAILURES - 1
    for n in range((ADDRESS_FAILURES - 1) // per_account):
        _fail(app_client, f"person{n}@network.example", per_account)
    _fail(app_client, "someone@network.example", (ADDRESS_FAILURES - 1) % per_account)
    assert _try(app_client, "mine@network.example", PASSWORD).status_code == 303
    _fail(app_client, "ops@network.example", 1)  # the twentieth failure
    for email in ("mine@network.example", "ops@network.example"):  # no account had five
        refused = _try(app_client, email, PASSWORD)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "your network address" in refused.text


def test_two_processes_on_one_database_count_together(engine: Engine, settings: Settings, clock: SteppedClock) -> None:
    """As with `serve --workers 2`: each app alone saw fewer than five failures."""
    make_user(engine, "ops@network.example")
    with (
        TestClient(create_app(settings, engine, clock=clock)) as first,
        TestClient(create_app(settings, engine, clock=clock)) as second,
    ):
        for n in range(ACCOUNT_FAILURES):
            assert _try(first if n % 2 else second, "ops@network.example", f"wrong {n} password").status_code == 400
        assert _try(first, "ops@network.example", PASSWORD).status_code == 429
        assert _try(second, "ops@network.example", PASSWORD).status_code == 429
    empty_all_tables(engine)

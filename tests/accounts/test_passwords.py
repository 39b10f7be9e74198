"""The password rule: length and zxcvbn's estimate, the same wherever a password is set."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.models import User
from shelfspace.accounts.passwords import MIN_PASSWORD_LENGTH, password_problem, verify_password
from shelfspace.catalog.models import Advertiser
from shelfspace.core.ids import new_id
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim.demo_logins import DEMO_PASSWORD, ensure_demo_logins
from tests.dashboard.pages import token_of
from tests.servers import base_env, shelfspace
from tests.support import Api, field_errors

WEAK = {
    "aaaaaaaaaaaa": "repeats",
    "123456789012": "commonly used password",
    "password1234": "very common password",
    " " * 12: "repeats",
}
STRONG = "quiet orchard lantern 58"


@pytest.mark.parametrize("password", list(WEAK))
def test_weak_passwords_of_twelve_characters_are_refused_with_the_reason_and_advice(password: str) -> None:
    problem = password_problem(password, ["ops@shop.example"])
    assert problem is not None
    assert "too easy to guess" in problem and WEAK[password] in problem.lower()
    assert "Add another word or two" in problem  # zxcvbn's suggestion


def test_a_strong_password_passes_and_a_short_one_names_the_minimum() -> None:
    assert password_problem(STRONG, ["ops@shop.example"]) is None
    assert password_problem("x7#Lq", []) == f"must be at least {MIN_PASSWORD_LENGTH} characters long"


def test_a_password_made_of_the_persons_email_is_weak() -> None:
    for password in ("harbortea2026!", "ops@harbortea.example"):
        assert password_problem(password, []) is None
        assert password_problem(password, ["ops@harbortea.example"]) is not None


def test_only_the_start_of_a_very_long_password_is_estimated() -> None:
    """zxcvbn refuses more than 72 characters; a long password is judged by its start."""
    assert password_problem(STRONG * 40, []) is None
    assert password_problem("a" * 1000, []) is not None


def test_the_api_refuses_weak_passwords_naming_the_field(operator: Api, engine: Engine) -> None:
    for n, password in enumerate(WEAK):
        body = operator.post(
            "/v1/users", {"email": f"u{n}@shop.example", "password": password, "role": "operator"}, status=422
        )
        assert "too easy to guess" in field_errors(body)["password"]
    operator.post("/v1/users", {"email": "ops@shop.example", "password": STRONG, "role": "operator"})
    with session_scope(make_sessionmaker(engine)) as db:
        assert [u.email for u in db.scalars(select(User))] == ["ops@shop.example"]  # nothing half written


def test_sign_up_refuses_a_weak_password_beside_the_field(client: TestClient, engine: Engine) -> None:
    token = token_of(client.get("/signup").text)
    answer = client.post(
        "/signup",
        data={
            "name": "Harbor Tea",
            "domain": "harbortea.example",
            "category": "",
            "email": "ops@harbortea.example",
            "password": "password1234",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 400
    assert 'id="password-error"' in answer.text and "too easy to guess" in answer.text
    with session_scope(make_sessionmaker(engine)) as db:
        assert db.scalar(select(User)) is None and db.scalar(select(Advertiser)) is None


def test_the_cli_refuses_a_weak_password(tmp_path: Path) -> None:
    made = shelfspace(
        "users",
        "create",
        "--email",
        "ops@shop.example",
        "--password-stdin",
        env=base_env(tmp_path),
        input="123456789012\n",
    )
    assert made.returncode == 2
    assert "too easy to guess" in made.stderr + made.stdout


def test_the_demo_logins_pass_the_rule(engine: Engine, client: TestClient) -> None:
    """`client` only to empty the tables afterwards."""
    assert password_problem(DEMO_PASSWORD, ["operator@freshmart.example"]) is None
    with session_scope(make_sessionmaker(engine)) as db:
        db.add(Advertiser(id=new_id("adv"), name="Dairyland", domain="dairyland.example"))
        db.flush()
        logins = ensure_demo_logins(db)
        db.flush()
        users = {u.email: u for u in db.scalars(select(User))}
        assert [login.email for login in logins] == ["operator@freshmart.example", "dairyland@brands.example"]
        assert all(verify_password(users[login.email].password_hash, DEMO_PASSWORD) for login in logins)

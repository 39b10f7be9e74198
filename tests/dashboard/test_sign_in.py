"""Signing in to the dashboard: sessions, form tokens, and where people land."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from tests.dashboard.pages import PASSWORD, make_user, sign_in, token_of
from tests.support import Api


def test_a_page_without_a_session_sends_people_to_sign_in(client: TestClient) -> None:
    answer = client.get("/console/review?tab=creatives", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/console/review%3Ftab%3Dcreatives"


def test_a_wrong_password_is_named_beside_the_form_and_signs_nobody_in(client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    token = token_of(client.get("/login").text)
    answer = client.post("/login", data={"email": "ops@network.example", "password": "wrong", "csrf_token": token})
    assert answer.status_code == 400
    assert "do not match an account" in answer.text
    assert 'value="ops@network.example"' in answer.text  # what was typed stays
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_an_operator_lands_on_the_console_and_a_brand_on_its_campaigns(
    client: TestClient, engine: Engine, operator: Api
) -> None:
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    assert client.get("/", follow_redirects=False).headers["location"] == "/console"
    brand = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    make_user(engine, "brand@acme.example", Role.ADVERTISER, brand["id"])
    client.cookies.clear()
    sign_in(client, "brand@acme.example")
    assert client.get("/", follow_redirects=False).headers["location"] == "/brand"
    # A brand on an operator page finds nothing there, as with the API.
    assert client.get("/console").status_code == 404


def test_a_form_without_its_token_is_refused_and_does_nothing(client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    client.get("/login")
    answer = client.post("/login", data={"email": "ops@network.example", "password": PASSWORD})
    assert answer.status_code == 403
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_signing_in_never_redirects_to_another_site(client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    token = token_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={
            "email": "ops@network.example",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/steal",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console"


def test_signing_out_ends_the_session(client: TestClient, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    token = token_of(client.get("/login", follow_redirects=True).text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_api_paths_never_set_or_read_a_session_cookie(client: TestClient, engine: Engine, operator: Api) -> None:
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    answer = client.get("/v1/placements")  # the session cookie is sent, but an API key is still required
    assert answer.status_code == 401
    assert "set-cookie" not in client.get("/healthz").headers

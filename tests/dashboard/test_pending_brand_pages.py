"""A brand waiting for approval, or a person who has not confirmed the e-mail, sees only
where they stand: every page route of the app is walked, read from the app itself, so a
new page cannot slip past the gate.
"""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from shelfspace.accounts.models import User
from shelfspace.accounts.roles import Role
from shelfspace.dashboard.approval_gate import OPEN_BEFORE_APPROVAL
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import make_user, sign_in, token_of
from tests.support import Api, build_network

PARAM = re.compile(r"\{[^}]+\}")


def page_routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if route.path is not None and route.methods and getattr(route.original_route, "renders_html", False):
            found += [(method, route.path) for method in sorted(route.methods) if method != "HEAD"]
    return found


def _pending_brand(client: TestClient, operator: Api, engine: Engine) -> str:
    build_network(operator, operator.post("/v1/advertisers", {"name": "Bolt", "domain": "bolt.example"})["id"])
    brand = operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"})
    make_user(engine, "ops@harbortea.example", Role.ADVERTISER, brand["id"])
    sign_in(client, "ops@harbortea.example")
    return str(brand["id"])


def walk(client: TestClient, marker: str) -> int:
    """Every page but the open ones answers with the page that says where the person stands."""
    token = token_of(client.get("/signup").text)
    walked = 0
    for method, template in page_routes(client):
        if template in OPEN_BEFORE_APPROVAL:
            continue
        url = PARAM.sub("x", template)
        answer = client.request(
            method, url, data={"csrf_token": token} if method == "POST" else None, follow_redirects=False
        )
        expected = {200, 403} if template == "/brand" else {403}
        assert answer.status_code in expected and marker in answer.text, f"{method} {url}: {answer.status_code}"
        assert "Bolt" not in answer.text, f"{method} {url} shows another brand"
        walked += 1
    return walked


def test_a_pending_brand_sees_only_its_own_sign_up(client: TestClient, operator: Api, engine: Engine) -> None:
    brand = _pending_brand(client, operator, engine)
    assert walk(client, 'data-state="awaiting-approval"') >= 30
    home = client.get("/brand")
    assert "Harbor Tea" in home.text and "ops@harbortea.example" in home.text
    # The same pages open once the operator approves: the gate is what refused them.
    operator.patch(f"/v1/advertisers/{brand}", {"status": "active"})
    token = token_of(client.get("/brand/campaigns/new").text)
    forecast = client.post("/brand/forecast", data={"csrf_token": token, "placements": "home-hero"})
    assert forecast.status_code == 422 and forecast.json()["error"]["fields"]  # the form is read: its gaps named
    assert "Home hero" in client.get("/brand/campaigns/new").text


def test_an_unverified_person_sees_only_check_your_email(client: TestClient, operator: Api, engine: Engine) -> None:
    brand = _pending_brand(client, operator, engine)
    operator.patch(f"/v1/advertisers/{brand}", {"status": "active"})  # even approved: the e-mail comes first
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(User).where(User.email == "ops@harbortea.example").values(email_verified_at=None))
    assert walk(client, 'data-state="check-email"') >= 30


def test_the_media_kit_stays_public_for_visitors(client: TestClient, operator: Api, engine: Engine) -> None:
    """The operator's offer is public by design; only a signed-in brand that is not approved is turned away."""
    assert client.get("/media-kit").status_code == 200
    _pending_brand(client, operator, engine)
    assert client.get("/media-kit").status_code == 403

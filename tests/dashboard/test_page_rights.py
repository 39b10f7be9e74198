"""Each team role's rights hold on every console and brand page.

The page routes are read from the app itself, not from a list: for each side and each
team role it offers, a signed-in person opens every page and sends every form of their
side (with a valid form token, an empty form). Where the role lacks the page's right
(accounts/route_rights.py) the answer is the 403 page naming the role; where it holds it,
the answer is never that refusal. The navigation offers only the pages a role opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from starlette.routing import BaseRoute

from shelfspace.accounts.models import User
from shelfspace.accounts.rights import TEAM_ROLES, Role, TeamRole, rights_of
from shelfspace.accounts.route_rights import page_declared, page_right
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import make_user, sign_in, token_of
from tests.support import Api, build_network

ROLES = [(side, team_role) for side, offered in TEAM_ROLES.items() for team_role in offered]
REFUSAL = re.compile(r"Your role \([a-z ]+\) does not include this page")
NAV = re.compile(r'<nav class="nav" aria-label="Main">(.*?)</nav>', re.S)


def _routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    """Every route, through the routers included in others (FastAPI keeps each router whole
    and includes it lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)


def page_routes(client: TestClient, side: Role) -> list[tuple[str, str]]:
    prefix = "/console" if side is Role.OPERATOR else "/brand"
    return sorted(
        {
            (method, route.path_format)
            for route in _routes(client.app.routes)  # type: ignore[attr-defined]
            if getattr(route, "renders_html", False) and route.path_format.startswith(prefix)
            for method in route.methods
        }
    )


def person(engine: Engine, email: str, side: Role, team_role: TeamRole, advertiser_id: str | None) -> None:
    user_id = make_user(engine, email, side, advertiser_id)
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(User).where(User.id == user_id).values(team_role=team_role))


def test_every_page_form_declares_its_right(client: TestClient) -> None:
    undeclared = [f"{m} {p}" for side in Role for m, p in page_routes(client, side) if not page_declared(m, p)]
    assert not undeclared, f"name the right these need in accounts/route_rights.py: {', '.join(undeclared)}"


@pytest.mark.parametrize(("side", "team_role"), ROLES, ids=[f"{s}-{t}" for s, t in ROLES])
def test_a_role_is_refused_exactly_the_pages_it_has_no_right_to(
    client: TestClient, operator: Api, engine: Engine, side: Role, team_role: TeamRole
) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    email = f"{team_role.replace('_', '-')}@{'shop' if side is Role.OPERATOR else 'acme'}.example"
    person(engine, email, side, team_role, brand if side is Role.ADVERTISER else None)
    sign_in(client, email)
    home = "/console" if side is Role.OPERATOR else "/brand"
    token = token_of(client.get(home).text)
    held = rights_of(side, team_role)
    refused = 0
    for method, path in page_routes(client, side):
        url = re.sub(r"\{[^}]+\}", "x", path)
        answer = (
            client.get(url, follow_redirects=False)
            if method == "GET"
            else client.post(url, data={"csrf_token": token}, follow_redirects=False)
        )
        right = page_right(method, path)
        assert right is not None
        if right in held:
            assert not REFUSAL.search(answer.text), f"{method} {url} as {side} {team_role}"
        else:
            assert answer.status_code == 403 and REFUSAL.search(answer.text), (
                f"{method} {url} as {side} {team_role}: {answer.status_code}"
            )
            refused += 1
        assert client.get(home).status_code == 200, f"{method} {url} ended the session"  # still signed in
    offered = set(re.findall(r'href="([^"]+)"', NAV.search(client.get(home).text).group(1)))  # type: ignore[union-attr]
    assert all(page_right("GET", href) in held for href in offered if page_right("GET", href) is not None)
    if team_role is not TeamRole.ADMIN:
        assert refused >= 1


LINK = re.compile(r'<a [^>]*href="(/(?:brand|console)[^"?#]*)|<form [^>]*action="(/(?:brand|console)[^"?#]*)"')


def _template_of(client: TestClient, side: Role, path: str, method: str) -> str | None:
    for route_method, template in page_routes(client, side):
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        if route_method == method and re.match(pattern, path):
            return template
    return None


@pytest.mark.parametrize("team_role", TEAM_ROLES[Role.ADVERTISER], ids=lambda t: str(t))
def test_a_brand_page_offers_only_what_the_role_may_do(
    client: TestClient, operator: Api, engine: Engine, team_role: TeamRole
) -> None:
    """No button, link or form on a brand's pages leads a person to a refusal: a
    reporting-only person sees no "New campaign", no Edit, no Pause, no audience builder."""
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    campaign = build_network(operator, brand)["campaign"]["id"]
    email = f"{team_role.replace('_', '-')}@acme.example"
    person(engine, email, Role.ADVERTISER, team_role, brand)
    sign_in(client, email)
    held = rights_of(Role.ADVERTISER, team_role)
    pages = (
        "/brand",
        f"/brand/campaigns/{campaign}",
        "/brand/creatives",
        "/brand/audiences",
        f"/brand/campaigns/{campaign}/measurement",
    )
    offered = 0
    for page in pages:
        html = client.get(page).text
        for href, action in LINK.findall(html):
            method, path = ("GET", href) if href else ("POST", action)
            template = _template_of(client, Role.ADVERTISER, path, method)
            if template is None:
                continue  # not a page route (a static file, a download of another kind)
            right = page_right(method, template)
            assert right is None or right in held, f"{page} offers {method} {path} ({right}) to {team_role}"
            offered += 1
    assert offered >= 5

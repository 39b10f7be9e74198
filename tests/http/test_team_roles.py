"""Each team role's rights hold on every operation the OpenAPI document lists.

For every side (operator staff, a brand) and every team role it offers, a key with that
scope calls every non-public operation: where the role lacks the right the route needs
(accounts/route_rights.py) the answer is 403 naming the role, before any id or body is
looked at; where it holds it, the refusal is never the role's (the operation may still
answer 404, 422 or a tenancy 403 of its own). The rights themselves are read from
accounts/rights.py, and the expected answer is spelled out for a few operations by hand
so the table cannot drift from what a user of each role expects.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, update

from shelfspace.accounts.models import ApiKey
from shelfspace.accounts.rights import TEAM_ROLES, Right, Role, TeamRole, rights_of
from shelfspace.accounts.route_rights import api_declared, api_right
from shelfspace.accounts.service import hash_key
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.conftest import new_key
from tests.http.tenancy import PUBLIC, operations
from tests.support import Api

ROLES = [(side, team_role) for side, offered in TEAM_ROLES.items() for team_role in offered]
ROLE_REFUSAL = "your role ("


def scoped_key(engine: Engine, side: Role, team_role: TeamRole, advertiser_id: str | None) -> str:
    secret = new_key(engine, side, advertiser_id)
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(ApiKey).where(ApiKey.key_hash == hash_key(secret)).values(team_role=team_role))
    return secret


def test_every_operation_declares_the_right_it_needs(operator: Api) -> None:
    undeclared = [
        f"{m.upper()} {p}" for m, p in operations(operator) if (m, p) not in PUBLIC and not api_declared(m, p)
    ]
    assert not undeclared, f"name the right these need in accounts/route_rights.py: {', '.join(undeclared)}"


@pytest.mark.parametrize(("side", "team_role"), ROLES, ids=[f"{s}-{t}" for s, t in ROLES])
def test_a_role_is_refused_exactly_the_operations_it_has_no_right_to(
    operator: Api, engine: Engine, side: Role, team_role: TeamRole
) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    caller = Api(operator.client, scoped_key(engine, side, team_role, brand if side is Role.ADVERTISER else None))
    held = rights_of(side, team_role)
    refused, allowed = 0, 0
    for method, path in operations(operator):
        if (method, path) in PUBLIC:
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        answer = caller.call(method.upper(), url, {} if method in {"post", "patch", "put"} else None)
        message = (
            answer.json().get("error", {}).get("message", "")
            if answer.headers.get("content-type", "").startswith("application/json")
            else ""
        )
        if api_right(method, path) in held:
            assert ROLE_REFUSAL not in message, f"{method} {url} as {side} {team_role}: {message}"
            allowed += 1
        else:
            assert answer.status_code == 403 and ROLE_REFUSAL in message, (
                f"{method} {url} as {side} {team_role}: {answer.status_code} {answer.text[:200]}"
            )
            refused += 1
    assert allowed >= 30  # every role reads
    if team_role is not TeamRole.ADMIN:
        assert refused >= 10


# What a person of each role expects, written out: the table above must agree.
EXPECTED = {
    (Role.OPERATOR, TeamRole.FINANCE): {
        ("post", "/v1/advertisers/{id}/top-ups"): True,
        ("patch", "/v1/campaigns/{id}"): False,
        ("post", "/v1/placements"): False,
        ("get", "/v1/billing/revenue"): True,
        ("post", "/v1/api-keys"): False,
    },
    (Role.OPERATOR, TeamRole.AD_OPS): {
        ("post", "/v1/advertisers/{id}/top-ups"): False,
        ("patch", "/v1/campaigns/{id}"): True,
        ("post", "/v1/placements"): True,
        ("get", "/v1/billing/revenue"): False,
        ("get", "/v1/audit-log"): False,
    },
    (Role.ADVERTISER, TeamRole.CAMPAIGN_MANAGER): {
        ("post", "/v1/campaigns"): True,
        ("post", "/v1/creatives"): True,
        ("get", "/v1/api-keys"): False,
        ("get", "/v1/users"): False,
        ("post", "/v1/invoices"): False,
    },
    (Role.ADVERTISER, TeamRole.REPORTING): {
        ("get", "/v1/reports"): True,
        ("post", "/v1/forecasts"): True,
        ("post", "/v1/campaigns"): False,
        ("patch", "/v1/line-items/{id}"): False,
        ("delete", "/v1/creatives/{id}"): False,
    },
}


@pytest.mark.parametrize("who", list(EXPECTED), ids=[f"{s}-{t}" for s, t in EXPECTED])
def test_the_rights_read_as_each_job_expects(who: tuple[Role, TeamRole]) -> None:
    for (method, path), may in EXPECTED[who].items():
        assert (api_right(method, path) in rights_of(*who)) is may, f"{who}: {method} {path}"


def test_no_role_gives_more_than_its_admin_and_sides_do_not_mix() -> None:
    for side, offered in TEAM_ROLES.items():
        admin = rights_of(side, TeamRole.ADMIN)
        assert all(rights_of(side, t) <= admin for t in offered)
        other = Role.ADVERTISER if side is Role.OPERATOR else Role.OPERATOR
        assert all(not rights_of(side, t) for t in TEAM_ROLES[other] if t not in offered)
    assert Right.SECURITY not in rights_of(Role.ADVERTISER, TeamRole.ADMIN)

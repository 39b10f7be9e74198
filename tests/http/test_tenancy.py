"""Tenancy holds for every endpoint the OpenAPI document lists.

The operations are read from `/openapi.json`, not from a hand-kept list: each one is
sorted into a rule by its collection (`/v1/<collection>...`) and shape (list, create,
one object). An operation that no rule covers fails the test, so a new endpoint cannot
ship without saying who may call it.

Two advertisers, A and B, each with a campaign, a line item and a creative. A's key:
- gets 404 for B's objects on every GET/PATCH/DELETE, and B's objects do not change;
- lists only its own objects, whatever filter it passes;
- gets 422 naming the field when it points a new object at B's objects;
- may read placements and products but not change them (403);
- manages only its own brand's API keys (another brand's key reads as not found);
- manages only its own people and invitations (another brand's read as not found);
- reads the audit log of its own objects only.
Without a key (or with a wrong one) every non-public operation answers 401.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.billing import invoices, ledger
from shelfspace.billing.models import EntryKind
from shelfspace.catalog.models import Advertiser
from shelfspace.db.session import session_scope
from shelfspace.notifications import service as notices
from shelfspace.notifications.kinds import NoticeKind
from shelfspace.reporting.models import RollupDay, RollupHour
from tests.conftest import new_key
from tests.http.tenancy import (
    CHANGE,
    OPERATOR_ONLY,
    OWNED,
    PUBLIC,
    SHARED_READ_ONLY,
    Tenants,
    collection_and_shape,
    fill,
    operations,
)
from tests.support import Api, banner_creative, build_network, campaign_body, field_errors, line_item_body, runtime

# --- the rules --------------------------------------------------------------------------


def owned_item(t: Tenants, method: str, path: str, collection: str) -> None:
    url = fill(path, t.b_objects[collection])
    before = t.operator.get(url)
    body = CHANGE[collection] if method == "patch" else None
    answer = t.a.call(method.upper(), url, body)
    assert answer.status_code == 404, f"{method} {url} as A: {answer.status_code} {answer.text}"
    assert answer.json()["error"]["code"] == "not_found"
    assert t.operator.get(url) == before, f"{method} {url} as A changed B's object"


def owned_collection(t: Tenants, method: str, path: str, collection: str) -> None:
    if method == "get":
        own = t.a_objects["advertisers"]
        owner_field = "id" if collection == "advertisers" else "advertiser_id"
        for params in ({}, {"advertiser_id": t.b_objects["advertisers"]}, {"include_archived": "true"}):
            listed = t.a.get(path, params=params)["data"]
            assert all(o[owner_field] == own for o in listed), f"{path}?{params} shows another advertiser's objects"
        assert t.a.get(path)["data"], f"{path} hides A's own objects"
        return
    assert method == "post"
    b_campaign, b_line_item = t.b_objects["campaigns"], t.b_objects["line-items"]
    cross_references: dict[str, list[tuple[dict[str, Any], str, int]]] = {
        "advertisers": [({"name": "Mine now", "domain": "mine.example"}, "", 403)],
        "campaigns": [(campaign_body(t.b_objects["advertisers"]), "advertiser_id", 422)],
        "line-items": [(line_item_body(b_campaign), "campaign_id", 422)],
        "creatives": [
            (banner_creative(None, b_line_item), "line_item_id", 422),
            (banner_creative(t.b_objects["advertisers"], None), "advertiser_id", 422),
        ],
    }
    for body, field, status in cross_references[collection]:
        answer = t.a.post(path, body, status=status)
        if field:
            assert field in field_errors(answer), f"POST {path} as A: {answer}"
    if collection == "creatives":  # moving one's own creative onto B's line item
        answer = t.a.patch(f"{path}/{t.a_objects['creatives']}", {"line_item_id": b_line_item}, status=422)
        assert "line_item_id" in field_errors(answer)


NEW_SHARED = {
    "/v1/placements": {"id": "mine", "name": "Mine", "channel": "web", "format": "native"},
    "/v1/products": {"sku": "NEW-1", "title": "New"},
    "/v1/products/import": {"products": [{"sku": "NEW-1", "title": "New"}]},
}


def shared_read_only(t: Tenants, method: str, path: str, collection: str) -> None:
    url = fill(path, t.shared[collection])
    if method == "get":
        t.a.get(url)
        return
    one = f"/v1/{collection}/{t.shared[collection]}"
    before = t.operator.get(one)
    body = NEW_SHARED[path] if method == "post" else CHANGE[collection] if method == "patch" else None
    answer = t.a.call(method.upper(), url, body)
    assert answer.status_code == 403, f"{method} {url} as A: {answer.status_code} {answer.text}"
    assert t.operator.get(one) == before
    assert (
        t.operator.get(f"/v1/{collection}", params={"limit": 200})["data"]
        == t.operator.get(f"/v1/{collection}", params={"limit": 200})["data"]
    )


def operator_only(t: Tenants, method: str, path: str, collection: str) -> None:
    target = t.operator.get("/v1/api-keys")["data"][0]["id"] if "{id}" in path else ""
    body: dict[str, Any] = (
        {"role": "operator"}
        if collection == "api-keys"
        else {"email": "x@acme.example", "password": "a long password 123", "role": "operator"}
    )
    if collection == "events":
        body = {"events": []}
    if collection == "demand-partners":  # refused before the body or the id is looked at
        answer = t.a.call(
            method.upper(),
            fill(path, "dp_any"),
            {"name": "Mine", "endpoint": "https://dsp.example/bid"} if method in {"post", "patch"} else None,
        )
        assert answer.status_code == 403, f"{method} {path} as A: {answer.status_code} {answer.text}"
        return
    answer = t.a.call(method.upper(), fill(path, target), body if method == "post" else None)
    assert answer.status_code == 403, f"{method} {path} as A: {answer.status_code} {answer.text}"


def own_keys(t: Tenants, method: str, path: str, collection: str) -> None:
    """A's admin key lists and creates only its own brand's keys (naming B: 422); B's key
    reads as not found and keeps working."""
    mine, theirs = t.a_objects["advertisers"], t.b_objects["advertisers"]
    b_key = t.operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": theirs})
    if method == "get":
        listed = t.a.get(path)["data"]
        assert listed and all(k["advertiser_id"] == mine for k in listed), f"{path} as A shows others' keys"
    elif method == "post":
        assert t.a.post(path, {"role": "advertiser"})["advertiser_id"] == mine
        assert "advertiser_id" in field_errors(
            t.a.post(path, {"role": "advertiser", "advertiser_id": theirs}, status=422)
        )
    else:
        answer = t.a.call(method.upper(), fill(path, b_key["id"]))
        assert answer.status_code == 404, f"{method} {path} of B's key as A: {answer.status_code} {answer.text}"
        Api(t.a.client, b_key["key"]).get("/v1/campaigns")


def operator_only_metrics(t: Tenants, method: str, path: str, collection: str) -> None:
    """/metrics names every demand partner: an advertiser's key may not scrape it."""
    answer = t.a.call("GET", path)
    assert answer.status_code == 403, f"{method} {path} as A: {answer.status_code} {answer.text}"
    assert t.operator.call("GET", path).status_code == 200


def operator_only_report(t: Tenants, method: str, path: str, collection: str) -> None:
    """A demand partner's report: an advertiser key is refused even with a valid query."""
    answer = t.a.call("GET", fill(path, "dp_any") + "?from=2026-06-01&to=2026-06-01")
    assert answer.status_code == 403, f"{method} {path} as A: {answer.status_code} {answer.text}"


def own_report(t: Tenants, method: str, path: str, collection: str) -> None:
    """An advertiser asking for another advertiser's report gets its own rows only."""
    with session_scope(runtime(t.operator.client).db_sessions) as db:
        for advertiser, impressions in ((t.a_objects["advertisers"], 7), (t.b_objects["advertisers"], 9)):
            # The rollup job writes each hour and the day it adds up to; a day report reads the day.
            row = dict(
                day="2026-06-01",
                advertiser_id=advertiser,
                campaign_id="c",
                line_item_id="l",
                creative_id="cr",
                placement_id="home-hero",
                channel="web",
                sku="",
                impressions=impressions,
                viewable_impressions=0,
                clicks=0,
                spend_micros=0,
                invalid_impressions=0,
                invalid_viewable_impressions=0,
                invalid_clicks=0,
            )
            db.add(RollupHour(hour=10, **row))
            db.add(RollupDay(**row))
    asked = f"{path}?from=2026-06-01&to=2026-06-01&group_by=advertiser&advertiser_id={t.b_objects['advertisers']}"
    answer = t.a.get(asked)
    assert [(r["advertiser_id"], r["impressions"]) for r in answer["rows"]] == [(t.a_objects["advertisers"], 7)]
    assert answer["totals"]["impressions"] == 7


def owned_measurement(t: Tenants, method: str, path: str, collection: str) -> None:
    """A measurement of an owned object (`/v1/campaigns/{campaign_id}/lift`): A's own reads,
    B's is not found."""
    own, theirs = (path.replace("{campaign_id}", t_objects["campaigns"]) for t_objects in (t.a_objects, t.b_objects))
    if method == "get":
        assert t.a.call("GET", own).status_code == 200
    else:  # the operator's words: an advertiser may not edit them, even on its own campaign
        assert t.a.call(method.upper(), own, {"headline": "Mine"}).status_code == 403
    answer = t.a.call(method.upper(), theirs, {"headline": "Mine"} if method == "patch" else None)
    assert answer.status_code == 404, f"{method} {theirs} as A: {answer.status_code} {answer.text}"


def owned_study(t: Tenants, method: str, path: str, collection: str) -> None:
    """Brand lift studies belong to the campaign's advertiser: A lists and reads only its own,
    cannot start one on B's campaign, and B's reads as not found."""
    body = {"question": "Which of these have you heard of?", "answers": ["Acme", "Bolt"], "correct_answer": "Bolt"}
    if method == "post":
        refused = t.a.post(path, body | {"campaign_id": t.b_objects["campaigns"]}, status=422)
        assert "campaign_id" in field_errors(refused)
        return
    t.operator.patch(f"/v1/campaigns/{t.b_objects['campaigns']}", {"holdout_percent": 10})
    theirs = t.operator.post("/v1/brand-lift-studies", body | {"campaign_id": t.b_objects["campaigns"]})
    if "{study_id}" in path:
        url = path.replace("{study_id}", theirs["id"])
        answer = t.a.call(method.upper(), url, {"status": "closed"} if method == "patch" else None)
        assert answer.status_code == 404, f"{method} {url} as A: {answer.status_code} {answer.text}"
        assert t.operator.get(url)["status"] == "live"
    else:
        assert all(s["advertiser_id"] == t.a_objects["advertisers"] for s in t.a.get(path)["data"])


def owns_nothing(t: Tenants, method: str, path: str, collection: str) -> None:
    """Arithmetic on the caller's own numbers (`/v1/lift/plan`): any valid key may ask."""
    t.a.post(path, {"baseline_rate": 0.02, "expected_rate": 0.03}, status=200)


def owned_forecast(t: Tenants, method: str, path: str, collection: str) -> None:
    """A forecast is of one's own line item: A forecasts in a new campaign of its own and in
    its own campaign; B's advertiser, campaign or line item are refused naming the field."""
    line_item = {k: v for k, v in line_item_body("").items() if k not in ("campaign_id", "name")}
    a_campaign, b_campaign = t.a_objects["campaigns"], t.b_objects["campaigns"]
    t.a.post(path, {"campaign": campaign_body(None), "line_item": line_item}, status=200)
    t.a.post(
        path, {"line_item": line_item | {"campaign_id": a_campaign}, "replaces": t.a_objects["line-items"]}, status=200
    )
    for body, field in (
        ({"campaign": campaign_body(t.b_objects["advertisers"]), "line_item": line_item}, "campaign.advertiser_id"),
        ({"line_item": line_item | {"campaign_id": b_campaign}}, "line_item.campaign_id"),
        ({"campaign": campaign_body(None), "line_item": line_item, "replaces": t.b_objects["line-items"]}, "replaces"),
    ):
        answer = t.a.post(path, body, status=422)
        assert field in field_errors(answer), f"POST {path} as A: {answer}"


def audience_tenancy(t: Tenants, method: str, path: str, collection: str) -> None:
    """A brand sees the network's segments and its own, never another brand's; sizes only;
    contact data, erasure and exports are the operator's."""
    if collection == "identities":
        body = {"users": [{"user_id": "u-1", "email": "u1@example.com"}]} if method == "post" else None
        answer = t.a.call(method.upper(), path.replace("{user_id}", "u-1"), body)
        assert answer.status_code == 403, f"{method} {path} as A: {answer.status_code} {answer.text}"
        return
    theirs = t.operator.post(
        "/v1/audiences", {"name": "Bolt's", "advertiser_id": t.b_objects["advertisers"], "rule": {"event": "view"}}
    )
    network = t.operator.post("/v1/audiences", {"name": "Network", "rule": {"event": "search", "query": "tent"}})
    if path == "/v1/audiences" and method == "get":
        listed = {a["id"] for a in t.a.get(path)["data"]}
        assert network["id"] in listed and theirs["id"] not in listed
    elif path == "/v1/audiences" and method == "post":
        mine = t.a.post(path, {"name": "Mine", "rule": {"event": "view"}})
        assert mine["advertiser_id"] == t.a_objects["advertisers"]
        answer = t.a.post(
            path,
            {"name": "As Bolt", "rule": {"event": "view"}, "advertiser_id": t.b_objects["advertisers"]},
            status=422,
        )
        assert "advertiser_id" in field_errors(answer)
    elif path in ("/v1/audiences/preview", "/v1/audiences/taxonomy"):
        answer = (
            t.a.call("POST", path, {"rule": {"event": "view"}})
            if method == "post"
            else t.a.call("GET", path, params={"q": "coffee"})
        )
        assert answer.status_code == 200 and "u-" not in answer.text
    elif path.endswith("/export") or path.endswith("/exports"):
        answer = t.a.call("GET", fill(path, theirs["id"]), params={"platform": "meta"})
        assert answer.status_code == 403, f"{path} as A: {answer.status_code}"
    else:
        url = fill(path, theirs["id"])
        answer = t.a.call(method.upper(), url, {"name": "Mine now"} if method == "patch" else None)
        assert answer.status_code == 404, f"{method} {url} as A: {answer.status_code} {answer.text}"
        assert t.operator.get(url)["name"] == "Bolt's"
        if method == "get":
            assert t.a.get(fill(path, network["id"]))["name"] == "Network"


def billing_tenancy(t: Tenants, method: str, path: str, collection: str) -> None:
    """A brand reads its own balance, ledger and documents; another's read as not found;
    money is recorded by the operator only, and the network's revenue is the operator's."""
    mine, theirs = t.a_objects["advertisers"], t.b_objects["advertisers"]
    t.operator.patch(f"/v1/advertisers/{theirs}", {"billing_mode": "prepaid"})
    t.operator.post(f"/v1/advertisers/{theirs}/top-ups", {"amount": "25", "reference": "BANK-B-1"})
    if path.startswith("/v1/advertisers/"):
        if method == "post":  # top-ups, credits, refunds, terms: refused before anything is read
            body = {"amount": "5", "reason": "mine"} if path.endswith("/credits") else {"amount": "5", "reference": "m"}
            if path.endswith("/terms"):
                body = {"billing_mode": "credit", "credit_limit": "5", "reason": "mine"}
            before = t.operator.get(f"/v1/advertisers/{theirs}/ledger")
            for target in (mine, theirs):
                answer = t.a.call("POST", fill(path, target), body)
                assert answer.status_code == 403, f"POST {path} as A: {answer.status_code} {answer.text}"
            assert t.operator.get(f"/v1/advertisers/{theirs}/ledger") == before
            return
        assert t.a.call("GET", fill(path, mine)).status_code == 200
        answer = t.a.call("GET", fill(path, theirs))
        assert answer.status_code == 404, f"GET {path} of B as A: {answer.status_code} {answer.text}"
        return
    if collection == "billing":
        assert t.a.call(method.upper(), path).status_code == 403
        return
    with session_scope(runtime(t.operator.client).db_sessions) as db:
        ledger.post(
            db,
            advertiser_id=theirs,
            kind=EntryKind.CHARGE,
            amount_micros=-2_000_000,
            day=date(2026, 6, 1),
            time=datetime(2026, 6, 1, 12, tzinfo=UTC),
            actor="test",
            campaign_id=t.b_objects["campaigns"],
        )
        b = db.get(Advertiser, theirs)
        assert b is not None
        issued = invoices.issue_through(
            db, SYSTEM, b, date(2026, 6, 30), runtime(t.operator.client).settings, datetime(2026, 7, 1, tzinfo=UTC)
        )
        assert issued is not None
        theirs_invoice = issued.id
    if path == "/v1/invoices" and method == "get":
        for params in ({}, {"advertiser_id": theirs}):
            assert all(i["advertiser_id"] == mine for i in t.a.get(path, params=params)["data"])
        assert t.operator.get(path, params={"advertiser_id": theirs})["data"]
    elif path == "/v1/invoices" and method == "post":
        answer = t.a.post(path, {"advertiser_id": theirs, "through": "2026-06-30"}, status=422)
        assert "advertiser_id" in field_errors(answer)
    elif method == "get":
        for form in ("json", "html", "pdf"):
            answer = t.a.call("GET", fill(path, theirs_invoice), params={"format": form})
            assert answer.status_code == 404, f"GET {path} ({form}) of B as A: {answer.status_code}"
    else:  # credit notes and payments are the operator's
        body = {"amount": "1", "reason": "x"} if path.endswith("/credit-notes") else {"amount": "1", "reference": "x"}
        answer = t.a.call("POST", fill(path, theirs_invoice), body)
        assert answer.status_code == 403, f"POST {path} as A: {answer.status_code} {answer.text}"


def own_audit_log(t: Tenants, method: str, path: str, collection: str) -> None:
    """A brand reads the history of its own objects, whoever changed them (its advertiser was
    created by the operator), and never another brand's, whatever filter it passes."""
    mine, theirs = t.a_objects["advertisers"], t.b_objects["advertisers"]
    operator_actor = t.operator.get(path, params={"object_id": theirs})["data"][0]["actor"]
    for params in (
        {},
        {"object_id": theirs},
        {"object_type": "campaign", "object_id": t.b_objects["campaigns"]},
        {"actor": operator_actor},
        {"action": "create", "from": "2000-01-01", "to": "2100-01-01"},
    ):
        listed = t.a.get(path, params=params | {"limit": 500})["data"]
        assert all(e["advertiser_id"] == mine for e in listed), f"{path}?{params} shows another's entries"
    seen = {e["object_id"] for e in t.a.get(path, params={"limit": 500})["data"]}
    assert {mine, t.a_objects["campaigns"], t.a_objects["creatives"]} <= seen
    assert not seen & set(t.b_objects.values())


def own_team(t: Tenants, method: str, path: str, collection: str) -> None:
    """A's admin lists and changes only A's people and invitations: B's read as not found and
    do not change; creating a user stays the operator's; inviting into B is a 422."""
    mine, theirs = t.a_objects["advertisers"], t.b_objects["advertisers"]
    person = {"password": "a long password 123", "role": "advertiser"}
    made = {o["email"]: o for kind in ("users", "invites") for o in t.operator.get(f"/v1/{kind}")["data"]}
    if "bea@bolt.example" not in made:  # once: the rule runs for each operation on the same tenants
        made["bea@bolt.example"] = t.operator.post(
            "/v1/users", person | {"email": "bea@bolt.example", "advertiser_id": theirs}
        )
        t.operator.post("/v1/users", person | {"email": "ann@acme.example", "advertiser_id": mine})
        made["new@bolt.example"] = t.operator.post(
            "/v1/invites", {"email": "new@bolt.example", "team_role": "reporting", "advertiser_id": theirs}
        )
        t.a.post("/v1/invites", {"email": "new@acme.example", "team_role": "reporting"})
    b_user, b_invite = made["bea@bolt.example"], made["new@bolt.example"]
    if method == "get":
        listed = t.a.get(path)["data"]
        assert listed and all(o["advertiser_id"] == mine for o in listed), f"{path} as A shows another brand's"
    elif (method, collection) == ("post", "users"):
        answer = t.a.call("POST", path, person | {"email": "x@acme.example", "advertiser_id": mine})
        assert answer.status_code == 403, f"POST {path} as A: {answer.status_code} {answer.text}"
    elif method == "post":
        answer = t.a.post(
            path, {"email": "x@bolt.example", "team_role": "reporting", "advertiser_id": theirs}, status=422
        )
        assert "advertiser_id" in field_errors(answer)
    else:
        target = b_user if collection == "users" else b_invite
        answer = t.a.call(
            method.upper(), fill(path, target["id"]), {"team_role": "reporting"} if method == "patch" else None
        )
        assert answer.status_code == 404, f"{method} {path} of B's as A: {answer.status_code} {answer.text}"
        after = next(o for o in t.operator.get(f"/v1/{collection}")["data"] if o["id"] == target["id"])
        assert (after.get("team_role"), after.get("revoked_at")) == (target["team_role"], None)


def notification_tenancy(t: Tenants, method: str, path: str, collection: str) -> None:
    """A brand lists and marks read its own notices; another's reads as not found and stays unread."""
    mine, theirs = t.a_objects["advertisers"], t.b_objects["advertisers"]
    made = {}
    with session_scope(runtime(t.operator.client).db_sessions) as db:
        for advertiser in (mine, theirs):
            made[advertiser] = notices.emit(
                db,
                notices.NewNotice(
                    advertiser, NoticeKind.BUDGET_LOW, "campaign", f"c-{advertiser}", method, "Low", "Low.", "/brand"
                ),
                datetime.now(UTC),
            )
    if method == "get":
        for params in ({}, {"advertiser_id": theirs}):
            listed = t.a.get(path, params=params)["data"]
            assert listed and all(n["advertiser_id"] == mine for n in listed), f"{path}?{params} as A"
        return
    answer = t.a.call("POST", fill(path, str(made[theirs])))
    assert answer.status_code == 404, f"POST {path} of B's as A: {answer.status_code} {answer.text}"
    assert t.operator.get(path.split("/{")[0], params={"advertiser_id": theirs})["data"][0]["read_at"] is None
    assert t.a.call("POST", fill(path, str(made[mine]))).status_code == 200


def operator_only_policy(t: Tenants, method: str, path: str, collection: str) -> None:
    """The network's sign-in policy: an advertiser's admin key neither reads nor sets it."""
    before = t.operator.get(path)
    answer = t.a.call(method.upper(), path, {"staff_two_factor_required": True} if method == "put" else None)
    assert answer.status_code == 403, f"{method} {path} as A: {answer.status_code} {answer.text}"
    assert t.operator.get(path) == before


Rule = Callable[[Tenants, str, str, str], None]


def rule_for(method: str, path: str) -> Rule | None:
    collection, shape = collection_and_shape(path)
    if collection in OWNED and shape == "item":
        return owned_item
    if collection in OWNED and shape == "collection":
        return owned_collection
    if collection in SHARED_READ_ONLY and (
        shape in {"item", "collection"} or (collection, shape) == ("products", "import")
    ):
        return shared_read_only
    if collection == "api-keys" and shape in {"item", "collection"}:
        return own_keys
    if collection in ("users", "invites") and shape in {"item", "collection"}:
        return own_team
    if collection in OPERATOR_ONLY and shape in {"item", "collection"}:
        return operator_only
    if (collection, shape) == ("users", "{id}/sessions"):
        return operator_only
    if collection == "events" and shape in {"conversions", "behaviour"}:
        return operator_only
    if (collection, shape) == ("demand-partners", "{id}/report"):
        return operator_only_report
    if (method, path) == ("get", "/metrics"):
        return operator_only_metrics
    if collection == "reports" and shape == "collection":
        return own_report
    if collection == "campaigns" and shape in {"{campaign_id}/lift", "{campaign_id}/case-study"}:
        return owned_measurement
    if (collection, shape) == ("lift", "plan"):
        return owns_nothing
    if (collection, shape) == ("forecasts", "collection"):
        return owned_forecast
    if (collection, shape) == ("forecasts", "inventory"):  # the whole network's campaigns: as /metrics, refused
        return operator_only_metrics
    if collection in ("audiences", "identities"):
        return audience_tenancy
    if collection == "access-policy" and shape == "collection":
        return operator_only_policy
    if collection == "audit-log" and shape == "collection":
        return own_audit_log
    if collection == "notifications" and shape in {"collection", "{id}/read"}:
        return notification_tenancy
    if collection == "brand-lift-studies" and shape in {"collection", "item"}:
        return owned_study
    if (
        collection == "advertisers"
        and shape in {"{id}/balance", "{id}/ledger", "{id}/top-ups", "{id}/credits", "{id}/refunds", "{id}/terms"}
    ) or collection in {"invoices", "billing"}:
        return billing_tenancy
    return None


# --- the tests --------------------------------------------------------------------------


def test_every_operation_has_a_tenancy_rule(operator: Api) -> None:
    uncovered = [f"{m.upper()} {p}" for m, p in operations(operator) if (m, p) not in PUBLIC and rule_for(m, p) is None]
    assert not uncovered, f"add a tenancy rule for: {', '.join(uncovered)}"


def test_every_non_public_operation_needs_a_valid_key(operator: Api) -> None:
    document = operator.get("/openapi.json")
    for method, path in operations(operator):
        declared = document["paths"][path][method].get("security")
        if (method, path) in PUBLIC:
            answer = operator.client.request(method.upper(), path)
            assert answer.status_code != 401, f"{method} {path} is public but asked for a key"
            continue
        assert declared, f"{method} {path} does not declare its security in the OpenAPI document"
        for headers in ({}, {"Authorization": "Bearer ssk_not-a-key"}, {"Authorization": "Basic abc"}):
            answer = operator.client.request(method.upper(), fill(path, "x"), headers=headers)
            assert answer.status_code == 401, f"{method} {path} with {headers}: {answer.status_code}"
            assert answer.json()["error"]["code"] == "unauthorized"


def test_an_advertiser_reaches_only_its_own_objects(tenants: Tenants) -> None:
    checked = 0
    for method, path in operations(tenants.operator):
        rule = rule_for(method, path)
        if rule is not None:
            rule(tenants, method, path, collection_and_shape(path)[0])
            checked += 1
    assert checked >= 25


def test_a_brand_awaiting_approval_is_refused_on_every_operation(operator: Api, engine: Engine) -> None:
    """A signed-up brand the operator has not approved reads nothing of the network with a key
    (audience sizes, forecasts, placements, products, reports): every non-public operation
    answers 403 `awaiting_approval`, before its parameters or body are looked at."""
    pending = operator.post(
        "/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"}
    )["id"]
    build_network(operator, operator.post("/v1/advertisers", {"name": "Bolt", "domain": "bolt.example"})["id"])
    waiting = Api(operator.client, new_key(engine, Role.ADVERTISER, pending))
    checked = 0
    for method, path in operations(operator):
        if (method, path) in PUBLIC:
            continue
        url = re.sub(r"\{[^}]+\}", "x", path)
        answer = waiting.call(method.upper(), url, {} if method in {"post", "patch", "put"} else None)
        assert answer.status_code == 403, f"{method} {url} as a pending brand: {answer.status_code} {answer.text}"
        assert answer.json()["error"]["code"] == "awaiting_approval", f"{method} {url}: {answer.text}"
        checked += 1
    assert checked >= 40
    operator.patch(f"/v1/advertisers/{pending}", {"status": "active"})  # the same key, once approved
    assert waiting.get("/v1/placements")["data"]

"""The operator's controls: a brand approved with its terms and its terms changed later
with a reason (finance only), any campaign paused, resumed and edited from the console,
and competitor rules as pairs; each change audited, each mistake beside its field."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from shelfspace.accounts.models import User
from shelfspace.accounts.rights import TeamRole
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import filled_form, make_user, post_form, sign_in
from tests.support import Api, build_network


def person(client: TestClient, engine: Engine, email: str, team_role: TeamRole = TeamRole.ADMIN) -> TestClient:
    """A signed-in member of the operator's staff, in a browser of their own."""
    user_id = make_user(engine, email)
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(User).where(User.id == user_id).values(team_role=team_role))
    browser = TestClient(client.app)
    sign_in(browser, email)
    return browser


def focused(html: str) -> list[str]:
    """The fields a page opens focused on (autofocus)."""
    return re.findall(r'<(?:input|select|textarea)[^>]*\bname="([a-z_]+)"[^>]*\bautofocus\b', html)


def audit(operator: Api, object_id: str) -> list[dict[str, Any]]:
    return list(operator.get(f"/v1/audit-log?object_id={object_id}")["data"])


# --- terms -----------------------------------------------------------------------------------


def test_a_brand_is_approved_with_credit_terms(client: TestClient, operator: Api, engine: Engine) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"})
    admin = person(client, engine, "admin@network.example")
    queue = admin.get("/console/review").text
    assert 'name="billing_mode"' in queue and 'name="credit_limit"' in queue
    assert 'data-confirm="Decline Harbor Tea?' in queue  # declining asks first

    # Credit without a limit: refused beside the limit, focused, nothing approved.
    refused = post_form(
        admin,
        "/console/review",
        f"/console/review/advertisers/{brand['id']}",
        {"verdict": "approve", "billing_mode": "credit", "credit_limit": ""},
    )
    assert refused.status_code == 400
    assert f'id="{brand["id"]}-credit_limit-error"' in refused.text and "Required on credit" in refused.text
    assert focused(refused.text) == ["credit_limit"]
    assert operator.get(f"/v1/advertisers/{brand['id']}")["status"] == "pending"
    wrong = post_form(
        admin,
        "/console/review",
        f"/console/review/advertisers/{brand['id']}",
        {"verdict": "approve", "billing_mode": "credit", "credit_limit": "lots"},
    )
    assert wrong.status_code == 400 and "A positive amount in" in wrong.text and 'value="lots"' in wrong.text

    approved = post_form(
        admin,
        "/console/review",
        f"/console/review/advertisers/{brand['id']}",
        {"verdict": "approve", "billing_mode": "credit", "credit_limit": "2500"},
    )
    assert approved.status_code == 303
    found = operator.get(f"/v1/advertisers/{brand['id']}")
    assert (found["status"], found["billing_mode"], Decimal(str(found["credit_limit"]))) == (
        "active",
        "credit",
        Decimal(2500),
    )
    terms = [e for e in audit(operator, brand["id"]) if "reason" in e["changes"]]
    assert len(terms) == 1 and terms[0]["changes"]["credit_limit"] == [None, "2500"]
    assert "approved, on credit up to" in admin.get("/console/review").text


def test_ad_operations_approve_prepaid_and_finance_gives_credit_later(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"})
    ad_ops = person(client, engine, "ops@network.example", TeamRole.AD_OPS)
    queue = ad_ops.get("/console/review").text
    assert 'name="credit_limit"' not in queue and "finance gives credit" in queue
    # Terms sent anyway are not theirs to set: the brand is approved as it signed up.
    assert (
        post_form(
            ad_ops,
            "/console/review",
            f"/console/review/advertisers/{brand['id']}",
            {"verdict": "approve", "billing_mode": "credit", "credit_limit": "900"},
        ).status_code
        == 303
    )
    found = operator.get(f"/v1/advertisers/{brand['id']}")
    assert (found["status"], found["billing_mode"], found["credit_limit"]) == ("active", "prepaid", None)
    assert "finance can give it credit" in ad_ops.get("/console/review").text
    page = f"/console/advertisers/{brand['id']}"
    shown = ad_ops.get(page).text
    assert "Harbor Tea" in shown and 'id="change-terms"' not in shown and "Finance sets terms" in shown
    assert ad_ops.post(f"{page}/terms", data={"billing_mode": "credit"}).status_code in (403, 404)

    finance = person(client, engine, "money@network.example", TeamRole.FINANCE)
    form_page = finance.get(page).text
    assert 'id="change-terms"' in form_page and 'data-confirm-below="0"' in form_page  # prepaid: no credit now
    no_reason = post_form(finance, page, f"{page}/terms", {"billing_mode": "credit", "credit_limit": "5000"})
    assert no_reason.status_code == 400 and 'id="reason-error"' in no_reason.text
    assert focused(no_reason.text) == ["reason"] and 'value="5000"' in no_reason.text
    given = post_form(
        finance,
        page,
        f"{page}/terms",
        {"billing_mode": "credit", "credit_limit": "5000", "reason": "Annual contract signed"},
    )
    assert given.status_code == 303
    after = finance.get(page).text
    assert "on credit up to 5,000.00" in after and 'data-confirm-below="5000"' in after  # lowering it will ask
    [entry] = [e for e in audit(operator, brand["id"]) if "reason" in e["changes"]]
    assert entry["changes"] == {
        "billing_mode": ["prepaid", "credit"],
        "credit_limit": [None, "5000"],
        "reason": "Annual contract signed",
    }
    assert str(entry["actor"]).startswith("user:")


def test_a_pending_brand_cannot_be_given_credit_from_its_page(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    brand = operator.post("/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"})
    admin = person(client, engine, "admin@network.example")
    page = f"/console/advertisers/{brand['id']}"
    assert "has no credit: set its terms when you approve it" in admin.get(page).text
    refused = post_form(
        admin, page, f"{page}/terms", {"billing_mode": "credit", "credit_limit": "100", "reason": "early"}
    )
    assert (
        refused.status_code == 400 and 'id="billing_mode-error"' in refused.text and "approve it first" in refused.text
    )
    assert operator.get(f"/v1/advertisers/{brand['id']}")["billing_mode"] == "prepaid"


# --- campaigns -------------------------------------------------------------------------------


def test_any_campaign_is_paused_resumed_and_edited_from_the_console(
    client: TestClient, operator: Api, engine: Engine, advertiser_api: Api
) -> None:
    campaign = build_network(operator, advertiser_api.advertiser_id)["campaign"]  # type: ignore[arg-type]
    admin = person(client, engine, "ops@network.example", TeamRole.AD_OPS)
    listed = admin.get("/console/campaigns").text
    assert f'href="/console/campaigns/{campaign["id"]}"' in listed
    assert 'data-confirm="Pause Spring sale (Acme Outdoor)?' in listed  # pausing asks first

    paused = post_form(
        admin, "/console/campaigns", f"/console/campaigns/{campaign['id']}/status", {"status": "paused", "back": "list"}
    )
    assert paused.status_code == 303 and paused.headers["location"] == "/console/campaigns"
    assert advertiser_api.get(f"/v1/campaigns/{campaign['id']}")["status"] == "paused"
    page = admin.get(f"/console/campaigns/{campaign['id']}").text
    assert "Spring sale (Acme Outdoor) is paused" in page and 'value="live"' in page
    resumed = post_form(
        admin, f"/console/campaigns/{campaign['id']}", f"/console/campaigns/{campaign['id']}/status", {"status": "live"}
    )
    assert resumed.headers["location"] == f"/console/campaigns/{campaign['id']}"
    assert advertiser_api.get(f"/v1/campaigns/{campaign['id']}")["status"] == "live"
    changes = [e["changes"].get("status") for e in audit(operator, campaign["id"])]
    assert changes[-2:] == [["live", "paused"], ["paused", "live"]]

    edit = f"/console/campaigns/{campaign['id']}/edit"
    form = filled_form(admin.get(edit).text, 'id="campaign-edit"')
    assert form["name"] == "Spring sale" and form["budget_total"] == "1000"
    bad = post_form(admin, edit, edit, {**form, "budget_total": "a lot", "budget_daily": "-5"})
    assert bad.status_code == 400 and 'id="budget_total-error"' in bad.text and 'id="budget_daily-error"' in bad.text
    assert focused(bad.text) == ["budget_total"]  # the first field in error opens focused, and only it
    over = post_form(admin, edit, edit, {**form, "budget_total": "100", "budget_daily": "500"})
    assert over.status_code == 400 and 'id="budget_daily-error"' in over.text  # the wizard's own rule, in its words
    saved = post_form(
        admin, edit, edit, {**form, "name": "Spring sale, extended", "budget_total": "1500", "budget_daily": ""}
    )
    assert saved.status_code == 303
    now = advertiser_api.get(f"/v1/campaigns/{campaign['id']}")
    assert (now["name"], now["budget_total"], now["budget_daily"]) == ("Spring sale, extended", 1500, None)
    [last] = audit(operator, campaign["id"])[-1:]
    assert set(last["changes"]) == {"name", "budget_total_micros", "budget_daily_micros"}
    assert str(last["actor"]).startswith("user:")


def test_finance_reads_campaigns_but_cannot_pause_them(
    client: TestClient, operator: Api, engine: Engine, advertiser_api: Api
) -> None:
    campaign = build_network(operator, advertiser_api.advertiser_id)["campaign"]  # type: ignore[arg-type]
    finance = person(client, engine, "money@network.example", TeamRole.FINANCE)
    page = finance.get(f"/console/campaigns/{campaign['id']}")
    assert page.status_code == 200 and "/status" not in page.text and "/edit" not in page.text
    assert finance.post(f"/console/campaigns/{campaign['id']}/status", data={"status": "paused"}).status_code in (
        403,
        404,
    )
    assert advertiser_api.get(f"/v1/campaigns/{campaign['id']}")["status"] == "live"


# --- competitor pairs --------------------------------------------------------------------------


def test_competitor_rules_are_pairs_added_and_removed_on_both_sides(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    ids = {
        name: operator.post("/v1/advertisers", {"name": name, "domain": f"{name.lower()}.example"})["id"]
        for name in ("Brightbean", "Fizzwell", "Crisp", "Dewdrop")
    }
    # Stored on one side only (the API's PATCH): shown as a pair, completed by the next save.
    operator.patch(f"/v1/advertisers/{ids['Fizzwell']}", {"competitors": [ids["Brightbean"]]})
    admin = person(client, engine, "ops@network.example", TeamRole.AD_OPS)
    rules = admin.get("/console/rules").text
    assert 'data-pair="Brightbean ↔ Fizzwell"' in rules and "data-one-sided" in rules
    assert 'data-confirm="Remove the pair Brightbean and Fizzwell?' in rules
    assert 'type="checkbox" name="competitors"' not in rules  # no grid any more

    itself = post_form(admin, "/console/rules", "/console/rules/pairs", {"first": ids["Crisp"], "second": ids["Crisp"]})
    assert itself.status_code == 400 and 'id="second-error"' in itself.text
    assert focused(itself.text) == ["second"]
    added = post_form(
        admin, "/console/rules", "/console/rules/pairs", {"first": ids["Crisp"], "second": ids["Dewdrop"]}
    )
    assert added.status_code == 303
    competitors = {name: operator.get(f"/v1/advertisers/{i}")["competitors"] for name, i in ids.items()}
    assert competitors == {
        "Brightbean": [ids["Fizzwell"]],
        "Fizzwell": [ids["Brightbean"]],  # completed too
        "Crisp": [ids["Dewdrop"]],
        "Dewdrop": [ids["Crisp"]],
    }
    assert "data-one-sided" not in admin.get("/console/rules").text
    for first, second in (("Dewdrop", "Crisp"), ("Fizzwell", "Brightbean")):
        again = post_form(admin, "/console/rules", "/console/rules/pairs", {"first": ids[first], "second": ids[second]})
        assert again.status_code == 400 and "already a pair" in again.text and 'id="second-error"' in again.text
    unchosen = post_form(admin, "/console/rules", "/console/rules/pairs", {"first": "", "second": ids["Crisp"]})
    assert unchosen.status_code == 400 and 'id="first-error"' in unchosen.text

    removed = post_form(
        admin, "/console/rules", "/console/rules/pairs/remove", {"first": ids["Crisp"], "second": ids["Dewdrop"]}
    )
    assert removed.status_code == 303
    assert [operator.get(f"/v1/advertisers/{ids[n]}")["competitors"] for n in ("Crisp", "Dewdrop")] == [[], []]
    for name in ("Crisp", "Dewdrop"):  # audited on both advertisers: added, then removed
        steps = [
            e["changes"]["competitors"]
            for e in audit(operator, ids[name])
            if e["action"] == "update" and "competitors" in e["changes"]
        ]
        assert len(steps) == 2 and steps[0][1] != [] and steps[1][1] == []
    assert 'data-pair="Crisp ↔ Dewdrop"' not in admin.get("/console/rules").text

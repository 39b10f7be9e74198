"""The operator's controls in Chromium against a real server: a brand approved on credit
from the review queue (its mistake beside the field, focused), its credit lowered from its
page after confirming, a competitor pair removed after confirming, and a campaign paused
from the console after confirming; every page checked by axe and photographed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_case_study_editor_journey import Dialogs
from tests.browser.test_dashboard_journeys import PASSWORD, _network, _sign_in, shot
from tests.servers import BOOTSTRAP, base_env, running_server, shelfspace


def _seed(api: httpx.Client) -> dict[str, str]:
    _network(api)
    ids = {}
    for name in ("Brightbean", "Fizzwell"):
        ids[name] = api.post("/v1/advertisers", json={"name": name, "domain": f"{name.lower()}.example"}).json()["id"]
    api.patch(f"/v1/advertisers/{ids['Brightbean']}", json={"competitors": [ids["Fizzwell"]]})
    api.patch(f"/v1/advertisers/{ids['Fizzwell']}", json={"competitors": [ids["Brightbean"]]})
    ids["Harbor Tea"] = api.post(
        "/v1/advertisers", json={"name": "Harbor Tea", "domain": "harbortea.example", "status": "pending"}
    ).json()["id"]
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": ids["Brightbean"],
            "name": "Coffee week",
            "budget_total": 500,
            "budget_daily": 50,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    api.post(
        "/v1/line-items", json={"campaign_id": campaign["id"], "name": "Hero", "bid": 5, "placements": ["home-hero"]}
    )
    ids["campaign"] = campaign["id"]
    return ids


def _approve_on_credit(page: Any, url: str, api: httpx.Client, brand_id: str) -> None:
    page.goto(f"{url}/console/review")
    signup = page.locator("[data-signup]", has_text="Harbor Tea")
    signup.locator("select[name=billing_mode]").select_option("credit")
    page.click("button:has-text('Approve Harbor Tea')")  # no limit yet: refused beside the field, focused
    page.wait_for_load_state()
    assert "Required on credit" in page.locator(f"#{brand_id}-credit_limit-error").inner_text()
    assert page.evaluate("document.activeElement.name") == "credit_limit"
    assert api.get(f"/v1/advertisers/{brand_id}").json()["status"] == "pending"
    assert_accessible(page)
    shot(page, "console-approve-terms-error")
    page.locator("[data-signup]", has_text="Harbor Tea").locator("input[name=credit_limit]").fill("2500")
    page.click("button:has-text('Approve Harbor Tea')")
    page.wait_for_load_state()
    assert "approved, on credit up to 2,500.00" in page.locator(".flash").inner_text()
    found = api.get(f"/v1/advertisers/{brand_id}").json()
    assert (found["status"], found["billing_mode"], Decimal(str(found["credit_limit"]))) == (
        "active",
        "credit",
        Decimal(2500),
    )


def _lower_the_credit(page: Any, url: str, api: httpx.Client, brand_id: str, dialogs: Dialogs) -> None:
    page.goto(f"{url}/console/advertisers/{brand_id}")
    assert_accessible(page)
    shot(page, "console-advertiser")
    page.fill("input[name=credit_limit]", "1000")
    page.fill("textarea[name=reason]", "Two invoices overdue")
    page.click("button:has-text('Change terms')")  # lower: asked, and dismissed
    assert dialogs[-1][0] == "confirm" and "Lower Harbor Tea's credit?" in dialogs[-1][1]
    assert Decimal(str(api.get(f"/v1/advertisers/{brand_id}").json()["credit_limit"])) == 2500
    dialogs.answers.append("accept")
    page.click("button:has-text('Change terms')")
    page.wait_for_load_state()
    assert "on credit up to 1,000.00" in page.locator(".flash").inner_text()
    assert Decimal(str(api.get(f"/v1/advertisers/{brand_id}").json()["credit_limit"])) == 1000
    asked = len(dialogs)
    page.fill("input[name=credit_limit]", "1500")  # raising the credit does not ask
    page.fill("textarea[name=reason]", "Paid up")
    page.click("button:has-text('Change terms')")
    page.wait_for_load_state()
    assert len(dialogs) == asked and Decimal(str(api.get(f"/v1/advertisers/{brand_id}").json()["credit_limit"])) == 1500


def _remove_a_pair(page: Any, url: str, api: httpx.Client, ids: dict[str, str], dialogs: Dialogs) -> None:
    page.goto(f"{url}/console/rules")
    pair = page.locator("tr[data-pair='Brightbean ↔ Fizzwell']")
    assert pair.count() == 1
    assert_accessible(page)
    shot(page, "console-rules")
    pair.locator("button:has-text('Remove')").click()  # dismissed: the pair stays
    assert "Remove the pair Brightbean and Fizzwell?" in dialogs[-1][1]
    assert api.get(f"/v1/advertisers/{ids['Brightbean']}").json()["competitors"] == [ids["Fizzwell"]]
    dialogs.answers.append("accept")
    pair.locator("button:has-text('Remove')").click()
    page.wait_for_load_state()
    assert "no longer a pair" in page.locator(".flash").inner_text()
    assert page.locator("tr[data-pair]").count() == 0
    assert [api.get(f"/v1/advertisers/{ids[n]}").json()["competitors"] for n in ("Brightbean", "Fizzwell")] == [[], []]
    page.select_option("select[name=first]", ids["Fizzwell"])
    page.select_option("select[name=second]", ids["Fizzwell"])
    page.click("button:has-text('Add pair')")
    page.wait_for_load_state()
    assert "own competitor" in page.locator("#second-error").inner_text()
    assert page.evaluate("document.activeElement.name") == "second"
    assert_accessible(page)
    shot(page, "console-rules-error")


def _pause_a_campaign(page: Any, url: str, api: httpx.Client, campaign_id: str, dialogs: Dialogs) -> None:
    page.goto(f"{url}/console/campaigns")
    row = page.locator(f"tr[data-campaign='{campaign_id}']")
    dialogs.answers.append("accept")
    row.locator("button:has-text('Pause')").click()
    page.wait_for_load_state()
    assert "Pause Coffee week (Brightbean)?" in dialogs[-1][1]
    assert "is paused" in page.locator(".flash").inner_text()
    assert api.get(f"/v1/campaigns/{campaign_id}").json()["status"] == "paused"
    assert_accessible(page)
    shot(page, "console-campaigns")
    page.goto(f"{url}/console/campaigns/{campaign_id}")
    assert_accessible(page)
    shot(page, "console-campaign")
    page.click("a:has-text('Edit')")
    page.wait_for_load_state()
    page.fill("input[name=budget_total]", "0")
    page.click("button:has-text('Save')")
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.name") == "budget_total"
    assert_accessible(page)
    shot(page, "console-campaign-edit-error")
    page.fill("input[name=budget_total]", "800")
    page.click("button:has-text('Save')")
    page.wait_for_load_state()
    assert api.get(f"/v1/campaigns/{campaign_id}").json()["budget_total"] == 800


def test_the_operators_controls(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    made = shelfspace(
        "users", "create", "--email", "ops@network.example", "--password-stdin", env=env, input=PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stderr
    dialogs, errors = Dialogs(), []
    page.on("dialog", dialogs)
    page.on("pageerror", lambda error: errors.append(str(error)))
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        ids = _seed(api)
        _sign_in(page, url, "ops@network.example")
        _approve_on_credit(page, url, api, ids["Harbor Tea"])
        _lower_the_credit(page, url, api, ids["Harbor Tea"], dialogs)
        _remove_a_pair(page, url, api, ids, dialogs)
        _pause_a_campaign(page, url, api, ids["campaign"], dialogs)
    assert errors == []
    assert outside == [], f"pages reached outside the machine: {outside}"

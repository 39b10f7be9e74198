"""More of the operator's controls in Chromium against a real server (test_console_controls.py
has the first ones): creatives approved and rejected together from the review queue (a
rejection without its reason refused beside the field, focused and in view, the ticks kept;
with it, after confirming), checked through the API and the audit log; an advertiser suspended
from the list only once the confirmation is accepted; a paused campaign resumed from its
console page; a demand partner added and paused only once confirmed; and the staff's team
page, whose invitation reaches a real SMTP server and lets an ad-ops person join. axe-core
runs on every page opened.

Screenshots: tests/artifacts/screenshots/console-review-bulk.png and console-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_case_study_editor_journey import Dialogs
from tests.browser.test_dashboard_journeys import PASSWORD, PHONE, _network, _sign_in, shot
from tests.dashboard.mailbox import running_mailbox
from tests.servers import BOOTSTRAP, base_env, running_server, shelfspace

OPERATOR = "ops@network.example"  # the network's first user: the staff's admin
AD_OPS = "ada@network.example"
REASON = "The price on the banner is not the shop's price."


def _make_operator(env: dict[str, str]) -> None:
    made = shelfspace("users", "create", "--email", OPERATOR, "--password-stdin", env=env, input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr


def _seed(api: httpx.Client, url: str) -> dict[str, Any]:
    """Two brands, a campaign of Acme Outdoor's with five creatives it uploaded itself (so
    they wait for review), and the campaign paused."""
    _network(api)
    ids: dict[str, Any] = {}
    for name in ("Acme Outdoor", "Fizzwell"):
        made = api.post("/v1/advertisers", json={"name": name, "domain": f"{name.split()[0].lower()}.example"})
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": ids["Acme Outdoor"],
            "name": "Tents",
            "budget_total": 100,
            "budget_daily": 10,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    line_item = api.post(
        "/v1/line-items", json={"campaign_id": campaign["id"], "name": "Hero", "bid": 5, "placements": ["home-hero"]}
    ).json()
    key = api.post("/v1/api-keys", json={"role": "advertiser", "advertiser_id": ids["Acme Outdoor"]}).json()["key"]
    as_brand = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"})
    ids["creatives"] = []
    for n in range(5):
        body = {
            "line_item_id": line_item["id"],
            "format": "banner",
            "size": "300x250",
            "image_url": f"https://acme.example/tent-{n}.png",
            "click_url": "https://acme.example/tents",
        }
        made = as_brand.post("/v1/creatives", json=body)
        assert made.status_code == 201, made.text
        ids["creatives"].append(made.json()["id"])
    paused = api.patch(f"/v1/campaigns/{campaign['id']}", json={"status": "paused"})
    assert paused.status_code == 200, paused.text
    ids["campaign"] = campaign["id"]
    return ids


def _tick(page: Any, creative_ids: list[str]) -> None:
    for creative_id in creative_ids:
        page.locator(f"input[name=ids][value='{creative_id}']").check()


def _bulk_review(page: Any, url: str, api: httpx.Client, creative_ids: list[str], dialogs: Dialogs) -> None:
    from playwright.sync_api import expect

    approved, rejected, left = creative_ids[:2], creative_ids[2:4], creative_ids[4:]
    page.goto(f"{url}/console/review")
    expect(page.locator("article[data-creative]")).to_have_count(5)
    assert_accessible(page)
    _tick(page, approved)
    page.get_by_role("button", name="Approve ticked").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("2 creatives approved: they can serve now")
    expect(page.locator("article[data-creative]")).to_have_count(3)

    # Rejected without a reason: nothing to confirm, refused beside the reason, which opens focused and in view.
    page.set_viewport_size(PHONE)
    asked = len(dialogs)
    _tick(page, rejected)
    page.get_by_role("button", name="Reject ticked").click()
    page.wait_for_load_state()
    reason = page.locator("#bulk-review textarea[name=reason]")
    expect(page.locator("#bulk-review .field-error")).to_contain_text("say why")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_in_viewport()
    box = reason.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    assert len(dialogs) == asked
    for creative_id in rejected:  # the ticks are kept for the second try
        expect(page.locator(f"input[name=ids][value='{creative_id}']")).to_be_checked()
    expect(page.locator(f"input[name=ids][value='{left[0]}']")).not_to_be_checked()
    assert [c["status"] for c in api.get("/v1/creatives").json()["data"] if c["id"] in rejected] == ["pending"] * 2
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    reason.fill(REASON)
    dialogs.answers.append("accept")
    page.get_by_role("button", name="Reject ticked").click()
    page.wait_for_load_state()
    assert dialogs[-1][0] == "confirm" and "Reject every ticked creative?" in dialogs[-1][1]
    expect(page.locator(".flash")).to_contain_text("2 creatives rejected; each brand sees your reason")
    expect(page.locator("article[data-creative]")).to_have_count(1)
    expect(page.locator(f"article[data-creative='{left[0]}']")).to_have_count(1)
    assert_accessible(page)
    shot(page, "console-review-bulk")

    found = {c["id"]: c for c in api.get("/v1/creatives").json()["data"]}
    assert [found[i]["status"] for i in creative_ids] == ["approved"] * 2 + ["rejected"] * 2 + ["pending"]
    assert [found[i]["review_note"] for i in rejected] == [REASON, REASON]
    me = next(u for u in api.get("/v1/users").json()["data"] if u["email"] == OPERATOR)
    reviews = api.get("/v1/audit-log", params={"object_type": "creative", "action": "review"}).json()["data"]
    # One entry per creative, by the signed-in operator; the refused try wrote none.
    assert sorted((e["object_id"], e["actor"], e["changes"]["status"][1]) for e in reviews) == sorted(
        [(i, f"user:{me['id']}", "approved") for i in approved]
        + [(i, f"user:{me['id']}", "rejected") for i in rejected]
    )
    assert [e["changes"]["review_note"] for e in reviews if e["object_id"] in rejected] == [[None, REASON]] * 2


def _suspend(page: Any, url: str, api: httpx.Client, brand_id: str, dialogs: Dialogs) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/console/advertisers")
    assert_accessible(page)
    row = page.locator(f"tr[data-advertiser='{brand_id}']")
    row.get_by_role("button", name="Suspend Fizzwell").click()  # dismissed: still active
    assert dialogs[-1] == (
        "confirm",
        "Suspend Fizzwell? Every one of its ads stops at once, until you reactivate it.",
    )
    assert api.get(f"/v1/advertisers/{brand_id}").json()["status"] == "active"
    expect(page.locator(".flash")).to_have_count(0)
    dialogs.answers.append("accept")
    row.get_by_role("button", name="Suspend Fizzwell").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Fizzwell is suspended")
    assert api.get(f"/v1/advertisers/{brand_id}").json()["status"] == "suspended"
    expect(page.locator(f"tr[data-advertiser='{brand_id}']").get_by_role("button", name="Reactivate")).to_be_visible()
    assert_accessible(page)
    shot(page, "console-advertiser-suspended")


def _resume(page: Any, url: str, api: httpx.Client, campaign_id: str, dialogs: Dialogs) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/console/campaigns/{campaign_id}")
    assert_accessible(page)
    asked = len(dialogs)
    page.get_by_role("button", name="Resume Tents").click()  # resuming stops nothing: not asked
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Tents (Acme Outdoor) is live again.")
    assert page.url == f"{url}/console/campaigns/{campaign_id}" and len(dialogs) == asked
    assert api.get(f"/v1/campaigns/{campaign_id}").json()["status"] == "live"
    expect(page.get_by_role("button", name="Pause Tents")).to_be_visible()
    assert_accessible(page)


def _pause_a_partner(page: Any, url: str, api: httpx.Client, dialogs: Dialogs) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/console/demand-partners")
    page.fill("#new-partner input[name=name]", "Bidder One")
    page.fill("#new-partner input[name=endpoint]", "https://8.8.8.8/bid")  # public, and never called: no decisions
    page.get_by_role("button", name="Add partner").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Bidder One is added")
    partner = api.get("/v1/demand-partners").json()["data"][0]
    assert partner["status"] == "live"
    assert_accessible(page)
    pause = page.locator("tr", has_text="Bidder One").get_by_role("button", name="Pause Bidder One")
    pause.click()  # dismissed: it keeps bidding
    assert dialogs[-1] == ("confirm", "Pause Bidder One? It gets no more bid requests until it is resumed.")
    assert api.get(f"/v1/demand-partners/{partner['id']}").json()["status"] == "live"
    dialogs.answers.append("accept")
    pause.click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("Bidder One is paused")
    assert api.get(f"/v1/demand-partners/{partner['id']}").json()["status"] == "paused"
    expect(page.locator("tr", has_text="Bidder One").get_by_role("button", name="Resume")).to_be_visible()
    assert_accessible(page)
    shot(page, "console-demand-partners")


def test_the_operator_reviews_in_bulk_suspends_resumes_and_pauses_a_partner(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    _make_operator(env)
    dialogs, errors = Dialogs(), []
    page.on("dialog", dialogs)
    page.on("pageerror", lambda error: errors.append(str(error)))
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        ids = _seed(api, url)
        _sign_in(page, url, OPERATOR)
        _bulk_review(page, url, api, ids["creatives"], dialogs)
        _suspend(page, url, api, ids["Fizzwell"], dialogs)
        _resume(page, url, api, ids["campaign"], dialogs)
        _pause_a_partner(page, url, api, dialogs)
    assert errors == []
    assert outside == [], f"pages reached outside the machine: {outside}"


def test_the_staff_admin_invites_an_ad_ops_person_who_joins(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    from playwright.sync_api import expect

    page, outside = page_and_outside
    with running_mailbox() as mailbox:
        env = base_env(
            tmp_path / "data",
            SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP,
            SHELFSPACE_SMTP_HOST="127.0.0.1",
            SHELFSPACE_SMTP_PORT=str(mailbox.port),
            SHELFSPACE_SMTP_SECURITY="none",
        )
        _make_operator(env)
        with running_server(env) as url:
            _sign_in(page, url, OPERATOR)
            page.goto(f"{url}/console/team")
            expect(page.locator("h1")).to_have_text("Team")
            expect(page.locator(f"tr[data-member='{OPERATOR}']")).to_have_attribute("data-role", "admin")
            assert_accessible(page)
            page.get_by_label("E-mail address").fill(AD_OPS)
            page.locator("form[action='/console/team/invites'] select[name=team_role]").select_option(
                label="Ad operations"
            )
            page.get_by_role("button", name="Send invitation").click()
            page.wait_for_load_state()
            expect(page.locator(".flash")).to_contain_text(f"We e-mailed {AD_OPS}")
            expect(page.locator(f"tr[data-invite='{AD_OPS}']")).to_contain_text("Ad operations")
            assert_accessible(page)
            shot(page, "console-team-invited")

            message = mailbox.wait_for(1)
            assert AD_OPS in str(message["To"])
            page.context.clear_cookies()
            page.goto(url + mailbox.path_in(message, "/invite/"))
            expect(page.locator("h1")).to_contain_text("Join")
            assert_accessible(page)
            page.get_by_label("Choose a password").fill(PASSWORD)
            page.get_by_label("The password again").fill(PASSWORD)
            page.get_by_role("button", name="Join and sign in").click()
            page.wait_for_load_state()
            assert page.url == f"{url}/console"
            expect(page.locator(".flash")).to_contain_text(f"signed in as {AD_OPS} (ad operations)")
            assert_accessible(page)
    assert outside == []

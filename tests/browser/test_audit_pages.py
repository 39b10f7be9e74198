"""The audit history in Debian's Chromium against the real server: the operator filters the
network's history by who made a change and by days; the brand opens its campaign's history
from the campaign page and sees its own objects only, the operator's changes read as
Shelfspace's. axe-core runs on every page.

Screenshots: tests/artifacts/screenshots/audit-*.png.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.network import BOSS, BRAND, HOME_HERO, add_people
from tests.browser.test_dashboard_journeys import PHONE, _sign_in, shot
from tests.servers import BOOTSTRAP, base_env, running_server


def _network(api: httpx.Client, url: str) -> dict[str, str]:
    assert api.post("/v1/placements", json=HOME_HERO).status_code == 201
    made: dict[str, str] = {}
    for name in ("Harbor Tea", "Bolt Coffee"):
        brand = api.post("/v1/advertisers", json={"name": name, "domain": name.lower().replace(" ", "") + ".example"})
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        campaign = api.post(
            "/v1/campaigns",
            json={
                "advertiser_id": brand.json()["id"],
                "name": f"{name} winter",
                "budget_total": 12000,
                "start": start.isoformat(),
                "end": (start + timedelta(days=30)).isoformat(),
            },
        )
        made[name], made[f"{name}:campaign"] = brand.json()["id"], campaign.json()["id"]
    add_people(api, ((BRAND, "advertiser", made["Harbor Tea"]), (BOSS, "operator", None)))
    key = api.post(
        "/v1/api-keys", json={"role": "advertiser", "advertiser_id": made["Harbor Tea"], "name": "Harbor feed"}
    ).json()["key"]
    feed = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"})
    assert feed.patch(f"/v1/campaigns/{made['Harbor Tea:campaign']}", json={"budget_total": 15000}).status_code == 200
    assert (
        api.patch(f"/v1/campaigns/{made['Harbor Tea:campaign']}", json={"name": "Harbor Tea spring"}).status_code == 200
    )
    return made


def _rows(page: Any) -> list[str]:
    page.wait_for_load_state()
    return [row.inner_text() for row in page.locator("tr[data-entry]").all()]


def test_the_operator_filters_the_history_and_a_brand_reads_its_own(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        made = _network(api, url)
        today = datetime.now(UTC).date()

        # The operator: the whole network, newest first; then only what the brand's feed key did.
        _sign_in(page, url, BOSS)
        page.goto(f"{url}/console")
        page.get_by_role("link", name="Audit history").click()
        everything = _rows(page)
        assert "Harbor Tea spring" in everything[0] and "Bolt Coffee" in " ".join(everything)
        page.locator("input[name=who]").fill("harbor feed")
        page.get_by_role("button", name="Show").click()
        by_key = _rows(page)
        assert len(by_key) == 1 and "API key Harbor feed" in by_key[0]
        assert re.search(r"Budget total: \$12,000\.00 →\s+changed to\s+\$15,000\.00", by_key[0]), by_key[0]
        assert page.locator("input[name=who]").input_value() == "harbor feed"  # the form keeps the filter
        shot(page, "audit-console-who")
        assert_accessible(page)

        # By days: yesterday holds nothing, today everything.
        page.get_by_role("link", name="Clear filters").click()
        page.wait_for_load_state()
        yesterday = (today - timedelta(days=1)).isoformat()
        page.get_by_label("From", exact=True).fill(yesterday)
        page.get_by_label("To", exact=True).fill(yesterday)
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert "No entries match these filters." in page.locator("table.audit").inner_text()
        page.get_by_label("To", exact=True).fill(today.isoformat())
        page.get_by_role("button", name="Show").click()
        assert len(_rows(page)) == len(everything)
        page.get_by_label("From", exact=True).fill(today.isoformat())
        page.get_by_label("To", exact=True).fill(yesterday)
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert "must not be before" in page.locator("#to-error").inner_text()
        shot(page, "audit-console-days")
        assert_accessible(page)
        page.context.clear_cookies()

        # The brand: from its campaign page to that campaign's history, its own objects only.
        _sign_in(page, url, BRAND)
        page.goto(f"{url}/brand/campaigns/{made['Harbor Tea:campaign']}")
        page.locator(".page-head").get_by_role("link", name="History").click()
        page.wait_for_load_state()
        assert f"object={made['Harbor Tea:campaign']}" in page.url
        history = _rows(page)
        assert len(history) == 3 and "Shelfspace" in history[0] and "Harbor Tea spring" in history[0]
        assert BOSS not in page.content()
        shot(page, "audit-brand-campaign")
        assert_accessible(page)
        page.goto(f"{url}/brand/audit?object={made['Bolt Coffee:campaign']}")
        assert _rows(page) == []
        page.goto(f"{url}/brand/audit")
        assert "Bolt Coffee" not in page.locator("table.audit").inner_text()
        assert_accessible(page)

        page.set_viewport_size(PHONE)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "audit-brand-phone")
        assert_accessible(page)
        assert not outside, f"requests left the machine: {outside}"

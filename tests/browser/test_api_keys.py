"""API keys in Debian's Chromium against the real server: a brand's admin creates a key, sees
it once with a copy button (the clipboard then holds it) on the page the form redirects to
(a reload says it was shown and makes no second key), opens the list again and the key
is gone from the pages for good; revokes it after the page's own confirmation, and the key
stops working at once. The operator's page offers brand and network scopes. axe-core runs
on every page.

Screenshots: tests/artifacts/screenshots/api-keys-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_dashboard_journeys import PASSWORD, PHONE, _sign_in, shot
from tests.servers import BOOTSTRAP, base_env, running_server

ANNA = "anna@harbortea.example"
BOSS = "boss@shop.example"
NAME = "Nightly export"


def _people(api: httpx.Client) -> str:
    brand = api.post("/v1/advertisers", json={"name": "Harbor Tea", "domain": "harbortea.example"}).json()["id"]
    for email, role, advertiser in ((ANNA, "advertiser", brand), (BOSS, "operator", None)):
        body: dict[str, Any] = {"email": email, "password": PASSWORD, "role": role}
        answer = api.post("/v1/users", json=body | ({"advertiser_id": advertiser} if advertiser else {}))
        assert answer.status_code == 201, answer.text
    return str(brand)


def test_a_brand_creates_a_key_sees_it_once_and_revokes_it(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        _people(api)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)

        _sign_in(page, url, ANNA)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="API keys").click()
        page.wait_for_load_state()
        assert page.url.endswith("/brand/keys") and "No keys yet" in page.locator("table.api-keys").inner_text()
        shot(page, "api-keys-brand-empty")
        assert_accessible(page)

        # A key needs a name: the message stands beside the field.
        page.get_by_role("button", name="Create key").click()
        page.wait_for_load_state()
        assert "Give the key a name" in page.locator("#name-error").inner_text()
        assert page.get_by_label("Name").get_attribute("aria-invalid") == "true"
        assert_accessible(page)

        page.get_by_label("Name").fill(NAME)
        page.get_by_label("Scope").select_option("reporting")
        with page.expect_response(lambda r: r.request.method == "GET" and "/brand/keys/created?once=" in r.url) as sent:
            page.get_by_role("button", name="Create key").click()  # POST, then redirected to the key's page
        page.wait_for_load_state()
        assert sent.value.status == 200 and sent.value.headers["cache-control"] == "no-store"
        assert sent.value.request.redirected_from is not None
        assert sent.value.request.redirected_from.method == "POST"
        secret = page.locator("#new-key-value").input_value()
        assert secret.startswith("ssk_") and "will not be shown again" in page.locator(".new-key").inner_text()
        copy = page.get_by_role("button", name="Copy")
        assert copy.is_visible()  # our script shows it; without the script the key is plain selectable text
        copy.click()
        page.wait_for_function(
            "() => document.querySelector('[data-copy-status]').textContent.startsWith('Copied')", timeout=5000
        )
        assert page.evaluate("() => navigator.clipboard.readText()") == secret
        shot(page, "api-keys-created")
        assert_accessible(page)

        key = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"})
        assert key.get("/v1/campaigns").status_code == 200
        assert key.post("/v1/campaigns", json={"name": "x"}).status_code == 403  # a reporting key

        # Reloaded, the page posts nothing again: it says the key was shown, and makes none.
        page.reload()
        assert "Key already shown" in page.locator("main").inner_text() and secret not in page.content()
        assert page.locator("#new-key-value").count() == 0
        shot(page, "api-keys-already-shown")
        assert_accessible(page)

        # Opened again, the list shows the key's first characters only, and when it was used.
        page.get_by_role("link", name="Back to API keys").click()
        page.wait_for_load_state()
        assert secret not in page.content()
        row = page.locator("tr", has=page.get_by_text(NAME, exact=True))
        assert secret[:10] + "…" in row.inner_text() and "Reporting only" in row.inner_text()
        assert ANNA in row.inner_text() and "never" not in row.inner_text()
        assert page.locator("tr", has=page.get_by_text(NAME, exact=True)).count() == 1  # one key, not two
        page.reload()
        assert secret not in page.content()
        shot(page, "api-keys-brand-list")
        assert_accessible(page)

        # Revoking asks first, on a page of its own.
        row.get_by_role("link", name=f"Revoke {NAME}").click()
        page.wait_for_load_state()
        assert "Revoke key “Nightly export”" in page.locator("main").inner_text()
        assert "Integrations using it stop at once." in page.locator("main").inner_text()
        shot(page, "api-keys-revoke-confirm")
        assert_accessible(page)
        page.get_by_role("button", name="Revoke key").click()
        page.wait_for_load_state()
        assert page.url.endswith("/brand/keys") and "is revoked" in page.locator(".flash").inner_text()
        row = page.locator("tr", has=page.get_by_text(NAME, exact=True))
        assert row.get_attribute("data-status") == "revoked" and row.get_by_role("link").count() == 0
        assert key.get("/v1/campaigns").status_code == 401

        page.set_viewport_size(PHONE)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, "api-keys-brand-phone")
        assert_accessible(page)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.context.clear_cookies()

        # The operator: network scopes and brand scopes, and the brand a key is for.
        _sign_in(page, url, BOSS)
        page.goto(f"{url}/console/keys")
        assert page.locator("optgroup[label='Brand keys only'] option[value=reporting]").count() == 1
        assert page.locator("optgroup[label='Network keys only'] option[value=finance]").count() == 1
        page.get_by_label("Name").fill("Tea importer")
        page.get_by_label("Scope").select_option("ad_ops")
        page.get_by_label("For an advertiser").select_option(label="Harbor Tea")
        page.get_by_role("button", name="Create key").click()
        page.wait_for_load_state()
        assert "ad operations is not a scope of a brand" in page.locator("#team_role-error").inner_text()
        shot(page, "api-keys-console-error")
        assert_accessible(page)
    assert not outside, f"pages loaded from outside this machine: {outside}"

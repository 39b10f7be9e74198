"""The campaign wizard in Chromium against the real server, offline, under the pages' CSP:
each step checked as the brand goes (mistakes in plain words beside their fields, a wrong
image size caught before upload), Enter moving on and never submitting, the step labels
worked by keyboard, the summary of what will be bought before anything is saved, a draft
saved, listed, resumed and finished. axe-core on every page it visits; screenshots under
tests/artifacts/screenshots/wizard-journey-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_content_security_policy import Violations
from tests.browser.test_dashboard_journeys import PASSWORD, PHONE, _sign_in, shot
from tests.dashboard.images import png
from tests.servers import BOOTSTRAP, base_env, running_server

EMAIL = "brand@acme.example"
CURRENT = "document.querySelector('[data-step-label][aria-current=step]').dataset.stepLabel"


def _keep(page: Any, name: str) -> None:
    shot(page, f"wizard-journey-{name}")


def _at_step(page: Any, step: int) -> None:
    page.wait_for_function(f"() => {CURRENT} === '{step}'")
    assert page.locator("[data-step]:visible").count() == 1
    assert page.locator(f"[data-step='{step}']").is_visible()


def _error(page: Any, field: str) -> str:
    locator = page.locator(f"#{field}-error")
    locator.wait_for()
    return str(locator.inner_text())


def _campaigns(api: httpx.Client) -> int:
    return len(api.get("/v1/campaigns").json()["data"])


def test_the_wizard_checks_each_step_sums_up_and_keeps_a_draft(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    violations = Violations(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    small, right = tmp_path / "small.png", tmp_path / "banner.png"
    small.write_bytes(png(100, 100))
    right.write_bytes(png(300, 250))
    with running_server(
        base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP), log=tmp_path / "server.log"
    ) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        assert (
            api.post(
                "/v1/placements",
                json={
                    "id": "home-hero",
                    "name": "Home page hero",
                    "channel": "web",
                    "format": "banner",
                    "sizes": ["300x250", "1200x400"],
                    "floor_cpm": 2.5,
                },
            ).status_code
            == 201
        )
        brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
        assert (
            api.post(
                "/v1/users",
                json={"email": EMAIL, "password": PASSWORD, "role": "advertiser", "advertiser_id": brand["id"]},
            ).status_code
            == 201
        )
        _sign_in(page, url, EMAIL)
        page.goto(f"{url}/brand/campaigns/new")
        _at_step(page, 0)
        assert_accessible(page)

        # Next with no name: the step says so beside the field, and stays.
        page.click("[data-next]")
        assert _error(page, "name") == "Give the campaign a name, e.g. Spring launch."
        _at_step(page, 0)
        assert page.get_attribute("input[name=name]", "aria-invalid") == "true"
        _keep(page, "1-goal-error")
        # Enter in a field moves on (checked) and never submits the form.
        page.check("input[value=awareness]")  # bought by the thousand: the placement's floor applies
        page.fill("input[name=name]", "Tent week")
        page.press("input[name=name]", "Enter")
        _at_step(page, 1)
        assert page.url == f"{url}/brand/campaigns/new" and _campaigns(api) == 0

        # The services' own rule, in the marketer's words, as the step is left.
        page.fill("input[name=budget_total]", "500")
        page.fill("input[name=budget_daily]", "600")
        page.press("input[name=budget_daily]", "Enter")
        assert _error(page, "budget_daily") == "The daily budget can't be more than the total budget."
        _at_step(page, 1)
        _keep(page, "2-budget-error")
        page.fill("input[name=budget_daily]", "40")  # corrected: checked again as it changes
        page.wait_for_selector("#budget_daily-error", state="detached")
        page.press("input[name=budget_daily]", "Enter")
        _at_step(page, 2)

        # The step labels are buttons, reached and worked by keyboard.
        page.focus("[data-step-label='0']")
        page.keyboard.press("Enter")
        _at_step(page, 0)
        page.focus("[data-step-label='2']")
        page.keyboard.press("Space")
        _at_step(page, 2)
        page.check("#pl-home-hero")
        _keep(page, "3-placements")
        page.click("[data-next]")
        _at_step(page, 3)
        page.fill("input[name=keywords]", "tents, camping")
        page.press("input[name=keywords]", "Enter")
        _at_step(page, 4)
        page.fill("input[name=bid]", "1")
        page.press("input[name=bid]", "Enter")
        assert _error(page, "bid") == (
            "Your bid is below the floor of Home page hero: bid at least 2.50, the lowest "
            "price per thousand impressions it accepts."
        )
        _keep(page, "5-bid-error")
        page.fill("input[name=bid]", "6")
        page.click("[data-next]")
        _at_step(page, 5)

        # A wrong size is caught when the file is chosen, before anything is uploaded.
        page.set_input_files("input[name=image]", str(small))
        assert _error(page, "image") == (
            "This image is 100x100 pixels, and the placements you chose show 1200x400 "
            "or 300x250. Upload an image of one of those sizes."
        )
        _keep(page, "6-creative-wrong-size")
        page.set_input_files("input[name=image]", str(right))
        page.wait_for_selector("#image-error", state="detached")
        page.fill("input[name=click_url]", "https://acme.example/tents")
        assert_accessible(page)
        page.press("input[name=click_url]", "Enter")

        # The last step sums up what will be bought and what it can cost; nothing is saved yet.
        _at_step(page, 6)
        summary = page.locator("[data-summary-ready]")
        summary.wait_for()
        text = " ".join(summary.inner_text().split())
        assert "$500.00 at most" in text and "Total budget: $500.00; at most $40.00 a day" in text, text
        assert "Home page hero" in text and "Searching for tents, camping" in text and "$6.00 per thousand" in text
        assert page.locator("[data-summary-image]").is_visible()  # the chosen image, before it is uploaded
        assert page.locator("[data-submit]").is_visible() and _campaigns(api) == 0
        # A new network has no sampled requests: the forecast box says so, and the summary forecasts nothing.
        page.wait_for_function("() => document.querySelector('[data-forecast]').dataset.state === 'no-history'")
        assert page.locator("[data-summary-forecast]").is_hidden()
        _keep(page, "7-review")
        assert_accessible(page)
        page.set_viewport_size(PHONE)
        _keep(page, "7-review-phone")
        page.set_viewport_size({"width": 1280, "height": 900})

        # Kept as a draft: listed on the brand's home, nothing booked.
        page.click("[data-save-draft]")
        page.wait_for_url(f"{url}/brand#drafts")
        assert "is saved" in page.locator(".flash").inner_text() and _campaigns(api) == 0
        draft = page.locator("[data-draft]")
        assert "Tent week" in draft.inner_text() and "Draft" in draft.inner_text()
        _keep(page, "8-home-draft")
        assert_accessible(page)

        # Resumed later: everything as typed, the image kept; reviewed again, then created.
        draft.locator("a", has_text="Resume").click()
        page.wait_for_load_state()
        assert (
            page.input_value("input[name=name]") == "Tent week" and page.input_value("input[name=budget_daily]") == "40"
        )
        page.click("[data-step-label='6']")  # every step before it is checked on the way
        _at_step(page, 6)
        assert "The image you uploaded (300x250)" in page.locator("[data-summary-ready]").inner_text()
        page.click("[data-submit]")
        page.wait_for_load_state()
        assert "is created" in page.locator(".flash").inner_text()
        assert _campaigns(api) == 1
        page.goto(f"{url}/brand")
        assert page.locator("[data-draft]").count() == 0
    assert violations == [] and errors == [], (violations, errors)
    assert outside == [], f"pages reached outside the machine: {outside}"

"""The operator's case study editor and catalogue search in Chromium against a real server:
the words typed in the browser keep every paragraph, leaving with unsaved words asks first
(saving does not), unpublishing asks before dropping them and stores none of them, the
editor fits a phone's width, and the catalogue's search works after a feed import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_dashboard_journeys import PASSWORD, PHONE, _network, _sign_in, shot
from tests.servers import BOOTSTRAP, base_env, running_server, shelfspace

DESKTOP = {"width": 1280, "height": 900}
WORDS = "Tents sold out in a week.\n\nThe second paragraph,\non two lines.\n\n\nA third, after two blank lines."


class Dialogs(list[tuple[str, str]]):
    """Every dialog the page opened (type, message), answered as queued in `answers`
    ("accept" or "dismiss"; dismissed when none is queued)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []

    def __call__(self, dialog: Any) -> None:
        self.append((dialog.type, dialog.message))
        if self.answers and self.answers.pop(0) == "accept":
            dialog.accept()
        else:
            dialog.dismiss()


def _fits_the_width(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def _case_study(page: Any, url: str, dialogs: Dialogs) -> None:
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
    _network(api)
    brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand["id"],
            "name": "Tents",
            "budget_total": 100,
            "budget_daily": 10,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    api.post(
        "/v1/line-items", json={"campaign_id": campaign["id"], "name": "Hero", "bid": 5, "placements": ["home-hero"]}
    )
    editor = f"{url}/console/campaigns/{campaign['id']}/case-study/edit"
    _sign_in(page, url, "ops@network.example")
    page.goto(editor)
    assert page.locator("#words-state").get_attribute("data-words") == "draft"
    assert "“Tents”" in page.locator("textarea[name=narrative]").input_value()
    assert_accessible(page)
    shot(page, "case-study-editor-draft")

    # Typed in the browser (which sends CR LF): saved without a prompt, every paragraph kept.
    page.fill("textarea[name=narrative]", WORDS)
    page.click("button[value=save]")
    page.wait_for_load_state()
    assert "The narrative is now your own words" in page.locator(".flash").inner_text() and dialogs == []
    assert page.locator("#words-state").get_attribute("data-words") == "own"
    assert page.locator("textarea[name=narrative]").input_value() == WORDS
    preview = page.frame_locator("iframe.case-study-preview")
    paragraphs = preview.locator("section.narrative p")
    paragraphs.nth(2).wait_for()
    assert paragraphs.all_inner_texts() == [
        "Tents sold out in a week.",
        "The second paragraph,\non two lines.",
        "A third, after two blank lines.",
    ]
    assert_accessible(page)
    shot(page, "case-study-editor-own-words")

    # Leaving with unsaved words asks; staying keeps them, leaving leaves.
    page.click("input[name=headline]")
    page.keyboard.press("End")
    page.keyboard.type(" (edited)")
    page.click("text=← Tents: measurement")  # dismissed: stays
    assert dialogs[-1][0] == "beforeunload" and page.url == editor
    assert page.locator("input[name=headline]").input_value().endswith(" (edited)")

    # Publish, then unpublish with unsaved words: asked first, and the words are not stored.
    page.click("button[value=publish]")
    page.wait_for_load_state()
    assert "Published" in page.locator(".flash").inner_text()
    saved_headline = page.locator("input[name=headline]").input_value()
    page.fill("textarea[name=narrative]", "Never meant to be saved.")
    page.click("button[value=unpublish]")  # dismissed: nothing sent
    assert dialogs[-1][0] == "confirm" and page.locator("#share-link").count() == 1
    dialogs.answers.append("accept")
    page.click("button[value=unpublish]")
    page.wait_for_load_state()
    assert "Nothing else changed" in page.locator(".flash").inner_text()
    assert page.locator("#share-link").count() == 0
    assert page.locator("textarea[name=narrative]").input_value() == WORDS
    assert page.locator("input[name=headline]").input_value() == saved_headline

    page.fill("input[name=headline]", "Leaving anyway")
    dialogs.answers.append("accept")
    with page.expect_navigation():
        page.click("text=← Tents: measurement")
    assert page.url.endswith("/measurement") and dialogs[-1][0] == "beforeunload"

    page.set_viewport_size(PHONE)
    page.goto(editor)
    assert _fits_the_width(page), "the editor scrolls sideways at phone width"
    assert_accessible(page)
    shot(page, "case-study-editor-phone")
    page.set_viewport_size(DESKTOP)


def _catalogue(tmp_path: Path, page: Any, url: str) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "sku,title,brand,category,price,available\nTEA-1,Green tea,Harbor,beverages/tea,2.49,true\n"
        "TEA-2,Black tea,Harbor,beverages/tea,2.29,true\n"
    )
    page.goto(f"{url}/console/products")
    page.set_input_files("input[name=feed]", str(feed))
    page.click("form[data-progress] button[type=submit]")
    page.wait_for_selector("text=Imported 2 of 2 rows")
    assert page.url == f"{url}/console/products"
    page.fill("input[name=q]", "green")
    with page.expect_navigation() as answer:
        page.click("button:has-text('Find')")
    assert answer.value.status == 200 and "Green tea" in page.locator("table").inner_text()
    assert "Black tea" not in page.locator("table").inner_text()
    assert_accessible(page)

    # An import with a row to correct answers in place, and its search still works.
    feed.write_text(feed.read_text() + "TEA-3,,Harbor,beverages/tea,2.49,true\n")
    page.set_input_files("input[name=feed]", str(feed))
    page.click("form[data-progress] button[type=submit]")
    page.wait_for_selector("text=Imported 2 of 3 rows")
    assert "title" in page.locator("table").first.inner_text()  # the row to correct, by line and field
    shot(page, "console-products-import-in-place")
    page.fill("input[name=q]", "black")
    with page.expect_navigation() as answer:
        page.click("button:has-text('Find')")
    assert answer.value.status == 200 and "Black tea" in page.locator("table").last.inner_text()
    page.reload()
    assert page.url.startswith(f"{url}/console/products")
    assert_accessible(page)
    shot(page, "console-products-searched")


def test_the_case_study_editor_and_the_catalogue_search(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
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
        _case_study(page, url, dialogs)
        _catalogue(tmp_path, page, url)
    assert errors == []
    assert outside == [], f"pages reached outside the machine: {outside}"

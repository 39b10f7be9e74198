"""In the living demo: a new brand signs up, the operator approves it and its creative in the
console, and the demo's own simulated shoppers make the campaign deliver."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from shelfspace.sim.demo_logins import DEMO_PASSWORD
from tests.browser.test_dashboard_journeys import PHONE, shot
from tests.dashboard.images import png
from tests.servers import base_env, emailed_link, running_server
from tests.waiting import wait_for

DEMO_ARGS = ("--visits-per-day", "100", "--live-visits-per-second", "6")
OPERATOR = ("operator@freshmart.example", DEMO_PASSWORD)
DESKTOP = {"width": 1280, "height": 900}


def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _measurement_in_the_demo(page: Any, url: str) -> None:
    """The demo's test campaign as the operator and as Brightbean see it: its lift, the brand
    lift study its simulated shoppers answered, and the case study published for anyone."""
    page.context.clear_cookies()
    _sign_in(page, url, *OPERATOR)
    page.goto(f"{url}/console/campaigns")
    row = page.locator("tr", has_text="Brightbean launch")
    assert "test" in row.inner_text() and "50% held out" in row.inner_text()
    row.locator("a", has_text="Measurement").click()
    page.wait_for_load_state()
    assert page.locator("[data-verdict=intent_to_treat]").inner_text() in (
        "Proven lift",
        "No proven lift",
        "Fewer buyers than the holdout",
        "Too few shoppers to read",
        "Interim: not read yet",
    )
    assert int(page.locator("[data-figure=exposed-responses]").inner_text().replace(",", "")) > 0
    assert int(page.locator("[data-figure=control-responses]").inner_text().replace(",", "")) > 0
    shot(page, "demo-measurement-operator")
    page.click("text=Edit & publish the case study")
    page.wait_for_load_state()
    page.click("button[value=publish]")
    page.wait_for_load_state()
    assert "Published" in page.locator(".flash").inner_text()
    share = page.locator("#share-link").inner_text()
    shot(page, "demo-case-study-editor")

    page.context.clear_cookies()  # a stranger with the link
    page.goto(share)
    assert "Brightbean" in page.locator("h1").inner_text()
    assert "Methodology" in page.locator("body").inner_text()
    shot(page, "demo-case-study-shared")
    pdf = page.request.get(f"{share}?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    _sign_in(page, url, "brightbean@brands.example", OPERATOR[1])
    page.click("text=Brightbean launch")
    page.wait_for_load_state()
    page.click("text=Measurement")
    page.wait_for_load_state()
    assert "Brightbean launch: measurement" in page.locator("h1").inner_text()
    assert page.locator("article.study").count() == 1
    shot(page, "demo-measurement-brand")


def test_a_new_brand_delivers_in_the_demo(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    with running_server(
        base_env(tmp_path / "data"), command="demo", log=tmp_path / "demo.log", args=DEMO_ARGS, startup_seconds=180
    ) as url:
        # The operator's first look: a populated console.
        _sign_in(page, url, *OPERATOR)
        assert "Network overview" in page.locator("h1").inner_text()
        page.wait_for_selector(".chart .main-svg")
        assert page.locator(".kpi .value").first.inner_text() != "0.00"
        shot(page, "demo-console")
        page.context.clear_cookies()

        page.goto(f"{url}/signup")
        for name, value in (
            ("name", "Harbor Tea"),
            ("domain", "harbortea.example"),
            ("category", "beverages/tea"),
            ("email", "ops@harbortea.example"),
            ("password", "a long password 123"),
        ):
            page.fill(f"input[name={name}]", value)
        page.click("button[type=submit]")
        assert "Check your e-mail" in page.locator("main").inner_text()  # the demo has no SMTP: the link is logged
        page.goto(url + emailed_link(tmp_path / "demo.log", "ops@harbortea.example"))
        page.goto(f"{url}/brand")
        assert "reviewing" in page.locator("main").inner_text()
        brand_cookies = page.context.cookies()

        page.context.clear_cookies()
        _sign_in(page, url, *OPERATOR)
        page.goto(f"{url}/console/review")
        signup = page.locator("[data-signup]", has_text="Harbor Tea")  # approved on credit: it has no wallet yet
        signup.locator("select[name=billing_mode]").select_option("credit")
        signup.locator("input[name=credit_limit]").fill("1000")
        page.click("button:has-text('Approve Harbor Tea')")
        page.wait_for_load_state()
        assert "approved" in page.locator(".flash").inner_text()

        page.context.clear_cookies()
        page.context.add_cookies(brand_cookies)
        page.goto(f"{url}/brand/campaigns/new")
        page.check("input[value=awareness]")
        page.fill("input[name=name]", "Tea time")
        page.click("[data-next]")
        page.fill("input[name=budget_total]", "500")
        page.fill("input[name=budget_daily]", "100")
        page.fill("input[name=start]", date.today().isoformat())
        page.click("[data-next]")
        page.check("#pl-home-hero")
        page.click("[data-next]")
        page.click("[data-next]")
        page.fill("input[name=bid]", "40")  # well above what the hero clears at: it wins most auctions
        page.click("[data-next]")
        image = tmp_path / "banner.png"
        image.write_bytes(png(300, 250))
        page.set_input_files("input[name=image]", str(image))
        page.fill("input[name=click_url]", "https://harbortea.example/tea")
        page.click("[data-next]")  # the review step: what will be bought, before anything is saved
        page.wait_for_selector("[data-summary-ready]")
        page.click("[data-submit]")
        page.wait_for_load_state()
        campaign_url = page.url
        assert "/brand/campaigns/cmp_" in campaign_url

        page.context.clear_cookies()
        _sign_in(page, url, *OPERATOR)
        page.goto(f"{url}/console/review")
        card = page.locator("article[data-creative]", has_text="Harbor Tea")
        assert "banner 300x250" in card.inner_text()
        assert card.locator("img").count() == 1  # an upload on this server: the real image is shown
        card.locator("button[value=approve]").click()
        page.wait_for_load_state()

        page.context.clear_cookies()
        page.context.add_cookies(brand_cookies)

        def delivering() -> bool:
            page.goto(campaign_url)
            return page.locator(".kpi", has_text="Impressions").locator(".value").inner_text() not in ("0", "–")

        wait_for(
            delivering, 60, "the demo's shoppers to see the new campaign (its page counting impressions)", interval=2
        )
        shot(page, "demo-new-campaign-delivering")
        page.set_viewport_size(PHONE)
        shot(page, "demo-new-campaign-phone")
        page.set_viewport_size(DESKTOP)
        _measurement_in_the_demo(page, url)
    log = (tmp_path / "demo.log").read_text()
    assert (
        "test campaign Brightbean launch: true incremental purchases" in log
    )  # the simulator's truth, beside the interval
    assert outside == [], f"pages reached outside the machine: {outside}"

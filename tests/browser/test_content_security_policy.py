"""Every page works under its Content-Security-Policy, in Chromium (http/security_headers.py).

A page that breaks under CSP does not fail loudly: the browser refuses a script or a
style, reports it, and the page goes on without it. So each page is walked with every
report collected (the `securitypolicyviolation` event in every frame, and the console's
"Content Security Policy" messages, which also name refusals in frames where no script
of ours runs), and with proof that its scripts ran: an element only the script makes.

Screenshots land in tests/artifacts/screenshots/ (csp-*.png).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from shelfspace.sim.demo_logins import DEMO_PASSWORD, OPERATOR_EMAIL
from tests.browser.test_dashboard_journeys import SHOTS, shot
from tests.browser.test_demo_journey import DEMO_ARGS
from tests.browser.test_publisher_tag import DOC_SERVER, as_shopper, documented_lines, shop_with_ads
from tests.servers import base_env, running_server
from tests.waiting import wait_for

BRAND_EMAIL = "brightbean@brands.example"  # the demo's brand with a lift study and a case study
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(
  [location.href, e.effectiveDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber].join(" ")));
"""


class Violations(list[str]):
    """Every CSP refusal any frame of the page reported."""

    def __init__(self, page: Any) -> None:
        super().__init__()
        page.context.expose_function("__cspViolation", lambda report: self.append(report))
        page.context.add_init_script(REPORT_VIOLATIONS)
        page.on(
            "console",
            lambda m: (
                self.append(f"console: {m.text}")
                if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
                else None
            ),
        )


def _sign_in(page: Any, url: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not sign in"


def _visit(page: Any, url: str) -> Any:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, url
    return response


def _charts_drawn(page: Any, name: str) -> None:
    """Plotly (loaded by shelfspace.js from /static/vendor) drew every chart of the page."""
    charts = page.locator(".chart[data-source]")
    assert charts.count() > 0, f"{name}: no chart on the page"
    page.wait_for_function(
        "[...document.querySelectorAll('.chart[data-source]')].every((c) => c.querySelector('.main-svg'))"
    )
    assert page.locator(".chart-tabs button").count() > 0  # made by shelfspace.js
    shot(page, f"csp-{name}")


HTML_BANNER = """<!doctype html><body style="margin:0;background:#0b6e4f;color:#fff;font:16px sans-serif">
<a href="%%CLICK_URL%%" style="color:#fff">Tea, now 20% off</a><script>document.body.dataset.ran = "yes";</script></body>"""


def _html_banner_waiting_for_review(url: str, demo_log: Path) -> str:
    """An HTML banner on the demo's hero, sent by the brand whose API key the demo prints
    (so it waits for the operator's review): its id."""
    found = re.search(r"advertiser key: (\S+)\s+\(advertiser (\S+)\)", demo_log.read_text())
    assert found, "the demo printed no advertiser key"
    brand = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {found.group(1)}"})
    advertiser_id = found.group(2)
    campaign = brand.post(
        "/v1/campaigns",
        json={
            "advertiser_id": advertiser_id,
            "name": "HTML banner",
            "budget_total": 100,
            "budget_daily": 10,
            "start": "2026-01-01T00:00:00Z",
        },
    )
    assert campaign.status_code == 201, campaign.text
    line_item = brand.post(
        "/v1/line-items",
        json={"campaign_id": campaign.json()["id"], "name": "Hero", "bid": 5, "placements": ["home-hero"]},
    )
    assert line_item.status_code == 201, line_item.text
    creative = brand.post(
        "/v1/creatives",
        json={
            "advertiser_id": advertiser_id,
            "line_item_id": line_item.json()["id"],
            "format": "banner",
            "size": "300x250",
            "html": HTML_BANNER,
            "click_url": "https://brand.example/",
        },
    )
    assert creative.status_code == 201, creative.text
    return str(creative.json()["id"])


def walk_every_page(page: Any, url: str, demo_log: Path) -> None:
    """The pages of the demo network, each with its scripts' proof of work."""
    # Signed out: sign-in, sign-up, the media kit, the API docs (Swagger UI, started by a file of ours).
    for path in ("/login", "/signup", "/media-kit"):
        _visit(page, f"{url}{path}")
        assert page.locator("main h1, main h2").count() > 0, path
    _visit(page, f"{url}/docs")
    page.wait_for_selector(".opblock", timeout=15_000)  # drawn by Swagger UI's script
    shot(page, "csp-docs")

    # The operator: the console's charts, review (creative previews), billing, measurement.
    html_banner = _html_banner_waiting_for_review(url, demo_log)
    _sign_in(page, url, OPERATOR_EMAIL)
    _visit(page, f"{url}/console")
    _charts_drawn(page, "console")
    _visit(page, f"{url}/console/billing")
    _charts_drawn(page, "console-billing")
    _visit(page, f"{url}/console/review")
    # The banner's own document: its inline styles apply, its script does not run (sandbox).
    banner = page.frame_locator(f"article[data-creative={html_banner}] iframe")
    assert banner.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(11, 110, 79)"
    assert banner.locator("body").evaluate("b => b.dataset.ran || 'no'") == "no"
    assert (
        page.locator(f"article[data-creative={html_banner}] .ad-frame").evaluate("e => e.style.aspectRatio")
        == "300 / 250"
    )
    # The banner's frame is a document of another (opaque) origin: a full-page shot leaves it blank.
    page.locator(f"article[data-creative={html_banner}]").screenshot(path=str(SHOTS / "csp-review-html-banner.png"))
    for path in (
        "/console/inventory",
        "/console/products",
        "/console/campaigns",
        "/console/advertisers",
        "/console/health",
        "/media-kit",
    ):
        _visit(page, f"{url}{path}")
    _visit(page, f"{url}/console/campaigns")
    page.locator("tr", has_text="Brightbean launch").locator("a", has_text="Measurement").click()
    page.wait_for_load_state()
    assert page.locator("[data-verdict=intent_to_treat]").count() == 1
    shot(page, "csp-measurement")
    page.click("text=Edit & publish the case study")
    page.wait_for_load_state()
    # The editor frames the case study (frame-ancestors 'self' on that page alone), styled by its nonce.
    preview = page.frame_locator("iframe.case-study-preview")
    assert "Brightbean" in preview.locator("h1").inner_text()
    assert preview.locator("header.cover").evaluate("e => getComputedStyle(e).borderBottomStyle") == "solid"
    page.click("button[value=publish]")
    page.wait_for_load_state()
    share = page.locator("#share-link").inner_text()

    # The brand: its campaign's chart, the wizard's steps (wizard.js), its billing.
    _sign_in(page, url, BRAND_EMAIL)
    page.click("text=Brightbean launch")
    page.wait_for_load_state()
    _charts_drawn(page, "brand-campaign")
    _visit(page, f"{url}/brand/campaigns/new")
    assert page.locator("[data-step]:visible").count() == 1  # wizard.js shows one step at a time
    page.click("[data-next]")
    assert page.locator("[data-step]:visible").count() == 1
    shot(page, "csp-wizard")
    for path in ("/brand", "/brand/creatives", "/brand/billing"):
        _visit(page, f"{url}{path}")

    # A stranger with the case study's link: the public page, styled by its nonce.
    page.context.clear_cookies()
    _visit(page, share)
    assert page.locator("header.cover").evaluate("e => getComputedStyle(e).borderBottomStyle") == "solid"
    shot(page, "csp-case-study")


def test_every_page_runs_its_scripts_and_styles_with_no_policy_violation(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    violations = Violations(page)
    log = tmp_path / "demo.log"
    with running_server(
        base_env(tmp_path / "data"), command="demo", log=log, args=DEMO_ARGS, startup_seconds=180
    ) as url:
        walk_every_page(page, url, log)
    assert violations == [], "\n".join(violations)
    assert outside == [], outside


def test_the_publisher_tag_works_on_a_page_with_its_own_strict_policy(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    """The tag, its decisions, banners and pixels come from Shelfspace to OTHER sites: our
    headers must not get in their way, and a shop whose own CSP allows our origin (and
    nothing inline) must see its ads render and count, with no refusal."""
    page, outside = page_and_outside
    violations = Violations(page)
    with shop_with_ads(tmp_path) as (url, shop_page_url, api):
        slot_top, _, script = documented_lines()
        strict = (
            f"default-src 'self'; script-src 'self' {url}; connect-src {url}; img-src 'self' {url}; "
            "style-src 'self'; frame-src 'none'"
        )
        (tmp_path / "site" / "strict.html").write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{strict}"><title>Strict shop</title></head>
<body><h1>Offers</h1>{slot_top}{script.replace(DOC_SERVER, url)}</body></html>""")
        as_shopper(page)
        page.goto(shop_page_url.replace("index.html", "strict.html"))
        page.wait_for_selector(".shelfspace-ad img")  # the tag ran, asked, and drew the banner
        assert page.locator(".shelfspace-ad img").evaluate("img => img.naturalWidth") == 300
        tag = httpx.get(f"{url}/tag.js")
        assert tag.headers["x-content-type-options"] == "nosniff"
        assert "content-security-policy" not in tag.headers and "x-frame-options" not in tag.headers
        shot(page, "csp-publisher-strict")
        today = page.evaluate("new Date().toISOString().slice(0, 10)")

        def counted() -> bool:
            totals = api.get("/v1/reports", params={"from": today, "to": today}).json()["totals"]
            return bool(totals["impressions"] >= 1)

        wait_for(counted, 10, "the impression pixel counted", interval=0.2)
    assert violations == [], "\n".join(violations)
    assert outside == [], outside

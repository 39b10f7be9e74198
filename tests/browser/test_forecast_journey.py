"""The live forecast in Chromium against the real server, offline, under the pages' CSP:
the wizard's forecast box moves as targeting changes and says why, and the campaign edit
page forecasts the line item at its edited settings, then saves the edit.

The server's history (a week of sampled requests) is written into its database as its
request log writes it, dated on the days before today: a server cannot be sent back in
time. Screenshots: tests/artifacts/screenshots/forecast-*.png, and copies under /tmp.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shelfspace.config import Settings
from shelfspace.db.engine import make_engine
from shelfspace.db.session import make_sessionmaker
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.forecasting.request_log import RequestLog
from shelfspace.forecasting.sample import RequestSampler
from tests.browser.test_content_security_policy import Violations
from tests.browser.test_dashboard_journeys import PASSWORD, SHOTS, shot
from tests.servers import BOOTSTRAP, base_env, running_server
from tests.support import BANNER, banner_creative, campaign_body, line_item_body

EMAIL = "brand@acme.example"
STATE = "document.querySelector('[data-forecast]').dataset.state"
DAILY_IMPRESSIONS = "[data-forecast] [data-out='daily.impressions']"


def _digest(text: str) -> str:
    """A keyed hash of the signer's shape (24 hex digits); any key will do for a history
    whose users only need to be told apart."""
    return hashlib.sha256(f"test-key.{text}".encode()).hexdigest()[:24]


def _history(data_dir: Path, days: int = 7, a_day: int = 60) -> None:
    """A week of shoppers on the hero (tents or coffee searches, GB, mobile), written by a
    request log on the server's database as the decision route's would be."""
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.sqlalchemy_url())
    tz = ZoneInfo(settings.timezone)
    log = RequestLog(make_sessionmaker(engine), RequestSampler(100, pseudonym=_digest), tz)
    today = datetime.now(UTC).astimezone(tz).date()
    for back in range(1, days + 1):
        for n in range(a_day):
            at = datetime.combine(today - timedelta(days=back), time(8), tz) + timedelta(minutes=10 * n)
            log.offer(
                DecisionRequest(
                    (SlotRequest("home-hero", 1),),
                    Context(keywords=("tents" if n % 2 else "coffee",), country="GB", device="mobile"),
                    f"shopper-{n % 20}",
                    consent=True,
                ),
                at,
            )
    assert log.write_batch() == days * a_day
    engine.dispose()


def _ready(page: Any) -> None:
    page.wait_for_function(f"() => {STATE} === 'ready'")


def _keep(page: Any, name: str, element: str | None = None) -> Path:
    """A screenshot in the artifacts, and a copy under /tmp to look at."""
    if element is None:
        shot(page, name)
    else:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(element).screenshot(path=str(SHOTS / f"{name}.png"))
    kept = Path("/tmp") / f"{name}.png"
    shutil.copyfile(SHOTS / f"{name}.png", kept)
    return kept


def test_the_forecast_moves_with_targeting_and_the_edit_saves(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    violations = Violations(page)
    data = tmp_path / "data"
    env = base_env(data, SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP, SHELFSPACE_REQUEST_SAMPLE_PERCENT="100")
    with running_server(env, log=tmp_path / "server.log") as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        assert api.post("/v1/placements", json=BANNER).status_code == 201
        brand = api.post("/v1/advertisers", json={"name": "Acme Outdoor", "domain": "acme.example"}).json()
        assert (
            api.post(
                "/v1/users",
                json={"email": EMAIL, "password": PASSWORD, "role": "advertiser", "advertiser_id": brand["id"]},
            ).status_code
            == 201
        )
        _history(data)
        page.goto(f"{url}/login")
        page.fill("input[name=email]", EMAIL)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

        # The wizard: the box lists what it still needs, then forecasts as the form fills in.
        page.goto(f"{url}/brand/campaigns/new")
        page.wait_for_function(f"() => {STATE} === 'invalid'")
        assert "To see a forecast" in page.locator("[data-forecast] [data-out='status']").inner_text()
        page.check("input[value=awareness]")
        page.fill("input[name=name]", "Tents in the sun")  # each step is checked before the next
        page.click("[data-next]")
        page.fill("input[name=budget_total]", "500")
        page.fill("input[name=budget_daily]", "50")
        page.click("[data-next]")
        page.check("#pl-home-hero")
        page.click("[data-next]")
        page.click("[data-next]")
        page.fill("input[name=bid]", "6")
        _ready(page)
        before = page.locator(DAILY_IMPRESSIONS).inner_text()
        assert before == "60", before
        assert "USD" in page.locator("[data-forecast] [data-out='daily.spend']").inner_text()
        assert "replayed against 7 days" in page.locator("[data-forecast] [data-out='method']").inner_text()
        wizard_box = _keep(page, "forecast-wizard-box", "[data-forecast]")

        # A keyword nobody searches: nothing to win, and the box says it is the targeting.
        page.click("[data-step-label='3']")
        page.fill("input[name=keywords]", "zzyzx unicycle")
        page.wait_for_function(f"() => document.querySelector(\"{DAILY_IMPRESSIONS}\").textContent === '0'")
        _ready(page)
        limit = page.locator("[data-forecast] [data-out='limit']")
        assert limit.get_attribute("data-limit") == "targeting"
        assert "Your targeting matches 0.0% of the requests on these placements" in limit.inner_text()
        _keep(page, "forecast-wizard-box-no-match", "[data-forecast]")
        # A mistake typed in a field is shown beside it.
        page.fill("input[name=countries]", "Britain")
        page.wait_for_function(f"() => {STATE} === 'invalid'")
        assert "ISO 3166-1" in page.locator("[data-forecast-error='countries']").inner_text()

        # The edit page of a running campaign: its line item forecast at the edited settings.
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        campaign = api.post(
            "/v1/campaigns",
            json=campaign_body(brand["id"], start=start.isoformat(), end=(start + timedelta(days=30)).isoformat()),
        ).json()
        line_item = api.post(
            "/v1/line-items",
            json=line_item_body(
                campaign["id"], targeting={"keywords": ["tents"], "countries": ["GB"], "devices": ["mobile"]}
            ),
        ).json()
        assert api.post("/v1/creatives", json=banner_creative(brand["id"], line_item["id"])).status_code == 201
        page.goto(f"{url}/brand/campaigns/{campaign['id']}")
        page.click(f"a[href='/brand/campaigns/{campaign['id']}/edit']")
        page.wait_for_load_state()
        _ready(page)
        assert page.locator(DAILY_IMPRESSIONS).inner_text() == "30"  # "tents": half the searches
        page.fill("input[name=keywords]", "")
        page.wait_for_function(f"() => document.querySelector(\"{DAILY_IMPRESSIONS}\").textContent === '60'")
        page.fill("input[name=bid]", "4.5")
        page.fill("input[name=budget_total]", "1500")
        _ready(page)
        edit_page = _keep(page, "forecast-edit-page")
        page.click("form[data-campaign-edit] button[type=submit]")
        page.wait_for_load_state()
        assert "is updated" in page.locator(".flash").inner_text()
        saved = api.get(f"/v1/line-items/{line_item['id']}").json()
        assert saved["bid"] == 4.5 and saved["targeting"]["keywords"] == []
        assert api.get(f"/v1/campaigns/{campaign['id']}").json()["budget_total"] == 1500
    assert outside == [], f"pages reached outside the machine: {outside}"
    assert violations == [], violations
    assert wizard_box.exists() and edit_page.exists()

"""The brand's live forecast (POST /brand/forecast) and the campaign edit page, in-process.

History is written as the decision route writes it: requests offered to the app's own
request log, dated on the days before today, and flushed; the forecast then replays them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.roles import Role
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.forecasting.models import SampledRequestRow
from shelfspace.forecasting.request_log import RequestLog
from tests.dashboard.pages import make_user, sign_in, token_of
from tests.support import BANNER, VIDEO, Api, banner_creative, campaign_body, line_item_body, runtime
from tests.waiting import wait_for_equal

USERS = 20
REQUESTS_A_DAY = 60
HISTORY_DAYS = 7
INPUT = re.compile(r'<input type="(?:hidden|text|date|number|time)" name="([a-z_0-9]+)" value="([^"]*)"')
REPEATED = ("placements", "products")
CHECKED = re.compile(r'<input type="checkbox" name="([a-z_0-9]+)" value="([^"]+)"[^>]*?\bchecked\b')
SELECTED = re.compile(r'<select name="([a-z_]+)">.*?<option value="([^"]+)" selected', re.S)


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Every request sampled: the history below is exactly what the forecast replays."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test", request_sample_percent=100
    )


def today(client: TestClient) -> date:
    settings: Settings = runtime(client).settings
    return datetime.now(UTC).astimezone(ZoneInfo(settings.timezone)).date()


def write_history(client: TestClient, placement: str = "home-hero") -> None:
    """A week of requests on `placement`: shoppers searching tents or coffee, in GB, on
    mobile, each with an id and consent, offered to the app's request log as the decision
    route offers them and flushed. The app's background flusher takes from the same buffer,
    so a flush here returns only what it took; all of them are in the table after it."""
    settings: Settings = runtime(client).settings
    tz = ZoneInfo(settings.timezone)
    log = runtime(client).opportunities.requests
    assert isinstance(log, RequestLog)
    for back in range(1, HISTORY_DAYS + 1):
        day = today(client) - timedelta(days=back)
        for n in range(REQUESTS_A_DAY):
            at = datetime.combine(day, time(8), tz) + timedelta(minutes=10 * n)
            keyword = "tents" if n % 2 else "coffee"
            log.offer(
                DecisionRequest(
                    (SlotRequest(placement, 1),),
                    Context(keywords=(keyword,), country="GB", device="mobile"),
                    f"shopper-{n % USERS}",
                    consent=True,
                ),
                at,
            )
    log.write_batch()  # the app's own flusher may have taken some first, and be writing them still

    def written() -> int:
        with session_scope(runtime(client).db_sessions) as db:
            return int(db.scalar(select(func.count()).select_from(SampledRequestRow)) or 0)

    wait_for_equal(written, HISTORY_DAYS * REQUESTS_A_DAY, 10, "the week of requests in the table")


@pytest.fixture
def brand(client: TestClient, operator: Api, engine: Engine) -> str:
    """Acme, signed in, on a network of a banner and a video placement, with a week of history."""
    advertiser = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    operator.post("/v1/placements", BANNER)
    operator.post("/v1/placements", VIDEO)
    write_history(client)
    make_user(engine, "brand@acme.example", Role.ADVERTISER, advertiser["id"])
    sign_in(client, "brand@acme.example")
    return str(advertiser["id"])


def wizard_form(client: TestClient, **fields: str | list[str]) -> dict[str, Any]:
    start = today(client) + timedelta(days=1)
    form: dict[str, Any] = {
        "csrf_token": token_of(client.get("/brand/campaigns/new").text),
        "goal": "awareness",
        "name": "",
        "budget_total": "500",
        "budget_daily": "50",
        "start": start.isoformat(),
        "end": (start + timedelta(days=13)).isoformat(),
        "pacing": "even",
        "placements": "home-hero",
        "pricing": "cpm",
        "bid": "6",
        "keywords": "",
        "categories": "",
        "countries": "",
        "cap_count": "",
        "cap_period": "day",
    }
    return form | fields


def forecast(client: TestClient, form: dict[str, Any], status: int = 200) -> Any:
    answer = client.post("/brand/forecast", data=form)
    assert answer.status_code == status, answer.text
    return answer.json()


def test_the_wizard_forecasts_from_the_replayed_week(client: TestClient, brand: str) -> None:
    page = client.get("/brand/campaigns/new").text
    assert "data-forecast" in page and "/static/forecast.js" in page
    found = forecast(client, wizard_form(client))
    assert found["has_history"] is True
    assert found["currency"] == runtime(client).settings.currency
    assert found["days"] == 14 and found["open_ended"] is False
    daily, total = found["daily"], found["total"]
    # Untargeted, over the floor, alone on the placement: every request of a sampled day is won.
    assert daily["impressions"] == REQUESTS_A_DAY and total["impressions"] == 14 * REQUESTS_A_DAY
    assert total["reach"] == USERS and total["frequency"] == pytest.approx(14 * REQUESTS_A_DAY / USERS)
    assert daily["reach"] == USERS and daily["frequency"] == pytest.approx(REQUESTS_A_DAY / USERS)
    assert 0 < float(daily["spend"]) <= 50 and float(total["spend"]) == pytest.approx(14 * float(daily["spend"]), 0.01)
    assert "replayed" in found["method"] and "7 days" in found["method"]
    assert found["limits"] == []


def test_targeting_cap_and_budget_move_the_numbers_with_the_reason(client: TestClient, brand: str) -> None:
    base = forecast(client, wizard_form(client))["daily"]["impressions"]
    tents = forecast(client, wizard_form(client, keywords="tents"))
    assert tents["daily"]["impressions"] == base // 2
    assert tents["limits"][0]["limit"] == "targeting"
    assert "Your targeting matches 50.0% of the requests" in tents["limits"][0]["message"]

    nobody = forecast(client, wizard_form(client, keywords="zzyzx unicycle"))
    assert nobody["daily"]["impressions"] == 0 and nobody["total"]["spend"] == "0.00"
    assert nobody["limits"][0]["limit"] == "targeting"
    assert "Your targeting matches 0.0% of the requests" in nobody["limits"][0]["message"]
    assert forecast(client, wizard_form(client, countries="IE"))["daily"]["impressions"] == 0

    capped = forecast(client, wizard_form(client, cap_count="1", cap_period="day"))
    assert capped["daily"]["impressions"] == USERS and capped["daily"]["frequency"] == 1
    assert capped["limits"][0]["limit"] == "cap"

    # Alone on the placement it pays the floor (2.50 a thousand): 60 a day cost 0.15, and a
    # daily budget of 0.05 buys a third of them.
    assert forecast(client, wizard_form(client))["daily"]["spend"] == "0.15"
    poor = forecast(client, wizard_form(client, budget_daily="0.05"))
    assert poor["daily"]["impressions"] == pytest.approx(base / 3, abs=1)
    assert poor["limits"][0]["limit"] == "budget"
    assert float(poor["daily"]["spend"]) <= 0.05

    # A longer flight buys more in all, the same a day.
    long = forecast(client, wizard_form(client, end=(today(client) + timedelta(days=28)).isoformat()))
    assert long["days"] == 28 and long["daily"]["impressions"] == base


def test_mistakes_answer_422_named_by_form_field(client: TestClient, brand: str) -> None:
    def fields(**typed: str | list[str]) -> dict[str, str]:
        answer = forecast(client, wizard_form(client, **typed), status=422)
        assert answer["error"]["code"] == "validation_failed"
        return {f["field"]: f["message"] for f in answer["error"]["fields"]}

    assert "bid" in fields(bid="six")
    assert "below the floor" in fields(bid="1")["bid"]  # the service's own rule, named as the form names it
    assert "budget_daily" in fields(budget_daily="600")  # more a day than in all
    assert set(fields(budget_total="", bid="")) == {"budget_total", "bid"}
    assert "countries" in fields(countries="Britain")
    assert "cap_count" in fields(cap_count="0")
    assert "placements" in fields(placements=[])


def test_placements_without_history_say_so(client: TestClient, brand: str) -> None:
    found = forecast(client, wizard_form(client, placements="ctv-preroll", bid="25"))
    assert found["has_history"] is False and "daily" not in found and "none yet" in found["method"]


def test_the_forecast_is_a_checked_post_for_a_signed_in_brand(client: TestClient, brand: str) -> None:
    form = wizard_form(client)
    assert client.post("/brand/forecast", data=form | {"csrf_token": "forged"}).status_code == 403
    assert client.get("/brand/forecast").status_code == 405
    client.post("/logout", data={"csrf_token": form["csrf_token"]})
    assert client.post("/brand/forecast", data=form, follow_redirects=False).status_code == 303  # to sign in


# --- the edit page ---------------------------------------------------------------------------


def _campaign(operator: Api, advertiser_id: str, **line_item: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    campaign = operator.post(
        "/v1/campaigns",
        campaign_body(
            advertiser_id, start=start.isoformat(), end=(start + timedelta(days=31, hours=15, minutes=30)).isoformat()
        ),
    )
    made = operator.post(
        "/v1/line-items",
        line_item_body(
            campaign["id"],
            **(
                {
                    "targeting": {
                        "keywords": ["tents"],
                        "countries": ["GB"],
                        "devices": ["mobile"],
                        "dayparts": [
                            {
                                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                "start": "00:00",
                                "end": "23:59",
                            }
                        ],
                    }
                }
                | line_item
            ),
        ),
    )
    operator.post("/v1/creatives", banner_creative(advertiser_id, made["id"]))
    return campaign, made


def _audit(engine: Engine, object_id: str) -> list[AuditEntry]:
    with session_scope(make_sessionmaker(engine)) as db:
        return list(
            db.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_id == object_id, AuditEntry.action == "update")
                .order_by(AuditEntry.id)
            )
        )


def _edit_form(page: str, **fields: str | list[str]) -> dict[str, Any]:
    """The edit form as the page fills it in (what a browser would send), with `fields` typed over it."""
    form = page.split("data-campaign-edit>", 1)[1].split("</form>", 1)[0]
    sent: dict[str, Any] = {}
    for name, value in INPUT.findall(form):
        sent.setdefault(name, []).append(value)
    values: dict[str, Any] = {k: v if k in REPEATED else v[0] for k, v in sent.items()}
    for name, value in CHECKED.findall(form):  # every ticked box: devices, placements, day-parts' days…
        values.setdefault(name, []).append(value)
    for name in ("devices", "audiences"):
        values.setdefault(name, [])
    for name, value in SELECTED.findall(form):
        values[name] = value
    assert {"pacing", "cap_period"} <= values.keys()
    return values | fields


def test_a_brand_edits_its_campaign_in_one_transaction(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    campaign, line_item = _campaign(operator, brand)
    assert f"/brand/campaigns/{campaign['id']}/edit" in client.get(f"/brand/campaigns/{campaign['id']}").text
    page = client.get(f"/brand/campaigns/{campaign['id']}/edit").text
    assert 'name="budget_total" value="1000"' in page and 'name="keywords" value="tents"' in page
    assert 'name="replaces" value="' + line_item["id"] in page and "data-forecast" in page

    # Sent back untouched: nothing changes, nothing is recorded (the end at 15:30 stays).
    untouched = client.post(f"/brand/campaigns/{campaign['id']}/edit", data=_edit_form(page), follow_redirects=False)
    assert untouched.status_code == 303 and "Nothing was changed" in client.get(untouched.headers["location"]).text
    assert _audit(engine, campaign["id"]) == [] and _audit(engine, line_item["id"]) == []
    assert operator.get(f"/v1/campaigns/{campaign['id']}")["end"] == campaign["end"]

    # A good budget with a bid the service refuses: neither is saved, the bid is named.
    refused = client.post(
        f"/brand/campaigns/{campaign['id']}/edit", data=_edit_form(page, budget_total="2000", bid="1")
    )
    assert refused.status_code == 400 and 'id="bid-error"' in refused.text and "floor" in refused.text
    assert 'value="2000"' in refused.text  # what was typed stays
    assert operator.get(f"/v1/campaigns/{campaign['id']}")["budget_total"] == 1000
    assert _audit(engine, campaign["id"]) == []

    last_day = (today(client) + timedelta(days=20)).isoformat()
    saved = client.post(
        f"/brand/campaigns/{campaign['id']}/edit",
        follow_redirects=False,
        data=_edit_form(
            page,
            budget_total="2000",
            budget_daily="80",
            end=last_day,
            pacing="asap",
            bid="4.5",
            keywords="tents, stoves",
            countries="gb, ie",
            devices=["mobile", "desktop"],
            cap_count="2",
            cap_period="week",
        ),
    )
    assert saved.status_code == 303, saved.text
    assert "is updated" in client.get(saved.headers["location"]).text
    now = operator.get(f"/v1/campaigns/{campaign['id']}")
    assert (now["budget_total"], now["budget_daily"], now["pacing"]) == (2000, 80, "asap")
    assert now["end"].startswith((today(client) + timedelta(days=21)).isoformat())  # the day after the last
    li = operator.get(f"/v1/line-items/{line_item['id']}")
    assert li["bid"] == 4.5 and li["frequency_cap"] == {"count": 2, "period": "week"}
    assert li["targeting"]["keywords"] == ["tents", "stoves"] and li["targeting"]["countries"] == ["GB", "IE"]
    assert sorted(li["targeting"]["devices"]) == ["desktop", "mobile"]
    assert li["targeting"]["dayparts"] == line_item["targeting"]["dayparts"]  # not on the page: kept
    (campaign_entry,), (line_item_entry,) = _audit(engine, campaign["id"]), _audit(engine, line_item["id"])
    assert campaign_entry.actor.startswith("user:") and line_item_entry.actor.startswith("user:")
    assert set(campaign_entry.changes) >= {"budget_total_micros", "budget_daily_micros", "end", "pacing"}
    assert set(line_item_entry.changes) == {"bid_micros", "targeting", "frequency_cap"}

    # Clearing the cap and the daily budget clears them.
    page = client.get(f"/brand/campaigns/{campaign['id']}/edit").text
    assert (
        client.post(
            f"/brand/campaigns/{campaign['id']}/edit",
            data=_edit_form(page, cap_count="", budget_daily=""),
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert operator.get(f"/v1/line-items/{line_item['id']}")["frequency_cap"] is None
    assert operator.get(f"/v1/campaigns/{campaign['id']}")["budget_daily"] is None


def test_the_edit_page_forecasts_the_line_item_at_its_new_settings(
    client: TestClient, operator: Api, brand: str
) -> None:
    campaign, line_item = _campaign(operator, brand)
    page = client.get(f"/brand/campaigns/{campaign['id']}/edit").text
    as_it_is = forecast(client, _edit_form(page))
    assert as_it_is["has_history"] is True
    assert as_it_is["limits"][0]["limit"] == "targeting"  # GB, mobile, and "tents": half the requests
    wider = forecast(client, _edit_form(page, keywords=""))
    assert wider["daily"]["impressions"] == 2 * as_it_is["daily"]["impressions"]
    capped = forecast(client, _edit_form(page, keywords="", cap_count="1", cap_period="day"))
    assert capped["daily"]["impressions"] == USERS
    # The edited budget is what binds: a smaller daily budget buys less.
    poor = forecast(client, _edit_form(page, keywords="", cap_count="", budget_daily="0.05"))
    assert poor["daily"]["impressions"] < wider["daily"]["impressions"] and poor["limits"][0]["limit"] == "budget"
    assert forecast(client, _edit_form(page, bid="1"), status=422)["error"]["fields"][0]["field"] == "bid"


def test_a_brand_never_edits_another_brands_campaign(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    rival = operator.post("/v1/advertisers", {"name": "Rival Goods", "domain": "rival.example"})
    theirs, their_line_item = _campaign(operator, rival["id"])
    mine, _ = _campaign(operator, brand)
    assert client.get(f"/brand/campaigns/{theirs['id']}/edit").status_code == 404
    page = client.get(f"/brand/campaigns/{mine['id']}/edit").text
    posted = client.post(f"/brand/campaigns/{theirs['id']}/edit", data=_edit_form(page, budget_total="1"))
    assert posted.status_code == 404
    assert (
        client.get(f"/brand/campaigns/{mine['id']}/edit", params={"line_item": their_line_item["id"]}).status_code
        == 404
    )
    assert operator.get(f"/v1/campaigns/{theirs['id']}")["budget_total"] == 1000 and _audit(engine, theirs["id"]) == []
    # Nor forecasts another brand's line item as its own.
    assert (
        forecast(client, _edit_form(page, replaces=their_line_item["id"]), status=404)["error"]["code"] == "not_found"
    )

"""The brand edits every field of its campaigns and line items, adds line items, and
duplicates campaigns, from its pages (in-process; dashboard/brand/campaign_edit.py,
line_item_new.py, duplicate.py). Saved through the services: the API reads back what the
page saved, the audit says who, and a refused value comes back beside its field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.roles import Principal, Role
from shelfspace.catalog.schemas import CreativeCreate
from shelfspace.catalog.services import creatives
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import filled_form, make_user, sign_in, token_of
from tests.support import BANNER, PRODUCTS, SEARCH, VIDEO, Api, banner_creative, campaign_body, line_item_body, runtime

SIDE = {
    "id": "side-banner",
    "name": "Side banner",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250"],
    "floor_cpm": 1,
    "max_ads": 1,
}
EDIT = "data-campaign-edit>"
LISTS = ("placements", "products", "devices", "audiences")


@pytest.fixture
def brand(client: TestClient, operator: Api, engine: Engine) -> str:
    """Acme (its products' brand is "Acme"), signed in, on a network of two banner
    placements, a sponsored-products one and a video one."""
    advertiser = operator.post(
        "/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example", "brands": ["Acme"]}
    )
    for placement in (BANNER, SIDE, SEARCH, VIDEO):
        operator.post("/v1/placements", placement)
    operator.post(
        "/v1/products/import",
        {
            "products": PRODUCTS
            + [
                {
                    "sku": "RIVAL-1",
                    "title": "Rival tent",
                    "brand": "Rival",
                    "category": "outdoor/camping",
                    "price": 99.0,
                }
            ]
        },
        status=200,
    )
    make_user(engine, "brand@acme.example", Role.ADVERTISER, advertiser["id"])
    sign_in(client, "brand@acme.example")
    return str(advertiser["id"])


def local_today(client: TestClient) -> date:
    tz = ZoneInfo(runtime(client).settings.timezone)
    return datetime.now(UTC).astimezone(tz).date()


def midnight(client: TestClient, day: date) -> datetime:
    tz = ZoneInfo(runtime(client).settings.timezone)
    return datetime.combine(day, time(0), tz)


def make_campaign(
    client: TestClient, operator: Api, advertiser_id: str, starts_in_days: int = 1, **campaign: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A campaign starting `starts_in_days` from today (negative: started), a banner line
    item on the hero and its banner, approved (made by the operator)."""
    start = midnight(client, local_today(client) + timedelta(days=starts_in_days))
    made = operator.post(
        "/v1/campaigns",
        campaign_body(advertiser_id, start=start.isoformat(), end=(start + timedelta(days=30)).isoformat()) | campaign,
    )
    line_item = operator.post("/v1/line-items", line_item_body(made["id"], targeting={"keywords": ["tent"]}))
    creative = operator.post("/v1/creatives", banner_creative(advertiser_id, line_item["id"]))
    assert creative["status"] == "approved"
    return made, line_item, creative


def edit_form(client: TestClient, campaign_id: str, **typed: Any) -> dict[str, Any]:
    page = client.get(f"/brand/campaigns/{campaign_id}/edit")
    assert page.status_code == 200, page.text
    return filled_form(page.text, EDIT, LISTS) | {"csrf_token": token_of(page.text)} | typed


def post_edit(client: TestClient, campaign_id: str, form: dict[str, Any]) -> Any:
    return client.post(f"/brand/campaigns/{campaign_id}/edit", data=form, follow_redirects=False)


def flash_after(client: TestClient, answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"]).text
    return unescape(page.split('class="flash" role="status">', 1)[1].split("</p>", 1)[0])


def audit(engine: Engine, object_id: str, action: str | None = None) -> list[AuditEntry]:
    with session_scope(make_sessionmaker(engine)) as db:
        found = select(AuditEntry).where(AuditEntry.object_id == object_id)
        if action:
            found = found.where(AuditEntry.action == action)
        return list(db.scalars(found.order_by(AuditEntry.id)))


def test_every_field_is_edited_and_saved(client: TestClient, operator: Api, brand: str, engine: Engine) -> None:
    campaign, line_item, creative = make_campaign(client, operator, brand)
    page = unescape(client.get(f"/brand/campaigns/{campaign['id']}/edit").text)
    # What takes effect when, beside the fields.
    assert "In effect within seconds" in page
    assert "Adding a placement sends this line item's 1 approved creative back to the operator's review" in page
    assert 'name="start"' in page and 'type="date" name="lift_read_on"' in page  # not started: both editable
    assert 'name="daypart_start_0"' in page and "/static/campaign_edit.js" in page

    untouched = post_edit(client, campaign["id"], edit_form(client, campaign["id"]))
    assert flash_after(client, untouched) == f"Nothing was changed in {campaign['name']}."
    assert audit(engine, campaign["id"], "update") == [] and audit(engine, line_item["id"], "update") == []

    today = local_today(client)
    first, last, read = today + timedelta(days=2), today + timedelta(days=20), today + timedelta(days=23)
    saved = post_edit(
        client,
        campaign["id"],
        edit_form(
            client,
            campaign["id"],
            name="Spring sale, longer",
            start=first.isoformat(),
            end=last.isoformat(),
            budget_total="2000",
            budget_daily="80",
            pacing="asap",
            is_test="on",
            holdout_percent="10",
            lift_read_on=read.isoformat(),
            line_item_name="Hero and side",
            line_item_status="paused",
            pricing="cpc",
            bid="0.5",
            placements=["home-hero", "side-banner"],
            keywords="tents, stoves",
            categories="outdoor/camping",
            countries="gb",
            devices=["mobile", "desktop"],
            audiences=[],
            cap_count="2",
            cap_period="week",
            daypart_days_0=["mon", "tue"],
            daypart_start_0="08:00",
            daypart_end_0="12:30",
            daypart_days_1=["sat"],
            daypart_start_1="20:00",
            daypart_end_1="00:00",
        ),
    )
    flash = flash_after(client, saved)
    assert flash.startswith(
        "Spring sale, longer is updated: name, first day, last day, total budget, daily budget, "
        "pacing, test setting, holdout, lift read date, line item name, line item status, "
        "pricing, bid, placements, frequency cap, keywords, categories, countries, devices and "
        "day-parts."
    ), flash
    assert "Delivery uses the changes within seconds." in flash
    assert "Because you added Side banner, Hero banner's 1 approved creative goes back to review" in flash, flash

    now = operator.get(f"/v1/campaigns/{campaign['id']}")
    assert (now["name"], now["budget_total"], now["budget_daily"], now["pacing"]) == (
        "Spring sale, longer",
        2000,
        80,
        "asap",
    )
    assert datetime.fromisoformat(now["start"]) == midnight(client, first)
    assert datetime.fromisoformat(now["end"]) == midnight(client, last + timedelta(days=1))
    assert (now["is_test"], now["holdout_percent"]) == (True, 10)
    assert datetime.fromisoformat(now["lift_read_at"]) == midnight(client, read)
    li = operator.get(f"/v1/line-items/{line_item['id']}")
    assert (li["name"], li["status"], li["pricing"], li["bid"]) == ("Hero and side", "paused", "cpc", 0.5)
    assert li["placements"] == ["home-hero", "side-banner"] and li["frequency_cap"] == {"count": 2, "period": "week"}
    targeting = li["targeting"]
    assert targeting["keywords"] == ["tents", "stoves"] and targeting["categories"] == ["outdoor/camping"]
    assert targeting["countries"] == ["GB"] and sorted(targeting["devices"]) == ["desktop", "mobile"]
    assert targeting["dayparts"] == [
        {"days": ["mon", "tue"], "start": "08:00", "end": "12:30"},
        {"days": ["sat"], "start": "20:00", "end": "24:00"},
    ]
    # The placement added sent the approved banner back to review, by the brand's user.
    assert operator.get(f"/v1/creatives/{creative['id']}")["status"] == "pending"
    (back,) = audit(engine, creative["id"], "update")
    assert back.actor.startswith("user:") and back.changes["placements_added"] == ["side-banner"]
    (campaign_entry,), (line_item_entry,) = (
        audit(engine, campaign["id"], "update"),
        audit(engine, line_item["id"], "update"),
    )
    assert campaign_entry.actor.startswith("user:")
    assert set(line_item_entry.changes) == {
        "name",
        "status",
        "pricing",
        "bid_micros",
        "placements",
        "targeting",
        "frequency_cap",
    }

    # The page shows it back as saved (midnight as the end of Saturday's hours), and sent
    # back untouched it changes nothing.
    again = client.get(f"/brand/campaigns/{campaign['id']}/edit").text
    assert 'name="daypart_end_1" value="00:00"' in again and 'name="line_item_name" value="Hero and side"' in again
    assert flash_after(client, post_edit(client, campaign["id"], edit_form(client, campaign["id"]))).startswith(
        "Nothing was changed"
    )
    assert len(audit(engine, line_item["id"], "update")) == 1


def test_refused_values_come_back_beside_their_fields(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    campaign, line_item, _ = make_campaign(client, operator, brand)
    wrong = post_edit(
        client,
        campaign["id"],
        edit_form(
            client,
            campaign["id"],
            line_item_name="",
            holdout_percent="80",
            cap_count="0",
            daypart_days_0=["mon"],
            daypart_start_0="08:00",
            daypart_end_0="",
            daypart_days_1=["fri"],
            daypart_start_1="18:00",
            daypart_end_1="09:00",
        ),
    )
    assert wrong.status_code == 400
    for field in ("line_item_name", "holdout_percent", "cap_count", "daypart_0", "daypart_1"):
        assert f'id="{field}-error"' in wrong.text, field
    assert "Give the hours, e.g. from 08:00 to 12:30." in wrong.text
    assert "split hours that cross midnight in two rows" in wrong.text
    assert "Hold out at most 50% of shoppers." in wrong.text
    assert 'name="daypart_start_1" value="18:00"' in wrong.text  # what was typed stays

    yesterday = (local_today(client) - timedelta(days=1)).isoformat()
    assert (
        'id="start-error"' in post_edit(client, campaign["id"], edit_form(client, campaign["id"], start=yesterday)).text
    )
    mixed = post_edit(client, campaign["id"], edit_form(client, campaign["id"], placements=["home-hero", "search-top"]))
    assert mixed.status_code == 400 and "Choose placements of one format" in mixed.text
    video = post_edit(client, campaign["id"], edit_form(client, campaign["id"], placements=["ctv-preroll"], bid="30"))
    assert video.status_code == 400 and "This line item's creatives are banner" in unescape(video.text)
    # The service's own refusal (under the floor), after a good budget: neither is saved.
    floor = post_edit(client, campaign["id"], edit_form(client, campaign["id"], budget_total="5000", bid="1"))
    assert floor.status_code == 400 and 'id="bid-error"' in floor.text and "at least 2.50" in floor.text
    assert operator.get(f"/v1/campaigns/{campaign['id']}")["budget_total"] == 1000
    assert audit(engine, campaign["id"], "update") == [] and audit(engine, line_item["id"], "update") == []


def test_a_started_campaign_keeps_its_first_day_and_its_holdout(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    campaign, line_item, _ = make_campaign(client, operator, brand, starts_in_days=-3, holdout_percent=20)
    page = unescape(client.get(f"/brand/campaigns/{campaign['id']}/edit").text)
    assert "the first day can't change" in page and "the share held out and the read date are fixed" in page
    assert 'name="holdout_percent"' not in page and 'type="date" name="start"' not in page
    forced = edit_form(
        client,
        campaign["id"],
        start=local_today(client).isoformat(),
        holdout_percent="5",
        lift_read_on=(local_today(client) + timedelta(days=3)).isoformat(),
    )
    assert flash_after(client, post_edit(client, campaign["id"], forced)).startswith("Nothing was changed")
    now = operator.get(f"/v1/campaigns/{campaign['id']}")
    assert (now["start"], now["holdout_percent"], now["lift_read_at"]) == (
        campaign["start"],
        20,
        campaign["lift_read_at"],
    )


def test_a_product_added_gets_its_own_ad_in_review(client: TestClient, operator: Api, brand: str) -> None:
    start = midnight(client, local_today(client) - timedelta(days=1))
    campaign = operator.post(
        "/v1/campaigns", campaign_body(brand, start=start.isoformat(), end=(start + timedelta(days=30)).isoformat())
    )
    line_item = operator.post(
        "/v1/line-items",
        line_item_body(campaign["id"], placements=["search-top"], pricing="cpc", bid=0.5, products=["TENT-2P"]),
    )
    tent = operator.post(
        "/v1/creatives",
        {"advertiser_id": brand, "line_item_id": line_item["id"], "format": "sponsored_product", "sku": "TENT-2P"},
    )
    page = client.get(f"/brand/campaigns/{campaign['id']}/edit").text
    assert "A product you add gets its own ad" in page and 'value="RIVAL-1"' not in page  # only its own

    rival = post_edit(client, campaign["id"], edit_form(client, campaign["id"], products=["TENT-2P", "RIVAL-1"]))
    assert rival.status_code == 400 and 'id="products-error"' in rival.text

    added = post_edit(client, campaign["id"], edit_form(client, campaign["id"], products=["TENT-2P", "STOVE-1"]))
    assert "New products wait for the operator's review before they show: STOVE-1." in flash_after(client, added)
    assert operator.get(f"/v1/line-items/{line_item['id']}")["products"] == ["TENT-2P", "STOVE-1"]
    ads = operator.get("/v1/creatives", params={"line_item_id": line_item["id"]})["data"]
    assert {(c["sku"], c["status"]) for c in ads} == {("TENT-2P", "approved"), ("STOVE-1", "pending")}
    assert operator.get(f"/v1/creatives/{tent['id']}")["status"] == "approved"  # the other keeps serving


def test_a_line_item_is_added_to_a_campaign(client: TestClient, operator: Api, brand: str) -> None:
    campaign, _, _ = make_campaign(client, operator, brand)
    page = client.get(f"/brand/campaigns/{campaign['id']}/line-items/new")
    assert page.status_code == 200 and "data-forecast" in page.text
    form = filled_form(page.text, EDIT, LISTS) | {"csrf_token": token_of(page.text)}

    empty = client.post(f"/brand/campaigns/{campaign['id']}/line-items/new", data=form | {"bid": ""})
    assert empty.status_code == 400
    for field in ("line_item_name", "placements", "bid"):
        assert f'id="{field}-error"' in empty.text, field

    banner = client.post(
        f"/brand/campaigns/{campaign['id']}/line-items/new",
        follow_redirects=False,
        data=form
        | {
            "line_item_name": "Side",
            "placements": ["side-banner"],
            "pricing": "cpm",
            "bid": "3",
            "keywords": "tents",
            "daypart_days_0": ["sat", "sun"],
            "daypart_start_0": "09:00",
            "daypart_end_0": "18:00",
        },
    )
    assert banner.status_code == 303 and banner.headers["location"].startswith("/brand/creatives/new?line_item=")
    made = operator.get("/v1/line-items", params={"campaign_id": campaign["id"]})["data"]
    side = next(li for li in made if li["name"] == "Side")
    assert side["placements"] == ["side-banner"] and side["bid"] == 3
    assert side["targeting"]["dayparts"] == [{"days": ["sat", "sun"], "start": "09:00", "end": "18:00"}]

    products = client.post(
        f"/brand/campaigns/{campaign['id']}/line-items/new",
        follow_redirects=False,
        data=form
        | {
            "line_item_name": "Search",
            "placements": ["search-top"],
            "pricing": "cpc",
            "bid": "0.4",
            "products": ["TENT-2P", "STOVE-1"],
        },
    )
    assert "2 product ads wait for the operator" in flash_after(client, products)
    search = next(
        li
        for li in operator.get("/v1/line-items", params={"campaign_id": campaign["id"]})["data"]
        if li["name"] == "Search"
    )
    ads = operator.get("/v1/creatives", params={"line_item_id": search["id"]})["data"]
    assert sorted((c["sku"], c["status"]) for c in ads) == [("STOVE-1", "pending"), ("TENT-2P", "pending")]


def test_duplicate_copies_the_campaign_its_line_items_and_creatives(
    client: TestClient, operator: Api, brand: str, engine: Engine
) -> None:
    campaign, line_item, approved = make_campaign(client, operator, brand, starts_in_days=-10, holdout_percent=20)
    second = operator.post("/v1/line-items", line_item_body(campaign["id"], name="Side", placements=["side-banner"]))
    waiting_id = _brand_creative(engine, brand, second["id"])
    rejected = operator.post("/v1/creatives", banner_creative(brand, second["id"], click_url="https://acme.example/x"))
    operator.patch(f"/v1/creatives/{rejected['id']}", {"status": "rejected", "review_note": "Blurry."})

    page = client.get(f"/brand/campaigns/{campaign['id']}").text
    assert f'action="/brand/campaigns/{campaign["id"]}/duplicate"' in page
    answer = client.post(
        f"/brand/campaigns/{campaign['id']}/duplicate", data={"csrf_token": token_of(page)}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("/edit")
    copy_id = answer.headers["location"].split("/")[3]
    flash = flash_after(client, answer)
    assert "Spring sale (copy) is made, paused: 2 line items." in flash
    assert "1 creative keeps the approval of the original" in flash and "1 creative waits for" in flash
    assert "1 rejected creative was not copied" in flash

    copy = operator.get(f"/v1/campaigns/{copy_id}")
    assert (copy["name"], copy["status"], copy["holdout_percent"], copy["budget_total"]) == (
        "Spring sale (copy)",
        "paused",
        20,
        1000,
    )
    # Ten days into a 30-day flight: the copy runs 30 days from tomorrow (not started: its
    # first day can still be chosen).
    assert datetime.fromisoformat(copy["start"]) == midnight(client, local_today(client) + timedelta(days=1))
    assert 'type="date" name="start"' in client.get(f"/brand/campaigns/{copy_id}/edit").text
    assert datetime.fromisoformat(copy["end"]) - datetime.fromisoformat(copy["start"]) == timedelta(days=30)
    copied = operator.get("/v1/line-items", params={"campaign_id": copy_id})["data"]
    assert sorted(li["name"] for li in copied) == ["Hero banner", "Side"]
    hero = next(li for li in copied if li["name"] == "Hero banner")
    for key in ("pricing", "bid", "placements", "targeting", "frequency_cap", "products", "status"):
        assert hero[key] == line_item[key], key
    ads = [c for li in copied for c in operator.get("/v1/creatives", params={"line_item_id": li["id"]})["data"]]
    assert sorted(c["status"] for c in ads) == ["approved", "pending"]
    twin = next(c for c in ads if c["status"] == "approved")
    assert all(twin[k] == approved[k] for k in ("format", "size", "image_url", "click_url"))
    # Audited as the services audit, and each copy names its original.
    (entry,) = audit(engine, copy_id, "copy")
    assert entry.changes == {"copied_from": campaign["id"]} and entry.actor.startswith("user:")
    assert audit(engine, copy_id, "create")[0].actor.startswith("user:")
    assert audit(engine, twin["id"], "copy")[0].changes["approval_of"] == approved["id"]
    assert operator.get(f"/v1/creatives/{waiting_id}")["status"] == "pending"
    assert operator.get(f"/v1/campaigns/{campaign['id']}")["status"] == "live"  # the original untouched


def _brand_creative(engine: Engine, advertiser_id: str, line_item_id: str) -> str:
    """A banner the brand sent (waiting for review), made as its API key makes one."""
    with session_scope(make_sessionmaker(engine)) as db:
        made = creatives.create(
            db,
            Principal("tests", Role.ADVERTISER, advertiser_id),
            CreativeCreate.model_validate(banner_creative(None, line_item_id, click_url="https://acme.example/wait")),
        )
        return made.id


def test_other_brands_campaigns_are_not_found(client: TestClient, operator: Api, brand: str, engine: Engine) -> None:
    rival = operator.post("/v1/advertisers", {"name": "Rival Goods", "domain": "rival.example"})
    theirs, _, _ = make_campaign(client, operator, rival["id"])
    mine, _, _ = make_campaign(client, operator, brand)
    token = token_of(client.get(f"/brand/campaigns/{mine['id']}").text)
    assert client.post(f"/brand/campaigns/{theirs['id']}/duplicate", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/brand/campaigns/{theirs['id']}/line-items/new").status_code == 404
    assert client.post(f"/brand/campaigns/{theirs['id']}/line-items/new", data={"csrf_token": token}).status_code == 404
    assert len(operator.get("/v1/campaigns", params={"advertiser_id": rival["id"]})["data"]) == 1
    # The forms are checked posts.
    assert client.post(f"/brand/campaigns/{mine['id']}/duplicate", data={"csrf_token": "forged"}).status_code == 403
    assert len(operator.get("/v1/campaigns", params={"advertiser_id": brand})["data"]) == 1


def test_a_campaign_without_line_items_edits_its_own_fields(client: TestClient, operator: Api, brand: str) -> None:
    start = midnight(client, local_today(client) + timedelta(days=3))
    campaign = operator.post(
        "/v1/campaigns", campaign_body(brand, start=start.isoformat(), end=(start + timedelta(days=10)).isoformat())
    )
    page = client.get(f"/brand/campaigns/{campaign['id']}/edit").text
    assert f'href="/brand/campaigns/{campaign["id"]}/line-items/new"' in page and 'name="bid"' not in page
    renamed = post_edit(client, campaign["id"], edit_form(client, campaign["id"], name="Winter sale"))
    assert flash_after(client, renamed) == (
        "Winter sale is updated: name. Names show on your pages and reports; delivery is unchanged."
    )
    assert operator.get(f"/v1/campaigns/{campaign['id']}")["name"] == "Winter sale"

"""`GET /v1/campaigns/{id}/lift` and `POST /v1/lift/plan` end to end: decisions and orders
in through the API, and every figure out recomputed here from the raw events."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from shelfspace.decisioning.holdout import StudyGroup, group_of
from shelfspace.events.model import EventType
from shelfspace.sim.clock import SteppedClock
from tests.reporting.test_reports_api import BROWSER
from tests.support import HERO_ASK, Api, build_network, decide, decide_until, field_errors, runtime
from tests.waiting import wait_for

USERS = 60  # shoppers in a study, half in each group


def balanced_users(campaign_id: str) -> list[str]:
    """Sixty shoppers, thirty in each group: the campaign's id (chosen by the server) decides
    who is held out, so a plain list of sixty could split 20/40 and fall below the
    readability gate by chance."""
    chosen: list[str] = []
    taken = {StudyGroup.TREATMENT: 0, StudyGroup.CONTROL: 0}
    for n in range(10 * USERS):
        user = f"shopper-{n}"
        group = group_of(campaign_id, user, 50)
        if taken[group] < USERS // 2:
            taken[group] += 1
            chosen.append(user)
    assert len(chosen) == USERS
    return chosen


def _flush(api: Api) -> None:
    rt = runtime(api.client)
    rt.study_log.flush()
    rt.rollups.run()


@pytest.fixture
def app_clock() -> SteppedClock:
    """The app's clock, moved by the test past a study's read date: however slow the set-up
    (five seconds on PostgreSQL under a full CI run), it cannot cross the date by itself."""
    return SteppedClock(datetime.now(UTC))


def warm_up_users(campaign_id: str, group: StudyGroup) -> Iterator[str]:
    """Shoppers of `group`, one after another: the users who warm the study up."""
    return (u for n in itertools.count() if group_of(campaign_id, u := f"warm-up-{n}", 50) is group)


def wait_for_the_holdout(operator: Api, campaign_id: str) -> list[str]:
    """Until the snapshot holds the campaign's holdout: a control shopper's ad is held out,
    then a treatment shopper is served (and so marked exposed); every shopper asked,
    returned (they are in the study). Each look asks a new control shopper: one who asked
    while the snapshot was still from before the holdout was served, and after three asks
    the line item's cap of three a day rules them out before the holdout is looked at (a
    loaded CI took that many looks)."""
    asked: list[str] = []
    control = warm_up_users(campaign_id, StudyGroup.CONTROL)

    def held_out() -> bool:
        asked.append(held := next(control))
        answer = operator.call("POST", "/v1/decisions", HERO_ASK | {"user": {"id": held}, "debug": True})
        if answer.status_code == 422:  # the placement is not in the snapshot yet
            return False
        body = answer.json()
        return not body["decisions"]["home-hero"] and any(e["reason"] == "held_out" for e in body["explain"])

    wait_for(held_out, 30, "the holdout in the snapshot", interval=0.05)
    exposed = next(warm_up_users(campaign_id, StudyGroup.TREATMENT))
    decide_until(operator, HERO_ASK | {"user": {"id": exposed}}, "home-hero", 1)
    return [asked[-1], exposed]


def make_study(
    operator: Api, advertiser_api: Api, buyers_every: int, clock: SteppedClock, wait: bool = True
) -> dict[str, Any]:
    """A campaign holding half its users out, read an hour after it is set up on the app's
    clock (moved past that unless told not to); sixty shoppers ask for the hero banner, and
    every `buyers_every`-th one buys the advertiser's tent, every ninth its stove too, every
    `buyers_every`-th something else as well."""
    network = build_network(operator, advertiser_api.advertiser_id or "")
    campaign = network["campaign"]
    operator.patch(f"/v1/advertisers/{advertiser_api.advertiser_id}", {"brands": ["Acme"]})
    read_at = clock.now() + timedelta(hours=1)
    operator.patch(f"/v1/campaigns/{campaign['id']}", {"holdout_percent": 50, "lift_read_at": read_at.isoformat()})
    warm_up = wait_for_the_holdout(operator, campaign["id"])
    users = balanced_users(campaign["id"])
    served = {}
    for user in users:
        served[user] = decide(operator, HERO_ASK | {"user": {"id": user}})["decisions"]["home-hero"]
        for ad in served[user]:  # the impressions are what the campaign pays for
            impression = urlsplit(ad["tracking"]["impression"])
            assert operator.client.get(impression.path, headers=BROWSER).status_code == 204
    clock.advance_to(clock.now() + timedelta(seconds=1))
    later = clock.now()  # after every decision above
    orders = []
    for n, user in enumerate(users):
        if n % buyers_every == 0:
            orders.append(
                {
                    "id": f"o-{n}",
                    "user_id": user,
                    "time": later.isoformat(),
                    "items": [{"sku": "TENT-2P", "quantity": 1, "price": 199.0}],
                }
            )
        if n % 9 == 0:
            orders.append(
                {
                    "id": f"o-{n}-again",
                    "user_id": user,
                    "time": later.isoformat(),
                    "items": [{"sku": "STOVE-1", "quantity": 2, "price": 49.9}],
                }
            )
        if n % buyers_every == 0:
            orders.append(
                {
                    "id": f"o-{n}-other",
                    "user_id": user,
                    "time": later.isoformat(),
                    "items": [{"sku": "SOMEONE-ELSES", "quantity": 1, "price": 3.0}],
                }
            )
    operator.post("/v1/events/conversions", {"events": orders}, status=202)
    _flush(operator)
    interim = operator.get(f"/v1/campaigns/{campaign['id']}/lift")
    assert interim["interim"] is True and interim["p_value"] is None and interim["ci95"]["absolute"] is None
    study = {
        "campaign": campaign,
        "users": users,
        "served": served,
        "warm_up": warm_up,
        "interim": interim,
        "read_at": read_at,
        "clock": clock,
    }
    if wait:
        past_the_read_date(study)
    return study


def past_the_read_date(study: dict[str, Any]) -> None:
    study["clock"].advance_to(study["read_at"] + timedelta(seconds=1))


@pytest.fixture
def study(operator: Api, advertiser_api: Api, app_clock: SteppedClock) -> dict[str, Any]:
    """Too few buyers (under twenty) for the smaller group to expect ten."""
    return make_study(operator, advertiser_api, 5, app_clock)


@pytest.fixture
def surveyed_study(operator: Api, advertiser_api: Api, app_clock: SteppedClock) -> dict[str, Any]:
    """Not yet past its read date: time to ask its shoppers a question."""
    return make_study(operator, advertiser_api, 5, app_clock, wait=False)


@pytest.fixture
def readable_study(operator: Api, advertiser_api: Api, app_clock: SteppedClock) -> dict[str, Any]:
    """Every second shopper buys: the smaller group expects about fifteen buyers and as many who do not."""
    return make_study(operator, advertiser_api, 2, app_clock)


def test_the_groups_follow_the_hash_and_every_figure_adds_up_from_the_raw_events(
    operator: Api, readable_study: dict[str, Any]
) -> None:
    study = readable_study
    campaign_id = study["campaign"]["id"]
    body = operator.get(f"/v1/campaigns/{campaign_id}/lift")
    assert body["population"] == "intent_to_treat" and "hash" in body["method"] and body["holdout_percent"] == 50

    groups = {user: group_of(campaign_id, user, 50) for user in study["users"] + study["warm_up"]}
    # Held-out users were never shown the ad; everyone else was.
    for user in study["users"]:
        assert bool(study["served"][user]) == (groups[user] is StudyGroup.TREATMENT), user

    # Recomputed from the event log: the advertiser's items only (the tent and the stove).
    log = runtime(operator.client).event_log
    bought: dict[str, list[int]] = {}
    for event in log.between(0, 2e9, EventType.CONVERSION):
        value = sum(
            i["quantity"] * i["price_micros"] for i in event.data["items"] if i["sku"] in ("TENT-2P", "STOVE-1")
        )
        if value:
            bought.setdefault(event.user_id, []).append(value)
    for name, group in (("treatment", StudyGroup.TREATMENT), ("control", StudyGroup.CONTROL)):
        members = [u for u, g in groups.items() if g is group]
        expected = {
            "users": len(members),
            "converters": sum(1 for u in members if u in bought),
            "conversions": sum(len(bought.get(u, [])) for u in members),
            "revenue": sum(sum(bought.get(u, [])) for u in members) / 1_000_000,
        }
        assert {k: body[name][k] for k in expected} == expected, name
    t, c = body["treatment"], body["control"]
    assert body["absolute_lift"] == pytest.approx(t["converters"] / t["users"] - c["converters"] / c["users"], abs=1e-6)
    per_user = t["conversions"] / t["users"] - c["conversions"] / c["users"]
    assert body["incremental_conversions"] == pytest.approx(per_user * t["users"], abs=1e-5)
    low, high = body["ci95"]["absolute"]
    assert low < body["absolute_lift"] < high
    assert body["spend"] > 0
    assert body["readable"] is True and body["interim"] is False
    assert body["significant"] == (body["p_value"] < 0.05)
    incremental = body["ci95"]["incremental_conversions"]
    assert (body["icpa"] is not None) == (incremental[0] > 0)  # a cost only for what is proven incremental
    # Before the read date the same groups were counted, and no lift was given.
    assert study["interim"]["treatment"]["users"] == t["users"] and study["interim"]["absolute_lift"] is None
    # About 15 buyers expected in the smaller group: enough for a lift, not for heavy-tailed sales.
    assert body["incremental_revenue"] is None and body["iroas"] is None and body["ci95"]["iroas"] is None
    assert (
        "at least 10" in body["minimum_sample"]
        and "50 expected buyers" in body["minimum_sample"]
        and body["read_at"]
        and "read" in body["read_rule"]
    )
    # Exposed: treatment users served the ad against control users who got a ghost.
    assert body["exposed"]["treatment"]["users"] == sum(1 for u in study["users"] if study["served"][u]) + 1
    assert body["exposed"]["control"]["users"] == c["users"]


def test_below_the_minimum_sample_the_counts_show_and_no_lift(operator: Api, study: dict[str, Any]) -> None:
    body = operator.get(f"/v1/campaigns/{study['campaign']['id']}/lift")
    assert body["interim"] is False and body["readable"] is False
    assert body["treatment"]["users"] > 0 and body["control"]["converters"] >= 0
    assert body["absolute_lift"] is None and body["ci95"]["incremental_conversions"] is None
    assert body["p_value"] is None and body["significant"] is False and body["icpa"] is None


def test_the_read_date_is_fixed_once_the_campaign_has_started(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    campaign = network["campaign"]  # started in the past
    made = operator.patch(f"/v1/campaigns/{campaign['id']}", {"is_test": True})
    assert made["holdout_percent"] == 20 and made["lift_read_at"] is not None
    later = datetime.fromisoformat(made["lift_read_at"]) + timedelta(days=7)
    moved = operator.patch(f"/v1/campaigns/{campaign['id']}", {"lift_read_at": later.isoformat()}, status=422)
    assert "lift_read_at" in field_errors(moved) and "fixed" in str(moved)
    end = operator.patch(
        f"/v1/campaigns/{campaign['id']}", {"end": (datetime.now(UTC) + timedelta(days=90)).isoformat()}
    )
    assert end["lift_read_at"] == made["lift_read_at"]  # a longer flight does not move it
    future = operator.post(
        "/v1/campaigns",
        {
            "advertiser_id": advertiser_api.advertiser_id,
            "name": "Next month's test",
            "is_test": True,
            "start": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            "end": (datetime.now(UTC) + timedelta(days=44)).isoformat(),
            "budget_total": "100",
        },
    )
    assert datetime.fromisoformat(future["lift_read_at"]) == datetime.fromisoformat(future["end"]) + timedelta(days=1)
    shifted = operator.patch(
        f"/v1/campaigns/{future['id']}", {"end": (datetime.now(UTC) + timedelta(days=51)).isoformat()}
    )
    assert datetime.fromisoformat(shifted["lift_read_at"]) == datetime.fromisoformat(shifted["end"]) + timedelta(days=1)
    early = operator.patch(
        f"/v1/campaigns/{future['id']}",
        {"lift_read_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        status=422,
    )
    assert field_errors(early)["lift_read_at"] == "must be after start"


def test_the_api_document_says_when_a_lift_may_be_read(operator: Api) -> None:
    """The read rule is part of the contract: the OpenAPI document names the read date on
    the campaign lift and the brand lift routes and on their fields."""
    document = operator.client.get("/openapi.json").json()
    lift = document["paths"]["/v1/campaigns/{campaign_id}/lift"]["get"]["description"]
    study = document["paths"]["/v1/brand-lift-studies/{study_id}"]["get"]["description"]
    assert "Read once, at `read_at`" in lift and "interim" in lift and "read date" in study
    schemas = document["components"]["schemas"]
    assert "fixed when the campaign started" in schemas["CampaignLiftOut"]["properties"]["read_at"]["description"]
    assert "read date" in schemas["BrandLiftResults"]["properties"]["read_at"]["description"]


def test_an_advertiser_reads_only_its_own_campaigns_lift(
    operator: Api, advertiser_api: Api, study: dict[str, Any], engine: Any
) -> None:
    from shelfspace.accounts.roles import Role
    from tests.conftest import new_key

    campaign_id = study["campaign"]["id"]
    assert advertiser_api.get(f"/v1/campaigns/{campaign_id}/lift")["campaign_id"] == campaign_id
    other = operator.post("/v1/advertisers", {"name": "Other brand", "domain": "other.example"})
    stranger = Api(operator.client, new_key(engine, Role.ADVERTISER, other["id"]))
    assert stranger.get(f"/v1/campaigns/{campaign_id}/lift", status=404)["error"]["code"] == "not_found"
    assert Api(operator.client, None).get(f"/v1/campaigns/{campaign_id}/lift", status=401)


def test_the_planner_gives_the_textbook_sample_size(operator: Api) -> None:
    body = operator.post(
        "/v1/lift/plan",
        {"baseline_rate": 0.10, "expected_rate": 0.15, "holdout_percent": 50, "users_per_day": 100},
        status=200,
    )
    assert body["users_per_group"] == {"treatment": 686, "control": 686} and body["users_total"] == 1372
    assert body["days"] == 14 and body["mde"] == pytest.approx(0.0497, abs=5e-4)  # 1,400 users reached in 14 days
    ten = operator.post(
        "/v1/lift/plan",
        {"baseline_rate": 0.02, "expected_rate": 0.022, "holdout_percent": 10, "users_per_day": 10000},
        status=200,
    )
    assert ten["users_per_group"]["control"] * 9 <= ten["users_per_group"]["treatment"] + 9
    assert ten["days"] == -(-ten["users_total"] // 10000)
    mde_only = operator.post("/v1/lift/plan", {"baseline_rate": 0.02, "users_per_day": 5000, "days": 28}, status=200)
    assert "users_per_group" not in mde_only and "days" not in mde_only
    assert 0 < mde_only["mde"] < 0.01 and mde_only["days_for_mde"] == 28
    # Unless told, a plan is for a test campaign's own holdout of 20%, not an even split.
    default = operator.post("/v1/lift/plan", {"baseline_rate": 0.10, "expected_rate": 0.15}, status=200)
    assert default["holdout_percent"] == 20
    assert default["users_per_group"]["treatment"] >= 3 * default["users_per_group"]["control"]


def test_the_planner_names_what_is_wrong(operator: Api) -> None:
    bad = operator.post("/v1/lift/plan", {"baseline_rate": 1.5, "expected_rate": 0.2}, status=422)
    assert "baseline_rate" in field_errors(bad)
    same = operator.post("/v1/lift/plan", {"baseline_rate": 0.02, "expected_rate": 0.02}, status=422)
    assert "no effect" in same["error"]["message"] or any("no effect" in m for m in field_errors(same).values())
    nothing = operator.post("/v1/lift/plan", {"baseline_rate": 0.02}, status=422)
    assert "users_per_day" in str(nothing)
    assert operator.post(
        "/v1/lift/plan", {"baseline_rate": 0.02, "expected_rate": 0.03, "holdout_percent": 0}, status=422
    )


def test_the_planner_reads_repeat_buying_and_the_campaigns_holdout(operator: Api, advertiser_api: Api) -> None:
    ask = {"baseline_rate": 0.05, "expected_rate": 0.06}
    fresh = operator.post("/v1/lift/plan", ask, status=200)
    assert fresh["repeat_buying"]["from_history"] is False and fresh["repeat_buying"]["purchases_per_buyer"] == 1
    now = datetime.now(UTC)
    orders = [
        {
            "id": f"h-{n}-{k}",
            "user_id": f"regular-{n}",
            "time": (now - timedelta(days=k + 1)).isoformat(),
            "items": [{"sku": "TENT-2P", "quantity": 1, "price": 10.0}],
        }
        for n in range(40)
        for k in range(1 + n % 3)
    ]  # 40 buyers, 1 to 3 purchases each
    operator.post("/v1/events/conversions", {"events": orders}, status=202)
    planned = operator.post("/v1/lift/plan", ask, status=200)
    assert planned["repeat_buying"] == {
        "purchases_per_buyer": pytest.approx(79 / 40),
        "buyers": 40,
        "days": 28,
        "purchases_per_buyer_squared": pytest.approx(183 / 40),
        "from_history": True,
    }
    # Repeat buyers: the same rise in buyers is a bigger rise in purchases, against a larger variance.
    assert planned["users_per_group"] != fresh["users_per_group"]
    network = build_network(operator, advertiser_api.advertiser_id or "")
    operator.patch(f"/v1/campaigns/{network['campaign']['id']}", {"holdout_percent": 10})
    own = operator.post("/v1/lift/plan", ask | {"campaign_id": network["campaign"]["id"]}, status=200)
    assert own["holdout_percent"] == 10
    told = operator.post(
        "/v1/lift/plan", ask | {"campaign_id": network["campaign"]["id"], "holdout_percent": 30}, status=200
    )
    assert told["holdout_percent"] == 30
    assert operator.post("/v1/lift/plan", ask | {"campaign_id": "cmp_nope"}, status=404)


@pytest.mark.parametrize(
    "extreme",
    [{"alpha": 2.7e-19}, {"baseline_rate": 1e-244, "expected_rate": 5e-324}, {"users_per_day": 10**400, "days": 10}],
)
def test_a_plan_past_what_floats_can_compute_is_refused_naming_the_field(
    operator: Api, extreme: dict[str, Any]
) -> None:
    """Found by the schemathesis walk: such inputs answered 500 (a normal quantile of 1.0, a
    division by a squared difference that rounds to zero)."""
    body = {"baseline_rate": 0.8, "expected_rate": 0.005, "users_per_day": 33702749, "days": 10} | extreme
    answer = operator.post("/v1/lift/plan", body, status=422)
    assert set(field_errors(answer)) <= set(extreme) and field_errors(answer)

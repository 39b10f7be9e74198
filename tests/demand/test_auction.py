"""The outbound auction through `POST /v1/decisions`, against a real bidder on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shelfspace.demand.stats import BidOutcome
from tests.demand.conftest import BOTH, add_partner
from tests.demand.fake_partner import FakePartner, bid_everything
from tests.standards import Standard, standard
from tests.support import BROWSER_UA, HERO_ASK, Api, decide, runtime

NOWHERE = {"context": HERO_ASK["context"] | {"country": "GB"}}  # the campaign targets VN only


def outcomes(operator: Api, partner_id: str) -> dict[str, int]:
    stats = runtime(operator.client).demand.stats
    return {str(outcome): n for (partner, outcome), n in stats.outcomes.items() if partner == partner_id}


def test_a_partner_fills_the_unsold_slot_and_never_the_campaigns(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    partner = add_partner(operator, fake_partner.endpoint)
    answer = decide(Api(operator.client, None), BOTH)
    [ours] = answer["decisions"]["home-hero"]
    assert ours["line_item_id"] == network["line_item"]["id"] and ours["source"] == "shelfspace"
    [theirs] = answer["decisions"]["side-banner"]  # one imp per placement: one slot of its two
    assert theirs["source"] == "demand_partner" and theirs["demand_partner_id"] == partner["id"]
    assert theirs["campaign_id"] is None and theirs["line_item_id"] is None and theirs["advertiser_id"] is None
    assert theirs["price"] == 3.0 and theirs["pricing"] == "cpm" and theirs["format"] == "banner"
    assert theirs["creative"]["html"] == "<div>partner ad at 3</div>" and theirs["creative"]["size"] == "300x250"
    assert theirs["tracking"]["impression"].startswith("http://shelfspace.test/track/programmatic/")
    [sent] = fake_partner.requests
    assert [imp["tagid"] for imp in sent["imp"]] == ["side-banner"]  # home-hero was sold
    [imp] = sent["imp"]
    assert imp["banner"]["format"] == [{"w": 300, "h": 250}, {"w": 728, "h": 90}]
    assert imp["bidfloor"] == 1.0 and imp["bidfloorcur"] == "USD"
    assert sent["at"] == 1 and sent["cur"] == ["USD"] and sent["tmax"] == 1000 and sent["id"] == answer["request_id"]
    # The decision's caller's user agent (the test client's, tests/conftest.py), passed on.
    assert sent["device"] == {"ua": BROWSER_UA, "devicetype": 4, "geo": {"country": "VNM"}}
    assert sent["site"]["keywords"] == "Tents"
    assert outcomes(operator, partner["id"]) == {"won": 1}


def test_no_user_id_leaves_without_consent(operator: Api, network: dict[str, Any], fake_partner: FakePartner) -> None:
    add_partner(operator, fake_partner.endpoint)
    public = Api(operator.client, None)
    decide(public, BOTH | {"consent": {"targeting": False}})
    decide(public, BOTH)
    without, with_consent = fake_partner.requests
    assert "user" not in without and "u-1" not in json.dumps(without)
    assert with_consent["user"] == {"id": "u-1"}


def test_the_partners_floor_and_the_placements_floor_both_hold(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    partner = add_partner(operator, fake_partner.endpoint, floor_cpm=2.0)
    public = Api(operator.client, None)
    ask = BOTH | NOWHERE  # nothing of ours serves: both placements are offered
    fake_partner.answer = bid_everything(price=2.4)
    answer = decide(public, ask)
    floors = {imp["tagid"]: imp["bidfloor"] for imp in fake_partner.requests[-1]["imp"]}
    assert floors == {"home-hero": 2.5, "side-banner": 2.0}  # the larger of the two floors
    assert answer["decisions"]["home-hero"] == []  # 2.40 < the placement's 2.50
    assert [ad["price"] for ad in answer["decisions"]["side-banner"]] == [2.4]
    fake_partner.answer = bid_everything(price=1.99)
    answer = decide(public, ask)
    assert answer["decisions"] == {"home-hero": [], "side-banner": []}  # under the partner's own 2.00
    assert outcomes(operator, partner["id"]) == {"won": 1, "below_floor": 3}


def test_a_slow_partner_adds_nothing_and_costs_at_most_its_timeout(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    partner = add_partner(operator, fake_partner.endpoint, timeout_ms=100)
    fake_partner.delay = 3.0  # far past the timeout: the decision must not wait for the answer
    answer = decide(Api(operator.client, None), BOTH)
    assert answer["decisions"]["side-banner"] == [] and len(answer["decisions"]["home-hero"]) == 1
    assert fake_partner.requests and not fake_partner.answered, "the decision waited for the slow partner"
    assert outcomes(operator, partner["id"]) == {"timeout": 1}
    report = operator.get(f"/v1/demand-partners/{partner['id']}/report?from=2020-01-01&to=2030-12-31", status=422)
    assert "to" in {f["field"] for f in report["error"]["fields"]}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda request: (200, "{not json"), BidOutcome.MALFORMED),
        (lambda request: (200, {"id": "another-request", "seatbid": []}), BidOutcome.MALFORMED),
        (lambda request: (500, "{}"), BidOutcome.HTTP_ERROR),
        (lambda request: (204, None), BidOutcome.NO_BID),
    ],
)
def test_a_broken_answer_is_dropped_with_its_reason(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner, answer: Any, reason: BidOutcome
) -> None:
    partner = add_partner(operator, fake_partner.endpoint)
    fake_partner.answer = answer
    assert decide(Api(operator.client, None), BOTH)["decisions"]["side-banner"] == []
    assert outcomes(operator, partner["id"]) == {str(reason): 1}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (bid_everything(currency="EUR"), BidOutcome.WRONG_CURRENCY),
        (bid_everything(currency=None), None),  # no `cur` means USD: ours
        (bid_everything(adm=None), BidOutcome.NO_MARKUP),
        (bid_everything(price=0), BidOutcome.ZERO_PRICE),
        (bid_everything(impid="99"), BidOutcome.UNKNOWN_IMP),
    ],
)
def test_an_invalid_bid_is_dropped_with_its_reason(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner, answer: Any, reason: BidOutcome | None
) -> None:
    partner = add_partner(operator, fake_partner.endpoint)
    fake_partner.answer = answer
    filled = decide(Api(operator.client, None), BOTH)["decisions"]["side-banner"]
    assert len(filled) == (1 if reason is None else 0)
    assert outcomes(operator, partner["id"]) == {str(reason or "won"): 1}
    metrics = operator.client.get("/metrics", headers=operator.headers).text
    assert (
        f'shelfspace_demand_partner_bids_total{{outcome="{reason or "won"}",partner="{partner["id"]}"}} 1.0' in metrics
    )


def test_the_highest_of_two_partners_wins_and_placements_limit_who_is_asked(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    low = add_partner(operator, fake_partner.endpoint + "?who=low", placements=["home-hero"])
    high = add_partner(operator, fake_partner.endpoint + "?who=high")

    def by_endpoint(request: dict[str, Any]) -> tuple[int, Any]:
        price = 5.0 if len(request["imp"]) == 2 else 4.0  # `high` is offered both placements
        return bid_everything(price=price)(request)

    fake_partner.answer = by_endpoint
    answer = decide(Api(operator.client, None), BOTH | NOWHERE)
    assert {len(r["imp"]) for r in fake_partner.requests} == {1, 2}
    assert [(ad["demand_partner_id"], ad["price"]) for ad in answer["decisions"]["home-hero"]] == [(high["id"], 5.0)]
    assert [ad["demand_partner_id"] for ad in answer["decisions"]["side-banner"]] == [high["id"]]
    assert outcomes(operator, low["id"]) == {"outbid": 1}


def test_the_bid_request_validates_against_the_openrtb_schema(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    import jsonschema  # in the test extras: never a reason to skip
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    schemas = standard(Standard.OPENRTB_SCHEMAS)  # the IAB's (tests/standards.py): absent, a CI failure

    def retrieve(uri: str) -> Resource:  # type: ignore[type-arg]
        # The folder holds only some objects (Imp, Banner, Video, ...); Site, Device, User and
        # the rest are checked by their type only.
        path = schemas / uri.rsplit("/", 1)[-1]
        contents = json.loads(path.read_text()) if path.exists() else {"type": "object"}
        return DRAFT202012.create_resource(contents)

    schema = json.loads((schemas / "BidRequest.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, registry=Registry(retrieve=retrieve))  # type: ignore[call-arg]
    add_partner(operator, fake_partner.endpoint)
    ctv = {"id": "ctv-preroll"}
    decide(
        Api(operator.client, None),
        BOTH
        | NOWHERE
        | {"placements": [{"id": "home-hero"}, {"id": "side-banner"}, ctv], "consent": {"targeting": True}},
    )
    [sent] = fake_partner.requests
    assert {imp["tagid"] for imp in sent["imp"]} == {"home-hero", "side-banner", "ctv-preroll"}
    video = next(imp for imp in sent["imp"] if imp["tagid"] == "ctv-preroll")
    assert video["video"]["mimes"] and video["video"]["w"] == 1920 and "banner" not in video
    errors = sorted(validator.iter_errors(sent), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)

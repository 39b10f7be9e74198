"""One status function (catalog/campaign_state.py): each state from its facts, its precedence,
the API's `state` on a campaign, and the batch reading of many campaigns' facts."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, select

from shelfspace.catalog.campaign_state import CampaignState, Facts, StateCode, StateReason, decide, states_of
from shelfspace.catalog.enums import AdvertiserStatus, BillingMode, DeliveryStatus
from shelfspace.catalog.models import Campaign
from shelfspace.counters.memory import MemoryCounters
from shelfspace.counters.protocol import BudgetLimits, BudgetUse
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.reporting.campaign_facts import LedgerAndRollups
from shelfspace.reporting.models import RollupDay, RollupHour
from tests.support import BANNER, Api, banner_creative, campaign_body, line_item_body

UNIT = 1_000_000
NOW = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
FACTS = LedgerAndRollups()  # what the app hands the status function: the ledger's funds, the rollups' last spend
RUNNING = Facts(
    status=DeliveryStatus.LIVE,
    start=NOW - timedelta(days=2),
    end=NOW + timedelta(days=28),
    budget_total_micros=12_000 * UNIT,
    budget_daily_micros=500 * UNIT,
)


def _state(**changes: Any) -> CampaignState:
    return decide(replace(RUNNING, **changes), NOW, LONDON, "USD")


def test_a_campaign_with_an_approved_creative_in_its_dates_and_budget_is_live() -> None:
    state = _state(use=BudgetUse(8_360_000, 1_000_000, 0, 0))
    assert (state.code, state.reason) == (StateCode.LIVE, StateReason.SERVING)
    assert state.message == "Serving: 8.36 USD of 12,000.00 USD spent." and state.action is None
    assert state.label == "Live" and state.tone == "good"


def test_its_only_creative_rejected_and_starting_tomorrow_is_creative_rejected_not_live() -> None:
    state = _state(start=NOW + timedelta(days=1), approved=0, rejected_notes=("Logo too small",))
    assert (state.code, state.reason) == (StateCode.CREATIVE_REJECTED, StateReason.CREATIVES_REJECTED)
    assert state.message == "The only creative was rejected (“Logo too small”): nothing can serve."
    assert state.action is not None and state.action.startswith("Replace it")
    several = _state(approved=0, rejected_notes=("Blurry", None))
    assert several.message.startswith("All 2 creatives were rejected:")


def test_a_prepaid_brand_with_an_empty_wallet_is_out_of_funds() -> None:
    never_spent = _state(billing_mode=BillingMode.PREPAID, available_micros=0)
    assert (never_spent.code, never_spent.reason) == (StateCode.OUT_OF_FUNDS, StateReason.WALLET_EMPTY)
    assert never_spent.message == "The prepaid funds are used up: delivery cannot start."
    assert never_spent.action == "Top up the wallet to start delivery."
    # A sliver under a cent is what a wallet that ran dry keeps: out of funds, since its last spend.
    stopped = _state(
        billing_mode=BillingMode.PREPAID, available_micros=4_000, last_spent_at=datetime(2026, 12, 3, 14, tzinfo=LONDON)
    )
    assert stopped.code is StateCode.OUT_OF_FUNDS and stopped.since == datetime(2026, 12, 3, 14, tzinfo=LONDON)
    assert "delivery stopped on 3 Dec between 14:00 and 15:00" in stopped.message
    credit = _state(available_micros=-3)
    assert (credit.code, credit.reason) == (StateCode.OUT_OF_FUNDS, StateReason.CREDIT_LIMIT_REACHED)
    assert _state(available_micros=UNIT // 100).code is StateCode.LIVE  # a cent still buys ads
    assert _state(available_micros=None).code is StateCode.LIVE  # credit without a limit


def test_each_other_state_from_its_facts() -> None:
    cases: list[tuple[dict[str, Any], StateCode, StateReason]] = [
        ({"status": DeliveryStatus.ARCHIVED}, StateCode.ENDED, StateReason.ARCHIVED),
        ({"end": NOW}, StateCode.ENDED, StateReason.END_PASSED),
        ({"advertiser_status": AdvertiserStatus.ARCHIVED}, StateCode.ENDED, StateReason.ACCOUNT_CLOSED),
        ({"advertiser_status": AdvertiserStatus.SUSPENDED}, StateCode.PAUSED, StateReason.ACCOUNT_SUSPENDED),
        ({"advertiser_status": AdvertiserStatus.PENDING}, StateCode.IN_REVIEW, StateReason.ACCOUNT_IN_REVIEW),
        ({"status": DeliveryStatus.PAUSED}, StateCode.PAUSED, StateReason.CAMPAIGN_PAUSED),
        ({"line_items": 0, "live_line_items": 0}, StateCode.DRAFT, StateReason.NO_LINE_ITEMS),
        ({"line_items": 2, "live_line_items": 0}, StateCode.PAUSED, StateReason.LINE_ITEMS_PAUSED),
        ({"approved": 0}, StateCode.DRAFT, StateReason.NO_CREATIVES),
        ({"approved": 0, "pending": 1}, StateCode.IN_REVIEW, StateReason.CREATIVES_IN_REVIEW),
        ({"start": NOW + timedelta(hours=1)}, StateCode.SCHEDULED, StateReason.STARTS_LATER),
        ({"use": BudgetUse(500 * UNIT, 495 * UNIT, 0, 0)}, StateCode.LIMITED_BY_BUDGET, StateReason.DAILY_BUDGET_SPENT),
        ({"use": BudgetUse(11_900 * UNIT, 0, 0, 0)}, StateCode.LIMITED_BY_BUDGET, StateReason.TOTAL_BUDGET_SPENT),
    ]
    for changes, code, reason in cases:
        state = _state(**changes)
        assert (state.code, state.reason) == (code, reason), changes
        assert state.message and state.message[0].isupper() and state.message.endswith("."), state
    later = replace(RUNNING, start=NOW + timedelta(hours=1))
    assert decide(later, NOW, ZoneInfo("America/New_York"), "USD").message == "Starts on 3 Dec at 11:30."  # local time
    assert _state(use=BudgetUse(500 * UNIT, 494 * UNIT, 0, 0)).code is StateCode.LIVE  # more than 1% of the day left
    assert _state(use=BudgetUse(100 * UNIT, 10 * UNIT, 0, 486 * UNIT)).code is StateCode.LIMITED_BY_BUDGET  # held
    assert _state(budget_daily_micros=None, use=BudgetUse(0, 10_000 * UNIT, 0, 0)).code is StateCode.LIVE


def test_precedence_each_state_hides_those_below_it() -> None:
    """Ended > account > paused > draft > in review > creative rejected > out of funds >
    scheduled > limited by budget > live, the order of the module's docstring."""
    everything = {
        "end": NOW - timedelta(hours=1),
        "advertiser_status": AdvertiserStatus.SUSPENDED,
        "status": DeliveryStatus.PAUSED,
        "approved": 0,
        "pending": 0,
        "rejected_notes": ("Blurry",),
        "available_micros": 0,
        "start": NOW + timedelta(days=1),
        "use": BudgetUse(12_000 * UNIT, 500 * UNIT, 0, 0),
    }
    order = [
        ("end", StateCode.ENDED),
        ("advertiser_status", StateCode.PAUSED),
        ("status", StateCode.PAUSED),
        ("rejected_notes", StateCode.CREATIVE_REJECTED),
        ("available_micros", StateCode.OUT_OF_FUNDS),
        ("start", StateCode.SCHEDULED),
        ("use", StateCode.LIMITED_BY_BUDGET),
    ]
    facts = dict(everything)
    for fact, code in order:
        assert _state(**facts).code is code, fact
        facts[fact] = getattr(RUNNING, fact)  # put right: the next state shows
        if fact == "rejected_notes":
            facts["approved"] = 1
    assert _state(**facts).code is StateCode.LIVE
    # In review beats rejected (a replacement waits), and a rejected one beside an approved one is only a note.
    assert _state(approved=0, pending=1, rejected_notes=("Blurry",)).code is StateCode.IN_REVIEW
    live = _state(rejected_notes=("Blurry",))
    assert live.code is StateCode.LIVE and live.action == "1 creative was rejected: replace it to serve it too."


# --- the API and the batch ------------------------------------------------------------------


def _dates(start: datetime, days: int = 30) -> dict[str, str]:
    return {"start": start.isoformat(), "end": (start + timedelta(days=days)).isoformat()}


def test_the_api_answers_each_campaign_with_its_state(operator: Api, advertiser_api: Api) -> None:
    operator.post("/v1/placements", BANNER)
    brand = advertiser_api.advertiser_id
    now = datetime.now(UTC).replace(microsecond=0)
    tomorrow = operator.post("/v1/campaigns", campaign_body(brand, name="Tomorrow", **_dates(now + timedelta(days=1))))
    assert tomorrow["state"]["code"] == "draft" and tomorrow["status"] == "live"  # status kept as it was
    line_item = operator.post("/v1/line-items", line_item_body(tomorrow["id"]))
    creative = advertiser_api.post("/v1/creatives", banner_creative(None, line_item["id"]))
    assert advertiser_api.get(f"/v1/campaigns/{tomorrow['id']}")["state"]["code"] == "in_review"
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "rejected", "review_note": "Logo too small"})
    state = advertiser_api.get(f"/v1/campaigns/{tomorrow['id']}")["state"]
    assert state == {
        "code": "creative_rejected",
        "reason": "creatives_rejected",
        "message": "The only creative was rejected (“Logo too small”): nothing can serve.",
        "action": "Replace it with a new creative; it goes back to review.",
    }
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "approved"})
    assert advertiser_api.get(f"/v1/campaigns/{tomorrow['id']}")["state"]["code"] == "scheduled"
    paused = advertiser_api.patch(f"/v1/campaigns/{tomorrow['id']}", {"status": "paused"})
    assert paused["state"]["code"] == "paused"
    listed = {c["id"]: c["state"]["code"] for c in advertiser_api.get("/v1/campaigns")["data"]}
    assert listed == {tomorrow["id"]: "paused"}
    assert operator.delete(f"/v1/campaigns/{tomorrow['id']}")["state"]["code"] == "ended"


def test_a_prepaid_brand_with_an_empty_wallet_reads_out_of_funds_in_the_api(operator: Api) -> None:
    operator.post("/v1/placements", BANNER)
    brand = operator.post(
        "/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "billing_mode": "prepaid"}
    )
    campaign = operator.post(
        "/v1/campaigns", campaign_body(brand["id"], **_dates(datetime.now(UTC) - timedelta(days=1)))
    )
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
    operator.post("/v1/creatives", banner_creative(brand["id"], line_item["id"]))
    state = operator.get(f"/v1/campaigns/{campaign['id']}")["state"]
    assert (state["code"], state["reason"]) == ("out_of_funds", "wallet_empty")
    operator.post(f"/v1/advertisers/{brand['id']}/top-ups", {"amount": "100", "reference": "BANK-1"})
    assert operator.get(f"/v1/campaigns/{campaign['id']}")["state"]["code"] == "live"


def _campaigns(engine: Engine) -> list[Campaign]:
    with session_scope(make_sessionmaker(engine)) as db:
        found = list(db.scalars(select(Campaign).order_by(Campaign.name)))
        db.expunge_all()
        return found


class _Statements(list[str]):
    """The SQL an engine runs on this thread while listened to: the app's background
    threads (the snapshot's rebuild, the audiences' refresh) share the engine."""

    def __init__(self) -> None:
        super().__init__()
        self._thread = threading.get_ident()

    def __call__(self, *args: Any) -> None:
        if threading.get_ident() == self._thread:
            self.append(args[2])


@pytest.mark.parametrize("campaigns", [1, 8])
def test_many_campaigns_cost_one_query_per_kind(operator: Api, engine: Engine, campaigns: int) -> None:
    """Advertisers, funds (two), line items, creatives, and the last spend of those out of
    funds (two): seven queries however many campaigns, as many for one as for eight."""
    operator.post("/v1/placements", BANNER)
    brand = operator.post(
        "/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "billing_mode": "prepaid"}
    )
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(campaigns):
        campaign = operator.post("/v1/campaigns", campaign_body(brand["id"], name=f"c{n}", **_dates(start)))
        line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
        operator.post("/v1/creatives", banner_creative(brand["id"], line_item["id"]))
    yesterday = (start.astimezone(UTC)).date().isoformat()
    with session_scope(make_sessionmaker(engine)) as db:
        dims = {
            "advertiser_id": brand["id"],
            "campaign_id": campaign["id"],
            "line_item_id": "li",
            "creative_id": "cr",
            "placement_id": "home-hero",
            "channel": "web",
            "sku": "",
            "spend_micros": 5 * UNIT,
        }
        db.add(RollupDay(day=yesterday, **dims))
        db.add(RollupHour(day=yesterday, hour=14, **dims))
    rows = _campaigns(engine)
    counters = MemoryCounters()
    counters.restore([])
    statements = _Statements()
    event.listen(engine, "before_cursor_execute", statements)
    try:
        with session_scope(make_sessionmaker(engine)) as db:
            found = states_of(db, rows, counters, FACTS, datetime.now(UTC), ZoneInfo("UTC"), "USD")
    finally:
        event.remove(engine, "before_cursor_execute", statements)
    assert {s.code for s in found.values()} == {StateCode.OUT_OF_FUNDS}
    assert all(
        s.since == datetime.combine(start.date(), datetime.min.time(), UTC).replace(hour=14) for s in found.values()
    )
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 7, selects


def test_spend_and_funds_are_read_from_the_counters(operator: Api, engine: Engine) -> None:
    operator.post("/v1/placements", BANNER)
    brand = operator.post(
        "/v1/advertisers", {"name": "Harbor Tea", "domain": "harbortea.example", "billing_mode": "prepaid"}
    )
    operator.post(f"/v1/advertisers/{brand['id']}/top-ups", {"amount": "100", "reference": "BANK-1"})
    campaign = operator.post(
        "/v1/campaigns", campaign_body(brand["id"], budget_daily=10, **_dates(datetime.now(UTC) - timedelta(days=1)))
    )
    line_item = operator.post("/v1/line-items", line_item_body(campaign["id"]))
    operator.post("/v1/creatives", banner_creative(brand["id"], line_item["id"]))
    now = datetime.now(UTC)
    counters = MemoryCounters()
    counters.restore([])
    limits = BudgetLimits(campaign["id"], now.date().isoformat(), 1000 * UNIT, 10 * UNIT, brand["id"], 100 * UNIT)
    counters.settle(None, limits, 10 * UNIT)
    rows = _campaigns(engine)
    with session_scope(make_sessionmaker(engine)) as db:
        state = states_of(db, rows, counters, FACTS, now, ZoneInfo("UTC"), "USD")[campaign["id"]]
    assert (state.code, state.reason) == (StateCode.LIMITED_BY_BUDGET, StateReason.DAILY_BUDGET_SPENT)
    assert state.message == "Today's budget of 10.00 USD is spent: delivery resumes tomorrow."

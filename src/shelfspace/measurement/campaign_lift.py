"""A campaign's lift, read from the study table, the event log and the rollups.

Reads only: the study's users (`lift_study_users`), the conversions in the event log, the
catalogue (what the advertiser sells) and the spend rolled up. `measurement/lift.py` does
the arithmetic; this module gathers its inputs and renders the answer of
`GET /v1/campaigns/{id}/lift`.

Read once. The study is read at the campaign's read date (`Campaign.lift_read_at`, fixed
when it starts), with the purchases up to then. Before that date the answer gives the
groups' counts as interim figures, and no lift, interval, p-value or verdict: a verdict
shown whenever a page is opened is a verdict chosen by chance (over 28 daily looks at no
effect, 16% of campaigns showed "proven lift" at least once). After it, every look gives
the same answer. A lift is also shown only where its sample is readable (`lift.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.catalog.models import Campaign, LineItem
from shelfspace.catalog.services.campaigns import read_date
from shelfspace.decisioning.holdout import StudyGroup
from shelfspace.events.log import EventLog
from shelfspace.events.model import EventType
from shelfspace.measurement.lift import (
    METHOD,
    MINIMUM_SAMPLE_RULE,
    GroupOutcome,
    Lift,
    LiftEstimate,
    Purchase,
    StudyUser,
    measure,
)
from shelfspace.measurement.models import LiftStudyUser
from shelfspace.measurement.stats import Interval
from shelfspace.reporting.catalogue import Catalogue
from shelfspace.reporting.metrics import money
from shelfspace.reporting.models import RollupDay

PLACES = 6


@dataclass(frozen=True, slots=True)
class StudyInputs:
    users: list[StudyUser]
    purchases: list[Purchase]
    start: datetime
    until: datetime
    spend_micros: int
    read_at: datetime  # when the study is read: before it, the figures are interim

    @property
    def interim(self) -> bool:
        return self.until < self.read_at


def gather(db: Session, event_log: EventLog, campaign: Campaign, now: datetime) -> StudyInputs:
    """Everything `measure` needs for one campaign, up to `now` or its read date."""
    read_at = study_read_date(campaign)
    until = min(now, read_at)
    users = [
        StudyUser(row.user_id, StudyGroup(row.study_group), row.eligible_at, row.exposed_at)
        for row in db.scalars(select(LiftStudyUser).where(LiftStudyUser.campaign_id == campaign.id))
    ]
    sold = _what_the_advertiser_sells(db, campaign)
    purchases = []
    for event in event_log.between(campaign.start.timestamp(), until.timestamp() + 1e-6, EventType.CONVERSION):
        assert event.data is not None and event.user_id is not None
        theirs = [item for item in event.data["items"] if sold(item["sku"])]
        if theirs:
            purchases.append(
                Purchase(event.user_id, event.time, sum(item["quantity"] * item["price_micros"] for item in theirs))
            )
    return StudyInputs(users, purchases, campaign.start, until, campaign_spend_micros(db, campaign.id), read_at)


def study_read_date(campaign: Campaign) -> datetime:
    """The date fixed for the campaign; one from its flight for a campaign older than read dates."""
    return campaign.lift_read_at or read_date(campaign.start, campaign.end)


def campaign_spend_micros(db: Session, campaign_id: str) -> int:
    """What the campaign has spent, as rolled up."""
    spend = db.scalar(
        select(func.coalesce(func.sum(RollupDay.spend_micros), 0)).where(RollupDay.campaign_id == campaign_id)
    )
    return int(spend or 0)


def _what_the_advertiser_sells(db: Session, campaign: Campaign):  # type: ignore[no-untyped-def]
    """SKU -> is it one of the advertiser's: a promoted product of the campaign, or a product
    of one of the advertiser's brands (as attribution counts halo sales)."""
    catalogue = Catalogue.load(db)
    brands = catalogue.brands_of_advertiser.get(campaign.advertiser_id, frozenset())
    promoted: set[str] = set()
    for line_item_id in db.scalars(select(LineItem.id).where(LineItem.campaign_id == campaign.id)):
        promoted |= catalogue.promoted.get(line_item_id, frozenset())

    def sold(sku: str) -> bool:
        return sku in promoted or catalogue.product_brands.get(sku) in brands

    return sold


class Verdict(StrEnum):
    """What a lift estimate (intent to treat, or exposed) lets one say."""

    INTERIM = "interim"  # before the read date: counts only, no verdict
    TOO_FEW = "too_few"  # the minimum sample is not reached: say nothing
    PROVEN = "proven"  # the 95% interval of incremental conversions lies above zero
    NEGATIVE = "negative"  # it lies below zero: fewer buyers than the holdout
    NOT_PROVEN = "not_proven"  # it holds zero


def verdict(estimate: dict[str, Any]) -> Verdict:
    """`estimate`: the API's lift answer, or its `exposed` part."""
    if estimate["interim"]:
        return Verdict.INTERIM
    interval = estimate["ci95"]["incremental_conversions"]
    if not estimate["readable"] or interval is None:
        return Verdict.TOO_FEW
    if interval[0] > 0:
        return Verdict.PROVEN
    return Verdict.NEGATIVE if interval[1] < 0 else Verdict.NOT_PROVEN


def campaign_lift(db: Session, event_log: EventLog, campaign: Campaign, now: datetime) -> dict[str, Any]:
    inputs = gather(db, event_log, campaign, now)
    lift = measure(inputs.users, inputs.purchases, inputs.until.timestamp())
    return render(campaign, inputs, lift)


def render(campaign: Campaign, inputs: StudyInputs, lift: Lift) -> dict[str, Any]:
    """The API's shape (../shared/api.md): the intent-to-treat figures at the top level, the
    exposed comparison beside them."""
    main = estimate_figures(lift.intent_to_treat, inputs.spend_micros, inputs.interim)
    return {
        "campaign_id": campaign.id,
        "method": METHOD,
        "minimum_sample": MINIMUM_SAMPLE_RULE,
        "population": "intent_to_treat",
        "holdout_percent": campaign.holdout_percent,
        "window": {"from": inputs.start.astimezone(UTC).isoformat(), "to": inputs.until.astimezone(UTC).isoformat()},
        "read_at": inputs.read_at.astimezone(UTC).isoformat(),
        "read_rule": READ_RULE,
        "spend": money(inputs.spend_micros),
        **main,
        "exposed": estimate_figures(lift.exposed, inputs.spend_micros, inputs.interim),
    }


def estimate_figures(estimate: LiftEstimate, spend_micros: int, interim: bool) -> dict[str, Any]:
    """The groups always; the lift, its intervals and its test only when the study may be
    read (after the read date, with a readable sample)."""
    groups = {
        "treatment": _group(estimate.treatment),
        "control": _group(estimate.control),
        "interim": interim,
        "readable": estimate.readable,
    }
    if interim or not estimate.readable:
        return groups | hidden()
    spend = spend_micros / 1_000_000
    incremental_conversions = estimate.incremental_conversions
    incremental_revenue = estimate.incremental_revenue
    n_t = estimate.treatment.users
    sales = estimate.sales_readable  # heavy-tailed baskets need more buyers
    return groups | {
        "absolute_lift": _round(estimate.rate.difference),
        "relative_lift": _round(estimate.rate.relative),
        "ci95": {
            "absolute": _interval(estimate.rate.difference_ci),
            "relative": _interval(estimate.rate.relative_ci),
            "incremental_conversions": _interval(estimate.conversions.difference_ci, n_t),
            "incremental_revenue": _interval(estimate.revenue.difference_ci, n_t) if sales else None,
            "iroas": _interval(estimate.revenue.difference_ci, n_t / spend) if spend and sales else None,
        },
        # One statistic behind the p-value, `significant` and the verdict: purchases per
        # user (the verdict reads its interval), not the share of buyers.
        "p_value": _round(estimate.conversions.p_value),
        "significant": estimate.conversions.significant,
        "incremental_conversions": _round(incremental_conversions),
        "incremental_revenue": _money(incremental_revenue) if sales else None,
        "iroas": _round(incremental_revenue / spend) if spend and sales else None,
        # A cost per incremental purchase only for purchases proven incremental.
        "icpa": _money(spend / incremental_conversions) if estimate.conversions.difference_ci.low > 0 else None,
    }


def hidden() -> dict[str, Any]:
    """What a lift that may not be read shows in place of its figures (a new dict each time:
    answers are built from it)."""
    return {
        "absolute_lift": None,
        "relative_lift": None,
        "ci95": dict.fromkeys(("absolute", "relative", "incremental_conversions", "incremental_revenue", "iroas")),
        "p_value": None,
        "significant": False,
        "incremental_conversions": None,
        "incremental_revenue": None,
        "iroas": None,
        "icpa": None,
    }


READ_RULE = (
    "Read once, at the read date fixed when the campaign started (read_at), with the purchases up to then; "
    "before it the groups' counts are interim and no lift, interval or verdict is given, so looking often "
    "cannot turn chance into a result."
)


def _group(group: GroupOutcome) -> dict[str, Any]:
    conversions, revenue = group.per_user()
    return {
        "users": group.users,
        "converters": group.converters,
        "conversions": group.conversions,
        "revenue": money(group.revenue_micros),
        "conversion_rate": _round(group.conversion_rate),
        "conversions_per_user": _round(conversions.mean),
        "revenue_per_user": _round(revenue.mean),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, PLACES)


def _money(units: float) -> Decimal:
    return Decimal(repr(round(units, PLACES)))


def _interval(interval: Interval | None, scale: float = 1.0) -> list[float] | None:
    if interval is None:
        return None
    return [round(interval.low * scale, PLACES), round(interval.high * scale, PLACES)]

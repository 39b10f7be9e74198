"""Campaigns: an advertiser's flight, budget and pacing.

Rules checked on create and on every change (on the merged result, so a PATCH of one
field cannot break another): the end comes after the start, budgets are positive, the
daily budget fits in the total, and even pacing has something to pace against. A test
campaign exists to prove its lift, so it always holds some users out: 20% unless told.

A campaign with a holdout has a read date, the moment its lift is read (`read_date`). It
is fixed once the campaign starts: a result read whenever a page happens to show a good
one is chance passing for lift (over 28 daily looks at no effect, a one-off 95% verdict
says "proven" in about 16% of campaigns), so the date is chosen before anyone looks. For
the same reason an advertiser cannot change the held-out share once its campaign has
started with one (`holdout_locked`): moving the groups mid-test mixes two experiments into
one reading. The operator still can.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.enums import DeliveryStatus, Pacing
from shelfspace.catalog.models import Campaign
from shelfspace.catalog.ownership import (
    apply,
    archive_status,
    changed_fields,
    get_visible,
    only_visible,
    owner_for_new,
    refuse_if_archived,
    require_present,
)
from shelfspace.catalog.schemas import CampaignCreate, CampaignFilters, CampaignUpdate
from shelfspace.core.clock import utcnow
from shelfspace.core.errors import FieldProblem, InvalidInput
from shelfspace.core.ids import new_id
from shelfspace.core.money import to_micros

KIND = "campaign"
TEST_HOLDOUT_PERCENT = 20  # a test campaign's default: enough control users to measure lift
READ_AFTER_END = timedelta(days=1)  # purchases the day after the last ad still count
OPEN_ENDED_TEST = timedelta(days=28)  # an open-ended test is read after four weeks


def read_date(start: datetime, end: datetime | None) -> datetime:
    """When a study of this flight is read unless the caller chose: the day after its end,
    or four weeks and a day after the start of an open-ended one."""
    return (end if end is not None else start + OPEN_ENDED_TEST) + READ_AFTER_END


def _check_read_date(start: datetime, read_at: datetime | None, holdout_percent: int) -> None:
    if read_at is None:
        return
    if holdout_percent < 1:
        raise InvalidInput.on("lift_read_at", "only a campaign with a holdout has a lift to read")
    if read_at <= start:
        raise InvalidInput.on("lift_read_at", "must be after start")


def _check_plan(
    start: datetime, end: datetime | None, total_micros: int, daily_micros: int | None, pacing: Pacing
) -> None:
    problems = []
    if end is not None and end <= start:
        problems.append(FieldProblem("end", "must be after start"))
    if daily_micros is not None and daily_micros > total_micros:
        problems.append(FieldProblem("budget_daily", "must not be above budget_total"))
    if pacing is Pacing.EVEN and end is None and daily_micros is None:
        problems.append(FieldProblem("pacing", "even pacing needs an end date or a daily budget to spread spend over"))
    if problems:
        raise InvalidInput.collect(problems)


def holdout_locked(campaign: Campaign, by: Principal) -> bool:
    """Whether `by` may no longer change the campaign's held-out share: an advertiser, once a
    campaign holding users out has started."""
    return not by.is_operator and campaign.holdout_percent > 0 and campaign.start <= utcnow()


def _check_test(is_test: bool, holdout_percent: int) -> None:
    if is_test and holdout_percent < 1:
        raise InvalidInput.on("holdout_percent", "a test campaign measures its lift: hold out at least 1% of users")


def create(db: Session, by: Principal, spec: CampaignCreate) -> Campaign:
    advertiser_id = owner_for_new(db, by, spec.advertiser_id)
    total = to_micros(spec.budget_total)
    daily = to_micros(spec.budget_daily) if spec.budget_daily is not None else None
    _check_plan(spec.start, spec.end, total, daily, spec.pacing)
    holdout = spec.holdout_percent
    if spec.is_test and "holdout_percent" not in spec.model_fields_set:
        holdout = TEST_HOLDOUT_PERCENT
    _check_test(spec.is_test, holdout)
    _check_read_date(spec.start, spec.lift_read_at, holdout)
    campaign = Campaign(
        id=new_id("cmp"),
        advertiser_id=advertiser_id,
        name=spec.name,
        start=spec.start,
        end=spec.end,
        budget_total_micros=total,
        budget_daily_micros=daily,
        pacing=spec.pacing,
        status=spec.status,
        holdout_percent=holdout,
        is_test=spec.is_test,
        lift_read_at=(spec.lift_read_at or read_date(spec.start, spec.end)) if holdout else None,
    )
    db.add(campaign)
    record(
        db,
        by,
        AuditAction.CREATE,
        KIND,
        campaign.id,
        spec.model_dump()
        | {"advertiser_id": advertiser_id, "holdout_percent": holdout, "lift_read_at": campaign.lift_read_at},
        advertiser_id=advertiser_id,
    )
    db.flush()
    return campaign


def get(db: Session, by: Principal, campaign_id: str) -> Campaign:
    return get_visible(db, Campaign, campaign_id, by, KIND)


def update(db: Session, by: Principal, campaign_id: str, spec: CampaignUpdate) -> Campaign:
    campaign = get(db, by, campaign_id)
    refuse_if_archived(campaign.status is DeliveryStatus.ARCHIVED, KIND, campaign_id)
    changes = changed_fields(spec)
    require_present(changes, "name", "start", "budget_total", "pacing", "status", "holdout_percent", "is_test")
    if changes.get("holdout_percent", campaign.holdout_percent) != campaign.holdout_percent and holdout_locked(
        campaign, by
    ):
        raise InvalidInput.on(
            "holdout_percent",
            "the held-out share of a test is fixed once it has started: changing "
            "it would mix two experiments into one reading. Ask the network's "
            "operator if it must change",
        )
    if (
        changes.get("is_test")
        and not campaign.is_test
        and "holdout_percent" not in changes
        and campaign.holdout_percent == 0
    ):
        changes["holdout_percent"] = TEST_HOLDOUT_PERCENT
    _check_test(changes.get("is_test", campaign.is_test), changes.get("holdout_percent", campaign.holdout_percent))
    if "budget_total" in changes:
        changes["budget_total_micros"] = to_micros(changes.pop("budget_total"))
    if "budget_daily" in changes:
        daily = changes.pop("budget_daily")
        changes["budget_daily_micros"] = to_micros(daily) if daily is not None else None
    _check_plan(
        changes.get("start", campaign.start),
        changes.get("end", campaign.end),
        changes.get("budget_total_micros", campaign.budget_total_micros),
        changes.get("budget_daily_micros", campaign.budget_daily_micros),
        changes.get("pacing", campaign.pacing),
    )
    _settle_read_date(campaign, changes)
    diff = apply(campaign, changes)
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, campaign.id, diff, advertiser_id=campaign.advertiser_id)
    db.flush()
    return campaign


def _settle_read_date(campaign: Campaign, changes: dict[str, object]) -> None:
    """Before the start the read date follows the flight, or the caller; from the start it
    stays where it was (a campaign given a holdout later gets one then)."""
    start = changes.get("start", campaign.start)
    end = changes.get("end", campaign.end)
    holdout = changes.get("holdout_percent", campaign.holdout_percent)
    assert isinstance(start, datetime) and (end is None or isinstance(end, datetime)) and isinstance(holdout, int)
    started = campaign.start <= utcnow()
    if (
        "lift_read_at" in changes
        and campaign.lift_read_at is not None
        and started
        and changes["lift_read_at"] != campaign.lift_read_at
    ):
        raise InvalidInput.on(
            "lift_read_at",
            "the read date is fixed once the campaign has started: moving it after "
            "looking would let chance pass for lift",
        )
    chosen = changes.get("lift_read_at")
    assert chosen is None or isinstance(chosen, datetime)
    _check_read_date(start, chosen, holdout)
    if not holdout:
        changes["lift_read_at"] = None
    elif chosen is None and (campaign.lift_read_at is None or not started):
        changes["lift_read_at"] = read_date(start, end)


def archive(db: Session, by: Principal, campaign_id: str) -> Campaign:
    campaign = get(db, by, campaign_id)
    archive_status(db, by, campaign, KIND, DeliveryStatus.ARCHIVED, advertiser_id=campaign.advertiser_id)
    return campaign


def query(by: Principal, filters: CampaignFilters) -> Select[Campaign]:
    stmt = only_visible(select(Campaign), Campaign.advertiser_id, by)
    if not filters.include_archived:
        stmt = stmt.where(Campaign.status != DeliveryStatus.ARCHIVED)
    if filters.advertiser_id:
        stmt = stmt.where(Campaign.advertiser_id == filters.advertiser_id)
    if filters.status:
        stmt = stmt.where(Campaign.status == filters.status)
    return stmt

"""What the rollup reads, besides the day's own events, before it folds one day: each
campaign's cap and each advertiser's funds left before the day (from the rows of earlier
days), when the ads judged by their impression had it (from the log), and each clicked
ad's stored click state (`rollup_clicks`). Kept apart from `reporting/job.py`, which
decides what to fold when, so that the fold's inputs read the same in every path."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from shelfspace.events.log import EventLog
from shelfspace.events.model import Event, EventType, ad_event_key
from shelfspace.reporting.catalogue import Catalogue
from shelfspace.reporting.fold_state import chunks
from shelfspace.reporting.models import RollupClick, RollupDay
from shelfspace.reporting.rollup import FINAL_REASONS, AdDims, ClickState
from shelfspace.tracking.counting import FOLLOWS_IMPRESSION

Caps = dict[str, tuple[str, int | None]]  # campaign → (its advertiser, its cap for the day; None: none)
FundsLeft = dict[str, int | None]  # advertiser → funds left before the day (None: no limit)


def _spent_before(db: Session, day: str, by: InstrumentedAttribute[str], ids: list[str]) -> dict[str, int]:
    """What each of `ids` (campaigns or advertisers, by the rollup column `by`) spent on the days before `day`."""
    spent: dict[str, int] = {}
    for chunk in chunks(ids):
        spent.update(
            (key, int(v))
            for key, v in db.execute(
                select(by, func.sum(RollupDay.spend_micros)).where(RollupDay.day < day, by.in_(chunk)).group_by(by)
            )
        )
    return spent


def day_caps(db: Session, day: str, owner: dict[str, str], catalogue: Catalogue) -> tuple[Caps, FundsLeft]:
    """Each campaign's cap for the day (its daily budget, or what its total budget had
    left before the day, whichever is less; None: not in the catalogue, nothing billed)
    and each advertiser's funds left before the day (None: no limit)."""
    campaigns = sorted(owner)
    spent_before = _spent_before(db, day, RollupDay.campaign_id, campaigns)
    caps: Caps = {}
    for campaign_id in campaigns:
        budget = catalogue.budgets.get(campaign_id)
        cap = None
        if budget is not None:
            cap = budget.total_micros - spent_before.get(campaign_id, 0)
            if budget.daily_micros is not None:
                cap = min(cap, budget.daily_micros)
        caps[campaign_id] = (owner[campaign_id], cap)
    advertisers = sorted(set(owner.values()))
    limited = [a for a in advertisers if a in catalogue.funds]
    account_spent = _spent_before(db, day, RollupDay.advertiser_id, limited)
    funds = {a: (catalogue.funds[a] - account_spent.get(a, 0) if a in catalogue.funds else None) for a in advertisers}
    return caps, funds


def clicked_ads(events: list[Event]) -> set[str]:
    """The ads with a click among `events` that the fold still judges (not already final)."""
    return {
        e.ad.ad_id for e in events if e.type is EventType.CLICK and e.ad is not None and e.invalid not in FINAL_REASONS
    }


def impression_times(event_log: EventLog, events: list[Event], clicked: set[str]) -> dict[str, float]:
    """When each ad the fold judges by its impression (a click, a viewable event) had its
    counted impression, from the log (it may be on another day)."""
    viewed = {
        e.ad.ad_id
        for e in events
        if e.type in FOLLOWS_IMPRESSION and e.ad is not None and e.invalid not in FINAL_REASONS
    }
    return {
        e.ad.ad_id: e.time
        for e in event_log.get(ad_event_key(EventType.IMPRESSION, ad_id) for ad_id in sorted(clicked | viewed))
        if e.ad is not None
    }


def click_states(db: Session, day: str, ads: set[str]) -> dict[str, ClickState]:
    """The stored click state (`rollup_clicks`) of each of these ads on the day: whether its
    click counted and, if not yet, the hour and dimensions it waits under."""
    states: dict[str, ClickState] = {}
    for chunk in chunks(sorted(ads)):
        for ad_id, counted, unmet in db.execute(
            select(RollupClick.ad_id, RollupClick.counted, RollupClick.unmet).where(
                RollupClick.day == day, RollupClick.ad_id.in_(chunk)
            )
        ):
            where = None
            if unmet is not None:
                hour, dims = json.loads(unmet)
                where = (hour, AdDims(*dims))
            states[ad_id] = ClickState(counted, where)
    return states

"""The rollup job: reads the event log from where it stopped and rebuilds what changed.

What changed: every local day that got an ad event is rebuilt whole (delete its rows,
roll it again from the log), and a day whose spend moved makes the campaign's later days
rebuild too (they are capped by what the total budget had left). Every conversion that
is new, or whose user got a new counted interaction before it, is attributed again.
Each run commits its rows and its log position together, so a run cut short is simply
run again, and running any day again writes the same rows.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.billing import ledger
from shelfspace.catalog.models import Advertiser, Campaign, LineItem, Placement, Product
from shelfspace.core.days import day_bounds, day_of
from shelfspace.db.session import session_scope
from shelfspace.events.log import EventLog
from shelfspace.events.models import EventRow
from shelfspace.events.model import Event, EventType, ad_event_key
from shelfspace.measurement.attribution import (
    Conversion,
    Interaction,
    InteractionKind,
    Item,
    Windows,
    attribute,
)
from shelfspace.reporting.models import AttributedItem, RollupDay, RollupHour, RollupInteraction, RollupState
from shelfspace.reporting.rollup import DELIVERY_EVENTS, AdDims, Budget, DayRollup, Delivery, Funds, roll_day

log = structlog.get_logger(__name__)

STATE_ROW = 1
ROLLUP_LOCK = 0x5E1F_2011  # the PostgreSQL advisory lock that serialises rollup transactions
ROLLUP_LOCK_WAIT_SECONDS = 30
READ_BATCH = 50_000
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class Catalogue:
    """What rollups and attribution need from the catalogue, read once per run."""

    channels: dict[str, str]
    budgets: dict[str, Budget]
    brands_of_advertiser: dict[str, frozenset[str]]
    promoted: dict[str, frozenset[str]]  # line item → SKUs
    product_brands: dict[str, str]
    funds: dict[str, int]  # advertisers paying from limited funds: what all their charges may reach

    @classmethod
    def load(cls, db: Session) -> Catalogue:
        products = {sku: brand.lower() for sku, brand in db.execute(select(Product.sku, Product.brand)) if brand}
        promoted = {li: frozenset(skus) for li, skus in db.execute(select(LineItem.id, LineItem.products))}
        brands: dict[str, set[str]] = defaultdict(set)
        for advertiser_id, name, owned in db.execute(select(Advertiser.id, Advertiser.name, Advertiser.brands)):
            brands[advertiser_id].update(b.lower() for b in owned or [name])
        for advertiser_id, skus in db.execute(select(LineItem.advertiser_id, LineItem.products)):
            brands[advertiser_id].update(products[s] for s in skus if s in products)
        return cls(
            channels={p: str(c) for p, c in db.execute(select(Placement.id, Placement.channel))},
            budgets={c: Budget(total, daily) for c, total, daily in db.execute(
                select(Campaign.id, Campaign.budget_total_micros, Campaign.budget_daily_micros))},
            brands_of_advertiser={a: frozenset(b) for a, b in brands.items()},
            promoted=promoted,
            product_brands=products,
            funds=ledger.funds(db),
        )


class RollupJob:
    def __init__(self, sessions: sessionmaker[Session], event_log: EventLog, tz: ZoneInfo,
                 windows: Windows = Windows(), now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.event_log = event_log
        self.tz = tz
        self.windows = windows
        self.now = now  # stamps the ledger's charges (a replay's clock in the demo)
        self._lock = threading.Lock()  # one run at a time (the background thread, or a test)

    # --- a run -----------------------------------------------------------------------------

    def run(self) -> int:
        """Read what is new in the log and rebuild what it changed; returns events read.

        For a log one process appends to (embedded): its positions follow commit order."""
        with self._lock, session_scope(self.sessions) as db:
            self._serialise(db)
            state = db.get(RollupState, STATE_ROW)
            position = state.log_position if state else 0
            read = 0

            def new_events() -> Iterator[Event]:  # page by page: a full rebuild holds no list
                nonlocal position, read
                while batch := self.event_log.read(after=position, limit=READ_BATCH):
                    position = batch[-1][0]
                    read += len(batch)
                    yield from (event for _, event in batch)

            self._roll(db, new_events())
            if not read:
                db.rollback()
                return 0
            now = datetime.now(UTC)
            if state is None:
                db.add(RollupState(id=STATE_ROW, log_position=position, built_at=now))
            else:
                state.log_position, state.built_at = position, now
            return read

    def apply(self, events: list[Event], mark_rolled_up: bool = False) -> None:
        """Rebuild what these newly stored events changed, and commit: the rollup workers'
        step, driven by the stream. Applying the same events again writes the same rows.
        `mark_rolled_up` flags them in PostgreSQL's `event_log`, in the same transaction."""
        if not events:
            return
        with self._lock, session_scope(self.sessions) as db:
            self._serialise(db)
            self._roll(db, events)
            if mark_rolled_up:
                db.execute(update(EventRow).where(EventRow.key.in_([e.key for e in events])).values(rolled_up=True))
            now = datetime.now(UTC)
            state = db.get(RollupState, STATE_ROW)
            if state is None:
                db.add(RollupState(id=STATE_ROW, log_position=0, built_at=now))
            else:
                state.built_at = now

    @staticmethod
    def _serialise(db: Session) -> None:
        """One rollup transaction at a time across processes: two rebuilding the same day at
        once would each delete, then both insert. Released when the transaction ends."""
        if db.get_bind().dialect.name == "postgresql":
            # Never wait for ever: a holder cut off by the network fails this step instead,
            # and the step is tried again (nothing acknowledged).
            db.execute(text(f"SET LOCAL lock_timeout = '{ROLLUP_LOCK_WAIT_SECONDS}s'"))
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK})

    def _roll(self, db: Session, new: Iterable[Event]) -> None:
        days: set[str] = set()
        conversions: dict[str, Event] = {}
        touched_users: dict[str, float] = {}  # user → earliest new interaction
        for event in new:
            if event.type is EventType.CONVERSION and event.user_id:
                conversions[event.key] = event
            elif event.type in DELIVERY_EVENTS:
                days.add(day_of(event.time, self.tz))
                if event.user_id:
                    touched_users[event.user_id] = min(event.time, touched_users.get(event.user_id, event.time))
        if not days and not conversions:
            return
        catalogue = Catalogue.load(db)
        self._rebuild_days(db, days, catalogue)
        for user_id, since in touched_users.items():
            later = self.event_log.of_user(user_id, EventType.CONVERSION, since,
                                           since + self.windows.post_click_days * SECONDS_PER_DAY)
            conversions.update((c.key, c) for c in later)
        self._attribute(db, conversions.values(), catalogue)

    def rebuild_all(self) -> None:
        """Forget every rollup and read the whole log again (after a rule or a time zone change)."""
        with self._lock, session_scope(self.sessions) as db:
            for table in (RollupHour, RollupDay, RollupInteraction, AttributedItem, RollupState):
                db.execute(delete(table))
        self.run()

    # --- days ----------------------------------------------------------------------------

    def _rebuild_days(self, db: Session, days: set[str], catalogue: Catalogue) -> None:
        """Roll the days again, then bring the ledger's charges for them to the new spend."""
        pending = sorted(days)
        done: set[str] = set()
        while pending:
            day = pending.pop(0)
            if day in done:
                continue
            done.add(day)
            moved = self._rebuild_day(db, day, catalogue)
            if moved:  # later days of these campaigns were capped by what was left before them
                owners = {a for a, c in db.execute(select(RollupDay.advertiser_id, RollupDay.campaign_id).distinct()
                                                   .where(RollupDay.campaign_id.in_(moved)))}
                funded = [a for a in owners if a in catalogue.funds]  # and so were their other campaigns'
                later = db.scalars(select(RollupDay.day).distinct().where(
                    or_(RollupDay.campaign_id.in_(moved), RollupDay.advertiser_id.in_(funded)), RollupDay.day > day))
                pending = sorted(set(pending) | (set(later) - done))
        ledger.post_charges(db, done, self.now())

    def _rebuild_day(self, db: Session, day: str, catalogue: Catalogue) -> set[str]:
        """Roll one day again; returns the campaigns whose spend on it changed."""
        start, end = day_bounds(day, self.tz)
        events = [e for e in self.event_log.between(start, end)
                  if e.type in DELIVERY_EVENTS]
        clicked = {e.ad.ad_id for e in events if e.type is EventType.CLICK and e.ad is not None}
        impressions = {e.ad.ad_id: e.time for e in self.event_log.get(
            ad_event_key(EventType.IMPRESSION, ad_id) for ad_id in clicked) if e.ad is not None}
        spend = select(RollupDay.campaign_id, func.sum(RollupDay.spend_micros)).group_by(RollupDay.campaign_id)
        old_spend = {c: int(v) for c, v in db.execute(spend.where(RollupDay.day == day))}
        spent_before = {c: int(v) for c, v in db.execute(spend.where(RollupDay.day < day))}
        funds = Funds()
        if catalogue.funds:
            account_spent = {a: int(v) for a, v in db.execute(
                select(RollupDay.advertiser_id, func.sum(RollupDay.spend_micros))
                .where(RollupDay.day < day, RollupDay.advertiser_id.in_(catalogue.funds))
                .group_by(RollupDay.advertiser_id))}
            funds = Funds(catalogue.funds, account_spent)
        rolled = roll_day(events, self.tz, impressions, lambda p: catalogue.channels.get(p, ""), catalogue.budgets,
                          spent_before, funds=funds)
        for table in (RollupHour, RollupDay, RollupInteraction):
            db.execute(delete(table).where(table.day == day))
        self._write_day(db, day, rolled)
        new_spend = rolled.spend_by_campaign()
        return {c for c in set(old_spend) | set(new_spend) if (old_spend.get(c) or 0) != new_spend.get(c, 0)}

    @staticmethod
    def _write_day(db: Session, day: str, rolled: DayRollup) -> None:
        hours = [{"day": day, "hour": hour, **asdict(dims), **asdict(delivery)}
                 for (hour, dims), delivery in rolled.hours.items() if any(asdict(delivery).values())]
        if hours:
            db.execute(insert(RollupHour), hours)
        days: dict[AdDims, Delivery] = {}
        for (_, dims), delivery in rolled.hours.items():
            total = days.setdefault(dims, Delivery())
            for name, value in asdict(delivery).items():
                setattr(total, name, getattr(total, name) + value)
        daily = [{"day": day, **asdict(dims), **asdict(delivery)} for dims, delivery in days.items()
                 if any(asdict(delivery).values())]
        if daily:
            db.execute(insert(RollupDay), daily)
        counted = [{"ad_id": c.ad_id, "kind": c.kind, "day": day, "hour": c.hour, "time": c.time,
                    "user_id": c.user_id, **asdict(c.dims)} for c in rolled.counted]
        if counted:
            db.execute(insert(RollupInteraction), counted)

    # --- attribution ---------------------------------------------------------------------

    def _attribute(self, db: Session, conversions: Iterable[Event], catalogue: Catalogue) -> None:
        longest = max(self.windows.post_click_days, self.windows.post_view_days) * SECONDS_PER_DAY
        for event in conversions:
            assert event.user_id is not None and event.data is not None
            conversion = self._conversion(event, catalogue)
            rows = list(db.scalars(select(RollupInteraction).where(
                RollupInteraction.user_id == event.user_id,
                RollupInteraction.time >= event.time - longest, RollupInteraction.time <= event.time)))
            interactions = [self._interaction(r, catalogue) for r in rows]
            history = [self._conversion(e, catalogue) for e in self.event_log.of_user(
                event.user_id, EventType.CONVERSION,
                event.time - self.windows.new_to_brand_days * SECONDS_PER_DAY, event.time)]
            db.execute(delete(AttributedItem).where(AttributedItem.conversion_id == conversion.id))
            credits = attribute(interactions, [conversion], self.windows, history)
            if not credits:
                continue
            hour_of = {(r.ad_id, r.kind): (r.day, r.hour) for r in rows}
            db.execute(insert(AttributedItem), [{
                "conversion_id": c.conversion_id, "item_index": c.item_index,
                "day": hour_of[(c.interaction.ad_id, str(c.interaction.kind))][0],
                "hour": hour_of[(c.interaction.ad_id, str(c.interaction.kind))][1],
                "advertiser_id": c.interaction.advertiser_id, "campaign_id": c.interaction.campaign_id,
                "line_item_id": c.interaction.line_item_id, "creative_id": c.interaction.creative_id,
                "placement_id": c.interaction.placement_id,
                "channel": catalogue.channels.get(c.interaction.placement_id, ""),
                "sku": c.sku, "purchased_sku": c.sku, "interaction": str(c.interaction.kind), "match": str(c.match),
                "new_to_brand": c.new_to_brand, "quantity": c.quantity, "revenue_micros": c.revenue_micros,
                "converted_at": c.converted_at,
            } for c in credits])

    @staticmethod
    def _conversion(event: Event, catalogue: Catalogue) -> Conversion:
        assert event.data is not None and event.user_id is not None
        items = tuple(Item(i["sku"], catalogue.product_brands.get(i["sku"]), i["quantity"], i["price_micros"])
                      for i in event.data["items"])
        return Conversion(event.data["id"], event.user_id, datetime.fromtimestamp(event.time, UTC), items)

    @staticmethod
    def _interaction(row: RollupInteraction, catalogue: Catalogue) -> Interaction:
        skus = catalogue.promoted.get(row.line_item_id, frozenset()) | ({row.sku} if row.sku else set())
        return Interaction(
            ad_id=row.ad_id, kind=InteractionKind.CLICK if row.kind == "click" else InteractionKind.VIEW,
            time=datetime.fromtimestamp(row.time, UTC), user_id=row.user_id, advertiser_id=row.advertiser_id,
            campaign_id=row.campaign_id, line_item_id=row.line_item_id, creative_id=row.creative_id,
            placement_id=row.placement_id, skus=frozenset(skus),
            brands=catalogue.brands_of_advertiser.get(row.advertiser_id, frozenset()),
        )

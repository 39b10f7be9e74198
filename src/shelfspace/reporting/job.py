"""The rollup job: reads the event log from where it stopped and folds in what is new.

A day's rollup is a left fold over its events in (time, key) order (rollup.py `DayFold`):
its rows after any prefix of events are what a full rebuild of that prefix writes. Each
day keeps a checkpoint (`rollup_checkpoints`, and `rollup_clicks` per ad): the fold's
state after every event older than `settled_before` (its newest event's time less
`SETTLE_SECONDS`), the tail after it with what the tail added to the rows, and the state
the tail left. When a run's new events all come after the tail (the usual case), the fold
goes on from that state and they join the tail. When one lands inside the tail, or the
tail spans twice `SETTLE_SECONDS`, the run takes away what the tail added, folds the tail
and the new events onto the settled state, adds that to the rows and settles the older
part. So a run costs its new events (and now and then the day's last seconds again),
whatever the day holds, and the rows are the full rebuild's
(tests/reporting/test_incremental_rollup.py).

A day is rolled whole (as `rebuild_all` rolls every day) when the checkpoint cannot be
trusted: an event older than its settled part (stored more than `SETTLE_SECONDS` late),
a counted impression stored after a settled click or viewable event of its ad (or one of
another day's tail), a placement whose channel
changed, or a campaign's cap (its daily budget, what its total budget or its
advertiser's funds had left before the day) that moved when the day's spend was, or
would now be, bound by it. A day whose spend moved makes the campaign's later days fold
again (their caps moved). Every conversion that is new, or whose user got a new counted
interaction before it, is attributed again.
Each run commits its rows, its checkpoints and its log position together, so a run cut
short is simply run again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.core.attribution import (
    InteractionKind,
    Windows,
)
from shelfspace.core.days import day_bounds, day_of
from shelfspace.db.session import session_scope
from shelfspace.events.log import EventLog
from shelfspace.events.model import Event, EventType, ad_event_key
from shelfspace.events.models import EventRow
from shelfspace.reporting.catalogue import Catalogue
from shelfspace.reporting.day_inputs import click_states, clicked_ads, day_caps, impression_times
from shelfspace.reporting.models import (
    AttributedItem,
    RollupCheckpoint,
    RollupClick,
    RollupDay,
    RollupHour,
    RollupInteraction,
    RollupState,
)
from shelfspace.reporting.rollup import (
    DELIVERY_EVENTS,
    Budget,
    ClickState,
    DayFold,
    Delivery,
    Funds,
)
from shelfspace.tracking.counting import expected_ctr_of, judged_click_keys

log = structlog.get_logger(__name__)

from shelfspace.reporting.fold_state import (
    DIMS,
    Checkpoint,
    Folded,
    TailEnd,
    add_into,
    caps_never_bound,
    chunks,
    combine,
    dims_of,
    merge_rows,
    minus,
    plus,
    spend_by_campaign,
)
from shelfspace.reporting.sales_credit import SalesCredit
from shelfspace.reporting.spend import charge_rollups

STATE_ROW = 1
ROLLUP_LOCK = 0x5E1F_2011  # the PostgreSQL advisory lock that serialises rollup transactions
ROLLUP_LOCK_WAIT_SECONDS = 30
READ_BATCH = 50_000
SECONDS_PER_DAY = 86_400
SETTLE_SECONDS = 10.0  # a day's last 10 s of events (by their time) are folded again each run
WHOLE_DAY_AFTER = 200_000  # a day with more new events than this in one run is rolled whole


class RollupJob:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        event_log: EventLog,
        tz: ZoneInfo,
        windows: Windows = Windows(),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.settle_seconds = settle_seconds  # how far behind a day's newest event its fold settles
        self.event_log = event_log
        self.tz = tz
        self.windows = windows
        self.credit = SalesCredit(event_log, windows)  # conversions credited to the ads met
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
            claims = self.credit.follow_claims(db, state.brand_claims if state else None)
            if not read and claims is None:
                db.rollback()
                return 0
            now = datetime.now(UTC)
            if state is None:
                state = RollupState(id=STATE_ROW, log_position=position, built_at=now)
                db.add(state)
            else:
                state.log_position, state.built_at = position, now
            if claims is not None:
                state.brand_claims = claims
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
            claims = self.credit.follow_claims(db, state.brand_claims if state else None)
            if state is None:
                state = RollupState(id=STATE_ROW, log_position=0, built_at=now)
                db.add(state)
            else:
                state.built_at = now
            if claims is not None:
                state.brand_claims = claims

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
        days: dict[str, dict[str, Event] | None] = {}  # day → its new events (None: roll it whole)
        conversions: dict[str, Event] = {}
        touched_users: dict[str, float] = {}  # user → earliest new interaction
        for event in new:
            if event.type is EventType.CONVERSION and event.user_id:
                conversions[event.key] = event
            elif event.type in DELIVERY_EVENTS:
                day = day_of(event.time, self.tz)
                held = days.setdefault(day, {})
                if held is not None:
                    held[event.key] = event
                    if len(held) > WHOLE_DAY_AFTER:  # a first run over a big log: hold no list
                        days[day] = None
                if event.user_id:
                    touched_users[event.user_id] = min(event.time, touched_users.get(event.user_id, event.time))
        if not days and not conversions:
            return
        catalogue = Catalogue.load(db)
        self._roll_days(db, days, catalogue)
        for user_id, since in touched_users.items():
            later = self.event_log.of_user(
                user_id, EventType.CONVERSION, since, since + self.windows.longest_days * SECONDS_PER_DAY
            )
            conversions.update((c.key, c) for c in later)
        self.credit.attribute(db, conversions.values(), catalogue)

    def rebuild_all(self) -> None:
        """Forget every rollup and read the whole log again (after a rule or a time zone change)."""
        with self._lock, session_scope(self.sessions) as db:
            for table in (
                RollupHour,
                RollupDay,
                RollupInteraction,
                AttributedItem,
                RollupClick,
                RollupCheckpoint,
                RollupState,
            ):
                db.execute(delete(table))
        self.run()

    # --- days ----------------------------------------------------------------------------

    def _roll_days(self, db: Session, new: dict[str, dict[str, Event] | None], catalogue: Catalogue) -> None:
        """Fold each day's new events in (None: roll the day whole), then bring the ledger's
        charges for the days rolled to their new spend."""
        self._reset_days_of_late_impressions(db, new)
        pending = sorted(new)
        done: set[str] = set()
        while pending:
            day = pending.pop(0)
            if day in done:
                continue
            done.add(day)
            moved = self._roll_day(db, day, new.get(day, {}), catalogue)
            if moved:  # later days of these campaigns were capped by what was left before them
                owners = {
                    a
                    for a, c in db.execute(
                        select(RollupDay.advertiser_id, RollupDay.campaign_id)
                        .distinct()
                        .where(RollupDay.campaign_id.in_(moved))
                    )
                }
                funded = [a for a in owners if a in catalogue.funds]  # and so were their other campaigns'
                later = db.scalars(
                    select(RollupDay.day)
                    .distinct()
                    .where(
                        or_(RollupDay.campaign_id.in_(moved), RollupDay.advertiser_id.in_(funded)), RollupDay.day > day
                    )
                )
                pending = sorted(set(pending) | (set(later) - done))
        charge_rollups(db, done, self.now())

    def _reset_days_of_late_impressions(self, db: Session, new: dict[str, dict[str, Event] | None]) -> None:
        """A counted impression stored after a click or viewable event of its ad was folded
        changes how that event is judged (a click counts, a viewable event is a view for
        attribution, only after a counted impression): the event's day is rolled whole when
        it was settled, or when it is on another day than the impression (this run does not
        fold that day's tail again: the impression is not among its events). Only an
        impression older than some day's settled part can have such an event, so the others
        cost no look-up."""
        impressions = [
            e
            for events in new.values()
            if events
            for e in events.values()
            if e.type is EventType.IMPRESSION and e.invalid is None and e.ad is not None
        ]
        if not impressions:
            return
        settled: dict[str, float] = {
            day: before
            for day, before in db.execute(
                select(RollupCheckpoint.day, RollupCheckpoint.settled_before).where(
                    RollupCheckpoint.day >= min(day_of(e.time, self.tz) for e in impressions)
                )
            )
        }
        if not settled:
            return
        horizon = max(settled.values())
        late = {e.ad.ad_id: day_of(e.time, self.tz) for e in impressions if e.time < horizon and e.ad is not None}
        keys = [key for ad_id in late for key in judged_click_keys(ad_id)]
        keys += [ad_event_key(EventType.VIEWABLE, ad_id) for ad_id in late]
        for judged in self.event_log.get(keys):
            day = day_of(judged.time, self.tz)
            if (
                judged.ad is not None
                and day in settled
                and (judged.time < settled[day] or day != late[judged.ad.ad_id])
            ):
                new[day] = None

    def _roll_day(self, db: Session, day: str, new: dict[str, Event] | None, catalogue: Catalogue) -> set[str]:
        """Fold the day's new events onto its checkpoint (or the whole day when it has none,
        an event comes before its settled part, or a cap it was folded under moved in a way
        that matters); returns the campaigns whose spend on the day changed."""
        base = None if new is None else self._checkpoint(db, day)
        if base is not None and new and min(e.time for e in new.values()) < base.before:
            base = None  # a late event: the settled part is no longer what the log holds
        if base is not None:
            folded_keys = set(base.tail)
            fresh = [e for k, e in (new or {}).items() if k not in folded_keys]
            folded = self._continue(db, day, base, fresh, catalogue) if fresh else None
            if folded is None:
                tail = {e.key: e for e in self.event_log.get(base.tail)}
                tail.update((e.key, e) for e in fresh)
                folded = self._fold(db, day, base, list(tail.values()), catalogue, skip_if_unchanged=not fresh)
            if folded is not None:
                return self._write(db, day, base, folded)
        start, end = day_bounds(day, self.tz)
        old_spend = {
            c: int(v)
            for c, v in db.execute(
                select(RollupDay.campaign_id, func.sum(RollupDay.spend_micros))
                .where(RollupDay.day == day)
                .group_by(RollupDay.campaign_id)
            )
        }
        for table in (RollupHour, RollupDay, RollupInteraction, RollupClick, RollupCheckpoint):
            db.execute(delete(table).where(table.day == day))
        empty = Checkpoint.empty(start)
        folded = self._fold(db, day, empty, self.event_log.between(start, end), catalogue)
        assert folded is not None
        self._write(db, day, empty, folded, fresh_day=True)
        new_spend = spend_by_campaign(folded.hours)
        return {c for c in set(old_spend) | set(new_spend) if old_spend.get(c, 0) != new_spend.get(c, 0)}

    def _checkpoint(self, db: Session, day: str) -> Checkpoint | None:
        row = db.get(RollupCheckpoint, day)
        return None if row is None else Checkpoint.loads(row.settled_before, row.state)

    def _fold(
        self,
        db: Session,
        day: str,
        base: Checkpoint,
        events: list[Event],
        catalogue: Catalogue,
        skip_if_unchanged: bool = False,
    ) -> Folded | None:
        """Fold `events` (the day's tail: every event at or after `base.before`) onto the
        settled state. None when the settled state no longer holds under today's caps."""
        start, end = day_bounds(day, self.tz)
        events = sorted(
            (e for e in events if e.type in DELIVERY_EVENTS and start <= e.time < end), key=lambda e: (e.time, e.key)
        )
        owner = {c: a for c, (a, _) in base.caps.items()}
        owner.update((e.ad.campaign_id, e.ad.advertiser_id) for e in events if e.ad is not None)
        caps, funds = day_caps(db, day, owner, catalogue)
        placements = set(base.channels) | {e.ad.placement_id for e in events if e.ad is not None}
        channels = {p: catalogue.channels.get(p, "") for p in placements}
        if any(channels[p] != c for p, c in base.channels.items()):
            return None  # a placement changed channel: the day's rows are grouped anew
        changed = {c for c, (_, cap) in base.caps.items() if caps[c][1] != cap}
        changed_funds = {a for a, room in base.funds.items() if funds.get(a) != room}
        if skip_if_unchanged and not changed and not changed_funds:
            return Folded.nothing(base)
        clicked = clicked_ads(events)
        impressions = impression_times(self.event_log, events, clicked)
        clicks = {} if base.whole_day else click_states(db, day, clicked)  # a whole day starts with none
        fold = DayFold(
            tz=self.tz,
            impression_times=impressions,
            channel_of=lambda p: channels.get(p, catalogue.channels.get(p, "")),
            budgets={c: Budget(cap, None) for c, (_, cap) in caps.items() if cap is not None},
            spent_before={},
            funds=Funds({a: room for a, room in funds.items() if room is not None}),
            clicks=clicks,
            recent=base.recent,
            today=base.today,
            account_today=base.account,
            uncapped=base.uncapped,
            expected_ctr=expected_ctr_of(catalogue.formats.get),
        )
        settle = base.before if not events else max(base.before, events[-1].time - self.settle_seconds)
        cut = next((n for n, e in enumerate(events) if e.time >= settle), len(events))
        fold.feed(events[:cut])
        settled_hours, settled_counted = fold.take()
        today, account, uncapped = dict(fold.spender.today), dict(fold.spender.account_today), dict(fold.uncapped)
        states = {ad: ClickState(fold.clicks[ad].counted, fold.clicks[ad].unmet) for ad in fold.touched}
        recent = fold.recent_after(settle)
        fold.feed(events[cut:])
        tail_hours, tail_counted = fold.take()
        after_tail = (
            None
            if cut == len(events)
            else TailEnd(
                (events[-1].time, events[-1].key),
                dict(fold.spender.today),
                dict(fold.spender.account_today),
                dict(fold.uncapped),
                fold.recent_after(events[-1].time),
                {ad: ClickState(fold.clicks[ad].counted, fold.clicks[ad].unmet) for ad in fold.touched},
            )
        )
        if changed or changed_funds:
            affected = changed | {c for c, a in owner.items() if a in changed_funds}
            if not caps_never_bound(base, affected, owner, caps, funds, fold.uncapped):
                return None
        checkpoint = Checkpoint(
            before=settle,
            today=today,
            account=account,
            uncapped=uncapped,
            recent=recent,
            caps=caps,
            funds=funds,
            channels=channels,
            tail=[e.key for e in events[cut:]],
            pending_hours=tail_hours,
            pending_counted=[(c.ad_id, c.kind) for c in tail_counted],
            pending_charged=minus(fold.spender.today, today),
            pending_uncapped=minus(fold.uncapped, uncapped),
            end=after_tail,
        )
        hours = combine(settled_hours, tail_hours)
        return Folded(hours, settled_counted + tail_counted, states, checkpoint)

    def _continue(
        self, db: Session, day: str, base: Checkpoint, fresh: list[Event], catalogue: Catalogue
    ) -> Folded | None:
        """The usual run: every new event comes after the tail's last one, so the fold goes on
        from the state the tail left (`base.end`) and the tail is not folded again; they join
        the tail. None (fold the tail again, settling its older part) when an event comes
        inside the tail, a cap or a channel moved, or the tail spans twice `settle_seconds`."""
        end = base.end
        start, stop = day_bounds(day, self.tz)
        events = sorted(
            (e for e in fresh if e.type in DELIVERY_EVENTS and start <= e.time < stop), key=lambda e: (e.time, e.key)
        )
        if end is None or not events or (events[0].time, events[0].key) <= end.last:
            return None
        if events[-1].time - 2 * self.settle_seconds > base.before:
            return None
        owner = {c: a for c, (a, _) in base.caps.items()}
        owner.update((e.ad.campaign_id, e.ad.advertiser_id) for e in events if e.ad is not None)
        caps, funds = day_caps(db, day, owner, catalogue)
        channels = dict(base.channels)
        channels.update(
            (e.ad.placement_id, catalogue.channels.get(e.ad.placement_id, "")) for e in events if e.ad is not None
        )
        if (
            any(caps[c][1] != cap for c, (_, cap) in base.caps.items())
            or any(funds.get(a) != room for a, room in base.funds.items())
            or any(catalogue.channels.get(p, "") != c for p, c in base.channels.items())
        ):
            return None
        clicked = clicked_ads(events)
        impressions = impression_times(self.event_log, events, clicked)
        clicks = click_states(db, day, clicked - set(end.clicks))
        clicks.update(
            (ad, ClickState(end.clicks[ad].counted, end.clicks[ad].unmet)) for ad in clicked & set(end.clicks)
        )
        fold = DayFold(
            tz=self.tz,
            impression_times=impressions,
            channel_of=lambda p: channels.get(p, ""),
            budgets={c: Budget(cap, None) for c, (_, cap) in caps.items() if cap is not None},
            spent_before={},
            funds=Funds({a: room for a, room in funds.items() if room is not None}),
            clicks=clicks,
            recent=end.recent,
            today=end.today,
            account_today=end.account,
            uncapped=end.uncapped,
            expected_ctr=expected_ctr_of(catalogue.formats.get),
        )
        fold.feed(events)
        hours, counted = fold.take()
        end_clicks = dict(end.clicks)
        end_clicks.update((ad, fold.clicks[ad]) for ad in fold.touched)
        checkpoint = replace(
            base,
            caps=caps,
            funds=funds,
            channels=channels,
            tail=base.tail + [e.key for e in events],
            pending_hours=combine(base.pending_hours, hours),
            pending_counted=base.pending_counted + [(c.ad_id, c.kind) for c in counted],
            pending_charged=plus(base.pending_charged, minus(dict(fold.spender.today), end.today)),
            pending_uncapped=plus(base.pending_uncapped, minus(dict(fold.uncapped), end.uncapped)),
            end=TailEnd(
                (events[-1].time, events[-1].key),
                dict(fold.spender.today),
                dict(fold.spender.account_today),
                dict(fold.uncapped),
                fold.recent_after(events[-1].time),
                end_clicks,
            ),
        )
        return Folded(hours, counted, {}, checkpoint, replaces_tail=False)

    def _write(self, db: Session, day: str, base: Checkpoint, folded: Folded, fresh_day: bool = False) -> set[str]:
        """Add what the fold changed to the day's rows (less what the old tail had added),
        and store the new checkpoint; returns the campaigns whose spend moved."""
        if folded.unchanged:
            return set()
        hours = combine(folded.hours, base.pending_hours if folded.replaces_tail else {}, sign=-1)
        merge_rows(db, RollupHour, day, {(h, *dims_of(d)): v for (h, d), v in hours.items()}, fresh_day)
        daily: dict[tuple[str, ...], Delivery] = {}
        for (_, dims), delivery in hours.items():
            add_into(daily.setdefault(dims_of(dims), Delivery()), delivery)
        merge_rows(db, RollupDay, day, daily, fresh_day)
        for kind in InteractionKind:
            gone = [ad_id for ad_id, k in base.pending_counted if k == kind] if folded.replaces_tail else []
            for chunk in chunks(gone):
                db.execute(
                    delete(RollupInteraction).where(RollupInteraction.kind == kind, RollupInteraction.ad_id.in_(chunk))
                )
        if folded.counted:  # Core inserts: the ORM's bulk path costs more than the rows
            db.connection().execute(
                insert(RollupInteraction),
                [
                    {
                        "ad_id": c.ad_id,
                        "kind": c.kind,
                        "day": day,
                        "hour": c.hour,
                        "time": c.time,
                        "user_id": c.user_id,
                        **dict(zip(DIMS, dims_of(c.dims), strict=True)),
                    }
                    for c in folded.counted
                ],
            )
        for chunk in chunks(sorted(folded.clicks)):
            db.execute(delete(RollupClick).where(RollupClick.day == day, RollupClick.ad_id.in_(chunk)))
        rows = [
            {
                "day": day,
                "ad_id": ad_id,
                "counted": s.counted,
                "unmet": None if s.unmet is None else json.dumps([s.unmet[0], dims_of(s.unmet[1])]),
            }
            for ad_id, s in folded.clicks.items()
            if s.counted or s.unmet is not None
        ]
        if rows:
            db.execute(insert(RollupClick), rows)
        checkpoint = folded.checkpoint
        row = db.get(RollupCheckpoint, day)
        if row is None:
            db.add(RollupCheckpoint(day=day, settled_before=checkpoint.before, state=checkpoint.dumps()))
        else:
            row.settled_before, row.state = checkpoint.before, checkpoint.dumps()
        db.flush()
        spend = spend_by_campaign(hours)
        return {c for c, v in spend.items() if v}

"""A day's rollup checkpoint (the fold's state after its settled events, and the tail's)
and the arithmetic that adds a fold's difference to the stored rows: the state side of
`reporting/job.py`, which decides what to fold when."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from shelfspace.reporting.models import (
    RollupDay,
    RollupHour,
)
from shelfspace.reporting.rollup import (
    AdDims,
    ClickState,
    Counted,
    Delivery,
)

# --- the fold's checkpoint and its arithmetic ------------------------------------------------

COUNTS = tuple(f.name for f in fields(Delivery))
DIMS = tuple(f.name for f in fields(AdDims))
_counts = attrgetter(*COUNTS)  # a Delivery's counts as a tuple (dataclasses.astuple deep-copies: slow)
dims_of = attrgetter(*DIMS)
CHUNK = 500


def chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def add_into(total: Delivery, delivery: Delivery, sign: int = 1) -> None:
    for name in COUNTS:
        setattr(total, name, getattr(total, name) + sign * getattr(delivery, name))


def combine(
    a: dict[tuple[int, AdDims], Delivery], b: dict[tuple[int, AdDims], Delivery], sign: int = 1
) -> dict[tuple[int, AdDims], Delivery]:
    combined: dict[tuple[int, AdDims], Delivery] = {}
    for key, delivery in a.items():
        add_into(combined.setdefault(key, Delivery()), delivery)
    for key, delivery in b.items():
        add_into(combined.setdefault(key, Delivery()), delivery, sign)
    return combined


def minus(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def spend_by_campaign(hours: dict[tuple[int, AdDims], Delivery]) -> dict[str, int]:
    spend: dict[str, int] = defaultdict(int)
    for (_, dims), delivery in hours.items():
        spend[dims.campaign_id] += delivery.spend_micros
    return dict(spend)


def merge_rows(
    db: Session,
    table: type[RollupHour] | type[RollupDay],
    day: str,
    deltas: dict[tuple[Any, ...], Delivery],
    fresh_day: bool,
) -> None:
    """Add `deltas` (keyed by hour and ad dims, or ad dims) to the day's rows: a row that
    comes to all zeros goes, as a full rebuild would never write it."""
    deltas = {k: d for k, d in deltas.items() if any(getattr(d, n) for n in COUNTS)}
    if not deltas:
        return
    keys = (["hour"] if table is RollupHour else []) + [f.name for f in fields(AdDims)]
    at = keys.index("campaign_id")
    existing: dict[tuple[Any, ...], Any] = {}
    if not fresh_day:
        columns = [table.id, *(getattr(table, k) for k in keys), *(getattr(table, n) for n in COUNTS)]
        where = [table.day == day]
        if table is RollupHour:  # only the hours touched: a day's other hours are most of its rows
            where.append(RollupHour.hour.in_(sorted({k[0] for k in deltas})))
        for chunk in chunks(sorted({k[at] for k in deltas})):
            for found in db.execute(select(*columns).where(*where, table.campaign_id.in_(chunk))):
                existing[tuple(found[1 : 1 + len(keys)])] = found
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    gone: list[int] = []
    for key, delta in deltas.items():
        row = existing.get(key)
        values = {n: getattr(delta, n) + (getattr(row, n) if row is not None else 0) for n in COUNTS}
        assert all(v >= 0 for v in values.values()), (table.__tablename__, day, key, values)
        if row is None:
            inserts.append({"day": day, **dict(zip(keys, key, strict=True)), **values})
        elif any(values.values()):
            updates.append({"row_id": row.id, **{f"new_{n}": v for n, v in values.items()}})
        else:
            gone.append(row.id)
    if inserts:
        db.connection().execute(insert(table), inserts)
    if updates:  # Core executemany: the ORM's bulk update by primary key costs more than the rows
        db.connection().execute(
            update(table).where(table.id == bindparam("row_id")).values({n: bindparam(f"new_{n}") for n in COUNTS}),
            updates,
        )
    for start in range(0, len(gone), CHUNK):
        db.execute(delete(table).where(table.id.in_(gone[start : start + CHUNK])))


def plus(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b) if a.get(k, 0) + b.get(k, 0)}


@dataclass(slots=True)
class TailEnd:
    """The fold's state after the tail's last event: a run whose events all come after it
    goes on from here."""

    last: tuple[float, str]  # the tail's last event: (time, key)
    today: dict[str, int]
    account: dict[str, int]
    uncapped: dict[str, int]
    recent: dict[str, list[float]]
    clicks: dict[str, ClickState]  # the ads whose click state the tail changed

    def dumpable(self) -> dict[str, Any]:
        return {
            "last": list(self.last),
            "today": self.today,
            "account": self.account,
            "uncapped": self.uncapped,
            "recent": self.recent,
            "clicks": {
                ad: [s.counted, None if s.unmet is None else [s.unmet[0], dims_of(s.unmet[1])]]
                for ad, s in self.clicks.items()
            },
        }

    @classmethod
    def loaded(cls, s: dict[str, Any]) -> TailEnd:
        return cls(
            (s["last"][0], s["last"][1]),
            s["today"],
            s["account"],
            s["uncapped"],
            s["recent"],
            {
                ad: ClickState(counted, None if unmet is None else (unmet[0], AdDims(*unmet[1])))
                for ad, (counted, unmet) in s["clicks"].items()
            },
        )


@dataclass(slots=True, kw_only=True)
class Checkpoint:
    """A day's fold: the state after every event before `before` (settled: never folded
    again unless the day is rolled whole), and the tail after it (folded again each run)."""

    before: float
    today: dict[str, int]  # charged per campaign by the settled events
    account: dict[str, int]  # and per advertiser
    uncapped: dict[str, int]  # what the settled events cost each campaign before any cap
    recent: dict[str, list[float]]  # flood windows at `before`
    caps: dict[str, tuple[str, int | None]]  # the caps the fold used: campaign → (advertiser, cap)
    funds: dict[str, int | None]  # advertiser → funds left before the day
    channels: dict[str, str]  # placement → channel, as the rows group them
    tail: list[str]  # the keys of the events at or after `before`
    pending_hours: dict[tuple[int, AdDims], Delivery]  # what the tail added to the rows
    pending_counted: list[tuple[str, str]]  # the interactions the tail added (ad id, kind)
    pending_charged: dict[str, int]  # what the tail charged per campaign
    pending_uncapped: dict[str, int]
    end: TailEnd | None = None  # the state after the tail, to go on from
    whole_day: bool = False  # the empty state a day rolled whole starts from (its rows were deleted)

    @classmethod
    def empty(cls, start: float) -> Checkpoint:
        return cls(
            before=start,
            today={},
            account={},
            uncapped={},
            recent={},
            caps={},
            funds={},
            channels={},
            tail=[],
            pending_hours={},
            pending_counted=[],
            pending_charged={},
            pending_uncapped={},
            whole_day=True,
        )

    def dumps(self) -> str:
        return json.dumps(
            {
                "today": self.today,
                "account": self.account,
                "uncapped": self.uncapped,
                "recent": self.recent,
                "caps": self.caps,
                "funds": self.funds,
                "channels": self.channels,
                "tail": self.tail,
                "pending_hours": [
                    [hour, dims_of(dims), _counts(d)]
                    for (hour, dims), d in self.pending_hours.items()
                    if any(_counts(d))
                ],
                "pending_counted": self.pending_counted,
                "pending_charged": self.pending_charged,
                "pending_uncapped": self.pending_uncapped,
                "end": None if self.end is None else self.end.dumpable(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, before: float, text_: str) -> Checkpoint:
        s = json.loads(text_)
        return cls(
            before=before,
            today=s["today"],
            account=s["account"],
            uncapped=s["uncapped"],
            recent=s["recent"],
            caps={c: (a, cap) for c, (a, cap) in s["caps"].items()},
            funds=s["funds"],
            channels=s["channels"],
            tail=s["tail"],
            pending_hours={
                (hour, AdDims(*dims)): Delivery(**dict(zip(COUNTS, d, strict=True)))
                for hour, dims, d in s["pending_hours"]
            },
            pending_counted=[(a, k) for a, k in s["pending_counted"]],
            pending_charged=s["pending_charged"],
            pending_uncapped=s["pending_uncapped"],
            end=None if s.get("end") is None else TailEnd.loaded(s["end"]),
        )


@dataclass(slots=True)
class Folded:
    hours: dict[tuple[int, AdDims], Delivery]  # what the fold adds (settled part and tail)
    counted: list[Counted]
    clicks: dict[str, ClickState]  # ads whose click state the settled part changed
    checkpoint: Checkpoint
    unchanged: bool = False
    replaces_tail: bool = True  # what the old tail added is taken away (False: the fold went on after it)

    @classmethod
    def nothing(cls, base: Checkpoint) -> Folded:
        return cls({}, [], {}, base, unchanged=True)


def caps_never_bound(
    base: Checkpoint,
    affected: set[str],
    owner: dict[str, str],
    caps: dict[str, tuple[str, int | None]],
    funds: dict[str, int | None],
    uncapped: dict[str, int],
) -> bool:
    """Whether the settled state still holds though these campaigns' caps (or their
    advertisers' funds) moved: so when no cap ever bound them, before or now. Then every
    event of theirs was and is charged its whole cost, whatever the cap."""
    for campaign_id in affected:
        old_charged = base.today.get(campaign_id, 0) + base.pending_charged.get(campaign_id, 0)
        old_cost = base.uncapped.get(campaign_id, 0) + base.pending_uncapped.get(campaign_id, 0)
        if old_charged != old_cost:
            return False
        cap, cost = caps[campaign_id][1], uncapped.get(campaign_id, 0)
        if cost and (cap is None or cost > cap):
            return False
    for advertiser_id in {owner[c] for c in affected}:
        room = funds.get(advertiser_id)
        cost = sum(uncapped.get(c, 0) for c, a in owner.items() if a == advertiser_id)
        if room is not None and cost and cost > room:
            return False
    return True

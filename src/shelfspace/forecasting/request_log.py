"""Writes the sampled decision requests to `sampled_requests`, in batches, and reads them back.

The decision route offers every request (`offer`): the sampler decides (one keyed hash when
there is a user id) and a kept request is appended to a list in memory. The periodic flush
(core/periodic.py; delivery/opportunities.py runs it with the fill-rate counts) inserts the
list in one transaction, and at most once an hour deletes the rows older than
`RETENTION_DAYS`. Like fill rates, a crash may lose the last few seconds of the sample: a
forecast reads a share of the traffic, not every request.

A failed write keeps its rows for the next try. So that a database away for long cannot
fill the memory, the list holds at most `MAX_BUFFERED` requests; past it the newest are
dropped and counted in a log line (a forecast then reads a little less of that hour).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import CursorResult, Table, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.core.clock import utcnow
from shelfspace.core.periodic import PeriodicFlush
from shelfspace.db.session import session_scope
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.forecasting.models import SampledRequestRow
from shelfspace.forecasting.sample import RETENTION_DAYS, RequestSampler, SampledRequest

log = structlog.get_logger(__name__)

FLUSH_SECONDS = 5.0
MAX_BUFFERED = 200_000  # about 100 MB of requests at most, waiting for the database
PRUNE_EVERY = timedelta(hours=1)
INSERT_CHUNK = 5_000  # rows per executemany, all in one transaction

_TABLE = cast(Table, SampledRequestRow.__table__)
_COLUMNS = _TABLE.c


class RequestLog(PeriodicFlush):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        sampler: RequestSampler,
        tz: ZoneInfo,
        now: Callable[[], datetime] = utcnow,
        flush_seconds: float = FLUSH_SECONDS,
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        super().__init__("request-log", flush_seconds)
        self._sessions = sessions
        self._sampler = sampler
        self._tz = tz
        self._now = now
        self._max_buffered = max_buffered
        self._buffer: list[SampledRequest] = []
        self._dropped = 0
        self._lock = threading.Lock()
        self._pruned_at: datetime | None = None
        self._hour_start = 0.0  # the local hour last converted (rows come nearly in time order)
        self._daypart = (0, 0)

    @property
    def percent(self) -> int:
        """The share of requests kept, in percent (the setting `request_sample_percent`)."""
        return self._sampler.percent

    @property
    def weight(self) -> float:
        """How many real requests (and users) one sampled request (and user) stands for."""
        return self._sampler.weight

    def offer(self, request: DecisionRequest, at: datetime) -> None:
        """On the decision route: keep the request if the sampler says so (a list append)."""
        sampled = self._sampler.sample(request, at)
        if sampled is None:
            return
        with self._lock:
            if len(self._buffer) < self._max_buffered:
                self._buffer.append(sampled)
            else:
                self._dropped += 1

    def write_batch(self, now: datetime | None = None) -> int:
        """Insert what was kept since the last call, prune the expired rows if an hour has
        passed since the last pruning (`now` is the log's clock unless given); returns the
        rows inserted. Never raises: failed rows wait for the next call."""
        with self._lock:
            taken, self._buffer = self._buffer, []
            dropped, self._dropped = self._dropped, 0
        if dropped:
            log.warning("sampled_requests_dropped", dropped=dropped, buffered_at_most=self._max_buffered)
        written = self._insert(taken) if taken else 0
        self._prune(now or self._now())
        return written

    def read(self, db: Session, start: datetime, end: datetime) -> list[SampledRequest]:
        """The requests kept from `start` up to `end` (UTC instants), in time order."""
        c = _COLUMNS
        rows = db.execute(
            select(c.at, c.slots, c.keywords, c.category, c.query, c.skus, c.device, c.country, c.consent, c.user_hash)
            .where(c.at >= start, c.at < end)
            .order_by(c.at, c.id)
        )
        return [
            SampledRequest(
                at=at,
                slots=tuple(SlotRequest(str(p), int(n), int(floor)) for p, n, floor in slots),
                context=Context(
                    keywords=tuple(keywords),
                    category=category,
                    query=query,
                    skus=tuple(skus),
                    device=device,
                    country=country,
                ),
                consent=bool(consent),
                user_hash=user_hash,
            )
            for at, slots, keywords, category, query, skus, device, country, consent, user_hash in rows
        ]

    def _insert(self, taken: list[SampledRequest]) -> int:
        try:
            rows = [self._row(s) for s in taken]
            with session_scope(self._sessions) as db:
                for start in range(0, len(rows), INSERT_CHUNK):
                    db.execute(insert(_TABLE), rows[start : start + INSERT_CHUNK])
        except Exception:
            log.exception("sampled_requests_flush_failed", rows=len(taken))
            with self._lock:  # keep them for the next try, before what came since
                kept = taken + self._buffer
                over = len(kept) - self._max_buffered
                if over > 0:
                    self._dropped += over
                    kept = kept[: self._max_buffered]
                self._buffer = kept
            return 0
        return len(rows)

    def _prune(self, now: datetime) -> None:
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        try:
            with session_scope(self._sessions) as db:
                expired = delete(_TABLE).where(_COLUMNS.at < now - timedelta(days=RETENTION_DAYS))
                gone = cast(CursorResult[Any], db.execute(expired)).rowcount
        except Exception:
            log.exception("sampled_requests_prune_failed")
            return
        self._pruned_at = now
        if gone:
            log.info("sampled_requests_pruned", rows=gone, retention_days=RETENTION_DAYS)

    def _local_daypart(self, at: datetime) -> tuple[int, int]:
        """(weekday, hour) in the network's time zone; converted once per local hour."""
        stamp = at.timestamp()
        if not self._hour_start <= stamp < self._hour_start + 3600:
            local = at.astimezone(self._tz).replace(minute=0, second=0, microsecond=0)
            self._hour_start, self._daypart = local.timestamp(), (local.weekday(), local.hour)
        return self._daypart

    def _row(self, sampled: SampledRequest) -> dict[str, Any]:
        weekday, hour = self._local_daypart(sampled.at)
        ctx = sampled.context
        return {
            "at": sampled.at,
            "slots": [[_text(s.placement_id, 64), s.count, s.floor_micros] for s in sampled.slots],
            "keywords": [_text(k, 200) for k in ctx.keywords],
            "category": _clip(ctx.category, 300),
            "query": _clip(ctx.query, 500),
            "skus": [_text(s, 200) for s in ctx.skus],
            "device": _clip(ctx.device, 16),
            "country": _clip(ctx.country, 2),
            "consent": sampled.consent,
            "user_hash": sampled.user_hash,
            "weekday": weekday,
            "hour": hour,
        }


def _text(value: str, limit: int) -> str:
    """Within the column and storable everywhere: PostgreSQL refuses NUL in text and JSONB,
    and one refused row would hold back every batch after it. (The decision route bounds
    what it reads; an OpenRTB site category is not bounded.)"""
    return str(value).replace("\x00", "")[:limit]


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else _text(value, limit)

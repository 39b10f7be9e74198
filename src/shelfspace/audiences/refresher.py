"""Feeds a process's `AudienceIndex`: rules from SQL, events from the log, erasures.

Runs as a chore of the snapshot thread (every half second), or at fixed simulated times
in a replay. Each call:
1. when the catalogue version moved (an audience, a product or an erasure was written),
   reloads the live audiences, the products' brands and categories, and the erasures;
2. reads the event log past its position and hands new behaviour events and orders to
   the index;
3. every `REREAD_SECONDS`, reads the last `OVERLAP` positions again: PostgreSQL may commit
   a lower position after a higher one was read. The index keys facts by event, so a
   re-read costs a read and changes nothing else;
4. evaluates again the users one of whose facts has just left a window (`expire`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.audiences.membership import AudienceIndex, ProductFacts
from shelfspace.audiences.models import Audience, AudienceSize, ForgottenUser
from shelfspace.audiences.rules import RULE
from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.models import Product
from shelfspace.catalog.version import catalogue_version
from shelfspace.db.session import session_scope
from shelfspace.events.log import EventLog
from shelfspace.events.model import EventType

log = structlog.get_logger(__name__)

OVERLAP = 5_000
PAGE = 10_000
REREAD_SECONDS = 60.0
SIZES_SECONDS = 2.0
FED_BY = (EventType.BEHAVIOUR, EventType.CONVERSION)


class AudienceRefresher:
    def __init__(
        self,
        index: AudienceIndex,
        sessions: sessionmaker[Session],
        event_log: EventLog,
        now: Callable[[], datetime],
        overlap: int = OVERLAP,
    ) -> None:
        self.index, self.sessions, self.event_log, self.now = index, sessions, event_log, now
        self.overlap = overlap  # 0 for a log with one writer, whose positions come in order
        self._version = -1
        self._position = 0
        self._reread_at = 0.0
        self._written: dict[str, int] = {}
        self._sizes_at = float("-inf")

    def refresh(self) -> None:
        stamp = self.now().timestamp()
        self._reload_rules(stamp)
        try:
            self._advance(stamp)
        finally:
            self._write_sizes(stamp)

    def _advance(self, stamp: float) -> None:
        if self.overlap and stamp - self._reread_at >= REREAD_SECONDS:
            self._read_events(max(0, self._position - self.overlap), stamp)
            self._reread_at = stamp
        else:
            self._read_events(self._position, stamp)
        self.index.expire(stamp)

    def _write_sizes(self, stamp: float) -> None:
        """Sizes to SQL, for the API, the pages and line item checks in any process; only
        the changed ones, at most every `SIZES_SECONDS`. Every process counts the same log,
        so a row another process wrote meanwhile holds the same number."""
        sizes = self.index.sizes()
        changed = {aid: n for aid, n in sizes.items() if self._written.get(aid) != n}
        if not changed or stamp - self._sizes_at < SIZES_SECONDS:
            return
        when = datetime.fromtimestamp(stamp, UTC)
        try:
            with session_scope(self.sessions) as db:
                for aid, n in changed.items():
                    row = db.get(AudienceSize, aid)
                    targetable = n >= self.index.min_size
                    if row is None:
                        db.add(AudienceSize(audience_id=aid, size=n, targetable=targetable, counted_at=when))
                    else:
                        row.size, row.targetable, row.counted_at = n, targetable, when
        except IntegrityError:  # another process inserted the same count first
            return
        self._written.update(changed)
        self._sizes_at = stamp

    def _reload_rules(self, stamp: float) -> None:
        with session_scope(self.sessions) as db:
            version = catalogue_version(db)
            if version == self._version:
                return
            audiences = db.scalars(select(Audience).where(Audience.status == DeliveryStatus.LIVE)).all()
            rules = [(a.id, RULE.validate_python(a.rule)) for a in audiences]
            products = {
                sku: ProductFacts(brand, category)
                for sku, brand, category in db.execute(select(Product.sku, Product.brand, Product.category))
            }
            erased = {
                user: when.timestamp()
                for user, when in db.execute(select(ForgottenUser.user_id, ForgottenUser.forgotten_at))
            }
        self.index.set_audiences(rules, products, stamp)
        if erased:
            self.index.forget(erased, stamp)
        self._version = version
        log.info("audiences_loaded", audiences=len(rules), version=version, users=self.index.users)

    def _read_events(self, after: int, stamp: float) -> None:
        first = self._position == 0  # the whole log: stored first, then everyone evaluated once
        while True:
            batch = self.event_log.read(after=after, limit=PAGE, kinds=FED_BY)
            if batch:
                if first:
                    self.index.load(e for _, e in batch)
                else:
                    self.index.add_events((e for _, e in batch), stamp)
                after = batch[-1][0]
                self._position = max(self._position, after)
            if len(batch) < PAGE:
                break
        if first:
            self.index.evaluate_all(stamp)

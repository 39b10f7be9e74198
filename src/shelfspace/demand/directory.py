"""The live demand partners as plain frozen data, kept current for the decision path.

The decision path must not query SQL, so the live list is held in memory and reloaded by
the snapshot thread's chores (every 0.5 s) only when the catalogue version moved: every
partner write bumps it (see `service.py`), so a change serves within a second and an
idle poll costs one integer comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from shelfspace.db.session import session_scope
from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.demand.models import DemandPartner
from shelfspace.demand.notices import notice_domains
from shelfspace.demand.service import live_partners


@dataclass(frozen=True, slots=True)
class LivePartner:
    id: str
    name: str
    endpoint: str
    timeout_ms: int
    floor_micros: int
    placements: frozenset[str]  # empty: every placement
    notice_domains: frozenset[str] = frozenset()  # where its nurl/burl may go (demand/notices.py)

    def bids_on(self, placement_id: str) -> bool:
        return not self.placements or placement_id in self.placements

    @classmethod
    def of(cls, row: DemandPartner) -> LivePartner:
        return cls(
            row.id,
            row.name,
            row.endpoint,
            row.timeout_ms,
            row.floor_cpm_micros,
            frozenset(row.placements),
            notice_domains(row.endpoint, row.notice_domains),
        )


class PartnerDirectory:
    def __init__(self, sessions: sessionmaker[Session], snapshots: SnapshotHolder) -> None:
        self.sessions = sessions
        self.snapshots = snapshots
        self.partners: tuple[LivePartner, ...] = ()
        self._version: int | None = None

    def refresh(self, force: bool = False) -> bool:
        """Reload if the snapshot's catalogue version moved (or `force`); True if it did.

        The version is read before the partners: a change committed in between is loaded
        now and loaded again at the next version, never missed."""
        version = self.snapshots.snapshot.version if self.snapshots.ready else None
        if not force and version is not None and version == self._version:
            return False
        with session_scope(self.sessions) as db:
            self.partners = tuple(LivePartner.of(row) for row in live_partners(db))
        self._version = version
        return True

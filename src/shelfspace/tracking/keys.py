"""Tracking keys: created on first start, rotated by `shelfspace tracking-keys rotate`.

The newest key signs. Every key verifies, until a newer key has been signing for longer
than the longest URL lifetime: by then nothing it signed can still count, and rotation
drops it. A server signs with the newest key it loaded at start; when a URL names a key
it does not know (another process rotated), it reloads the keys, at most every few
seconds, so URLs signed by a newer process still count.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.core.clock import Clock
from shelfspace.db.session import session_scope
from shelfspace.tracking.models import TrackingKey
from shelfspace.tracking.signing import Signer


def _new_key(db: Session, now: datetime) -> TrackingKey:
    key = TrackingKey(id=f"k{secrets.token_hex(3)}", secret_hex=secrets.token_hex(32), created_at=now)
    db.add(key)
    db.flush()
    return key


def load_signer(db: Session, now: datetime) -> Signer:
    """The signer for this process; makes the first key on a new database."""
    keys = list(db.scalars(select(TrackingKey).order_by(TrackingKey.created_at)))
    if not keys:
        keys = [_new_key(db, now)]
    return Signer({k.id: bytes.fromhex(k.secret_hex) for k in keys}, signing_key=keys[-1].id)


def rotate(db: Session, now: datetime, longest_url_life: timedelta) -> tuple[TrackingKey, list[str]]:
    """Add a new signing key; drop keys that no URL still alive can carry. Returns the new
    key and the ids dropped. Running processes pick the new key up when they restart."""
    keys = list(db.scalars(select(TrackingKey).order_by(TrackingKey.created_at)))
    dropped = [old.id for old, newer in zip(keys, keys[1:], strict=False) if now - newer.created_at > longest_url_life]
    if dropped:
        db.execute(delete(TrackingKey).where(TrackingKey.id.in_(dropped)))
    return _new_key(db, now), dropped


RELOAD_SECONDS = 5.0


class KeyRing:
    """The process's signer, reloaded from the database when a URL names an unknown key."""

    signer: Signer  # set by `load`

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, *, load: bool = True) -> None:
        """`load=False` builds the ring without touching the database (the app builds it
        up front and calls `load` when it starts)."""
        self.sessions = sessions
        self.clock = clock
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        if load:
            self.load()

    def load(self) -> None:
        """Read the keys: the newest signs."""
        self.signer = self._load()

    def _load(self) -> Signer:
        with session_scope(self.sessions) as db:
            signer = load_signer(db, self.clock.now())
        self._loaded_at = time.monotonic()
        return signer

    def signer_at_hand(self, token: str) -> Signer | None:
        """`signer_for` without the database: None when it would reload the keys (a key this
        process does not know, not reloaded lately), which an async route then asks for in
        the thread pool."""
        signer = self.signer
        if token.split(".", 1)[0] in signer.keys or time.monotonic() - self._loaded_at < RELOAD_SECONDS:
            return signer
        return None

    def signer_for(self, token: str) -> Signer:
        key_id = token.split(".", 1)[0]
        if key_id in self.signer.keys:
            return self.signer
        with self._lock:
            if key_id not in self.signer.keys and time.monotonic() - self._loaded_at >= RELOAD_SECONDS:
                self.signer = self._reloaded()
        return self.signer

    def _reloaded(self) -> Signer:
        """The keys as stored now; keep signing with the key this process started with
        while it still exists (a restart moves to the newest)."""
        fresh = self._load()
        keep = self.signer.signing_key if self.signer.signing_key in fresh.keys else fresh.signing_key
        return Signer(fresh.keys, keep)

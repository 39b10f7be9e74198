"""The key that hashes user ids in the request sample.

The sample keeps a keyed hash of each user id, never the id, and a forecast matches
today's audiences to it by hashing their members with the same key. So the key must
outlive the 28 days a sample is kept: the tracking keys rotate (and rotation drops old
ones), this one does not. It never leaves the server's database; what it protects is only
the link between a hashed row and a user id, for someone reading the table without it.
Made on first use; processes starting together agree on the row that won the insert.
"""

from __future__ import annotations

import hmac
import secrets
import threading

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.db.session import session_scope
from shelfspace.forecasting.models import SampleKey

ROW = 1


class SampleKeyRing:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def digest(self, text: str) -> str:
        """A keyed digest of `text`: the same text, the same digest, for as long as the network runs."""
        key = self._key or self.load()
        return hmac.digest(key, text.encode(), "sha256")[:12].hex()

    def load(self) -> bytes:
        """Read the key (making it on a new database); the app does it at start."""
        with self._lock:
            if self._key is None:
                self._key = bytes.fromhex(self._read() or self._create())
            return self._key

    def _read(self) -> str | None:
        with session_scope(self._sessions) as db:
            row = db.get(SampleKey, ROW)
            return row.secret_hex if row is not None else None

    def _create(self) -> str:
        try:
            with session_scope(self._sessions) as db:
                db.add(SampleKey(id=ROW, secret_hex=secrets.token_hex(32)))
        except IntegrityError:  # another process made it first: theirs counts
            pass
        found = self._read()
        assert found is not None
        return found

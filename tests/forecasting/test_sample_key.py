"""The sample's key: one per network, the same for every process and across tracking-key
rotations, so a user's sampled requests link up for the 28 days they are kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.forecasting.models import SampleKey
from shelfspace.forecasting.sample_key import SampleKeyRing
from shelfspace.tracking.keys import load_signer, rotate
from tests.databases import empty_all_tables


def test_every_process_hashes_a_user_alike_and_rotating_tracking_keys_changes_nothing(engine: Engine) -> None:
    sessions = make_sessionmaker(engine)
    try:
        with ThreadPoolExecutor(4) as pool:  # processes starting together: one row wins
            digests = list(pool.map(lambda _: SampleKeyRing(sessions).digest("forecast-user.u-1"), range(4)))
        assert len(set(digests)) == 1 and "u-1" not in digests[0] and len(digests[0]) == 24
        with session_scope(sessions) as db:
            assert db.scalar(select(func.count()).select_from(SampleKey)) == 1
            load_signer(db, datetime.now(UTC))
            rotate(db, datetime.now(UTC) + timedelta(days=30), timedelta(days=1))
        assert SampleKeyRing(sessions).digest("forecast-user.u-1") == digests[0]
        assert SampleKeyRing(sessions).digest("forecast-user.u-2") != digests[0]
    finally:
        empty_all_tables(engine)

"""Fixtures for the dashboard's time-bound rules (sessions, throttles): the app on a clock
the test moves, so lifetimes and windows are crossed without sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.sim.clock import SteppedClock
from tests.databases import empty_all_tables

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(START)


@pytest.fixture
def app_client(engine: Engine, settings: Settings, clock: SteppedClock) -> Iterator[TestClient]:
    """The app on `clock`."""
    with TestClient(create_app(settings, engine, clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client
    empty_all_tables(engine)

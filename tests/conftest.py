"""Fixtures: each API test runs once on SQLite and once on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Principal, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.core.clock import Clock
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.databases import empty_all_tables, fresh_postgres, migrated_engine, sqlite_url
from tests.support import BROWSER_UA, Api

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = migrated_engine(sqlite_url(tmp_path_factory.mktemp("sqlite")))
        yield engine
        engine.dispose()
        return
    with fresh_postgres() as url:
        engine = migrated_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test")


@pytest.fixture
def app_clock() -> Clock | None:
    """The app's clock: the system's, unless a test module moves its own (a `SteppedClock`)."""
    return None


@pytest.fixture
def client(engine: Engine, settings: Settings, app_clock: Clock | None) -> Iterator[TestClient]:
    app = create_app(settings, engine, clock=app_clock)
    # A browser's user agent, as the pages and apps that call the tracking URLs send
    # (tracking/ivt.py counts no request without one); a test may send its own.
    with TestClient(app, raise_server_exceptions=False, headers={"User-Agent": BROWSER_UA}) as test_client:
        yield test_client
    empty_all_tables(engine)


def new_key(engine: Engine, role: Role, advertiser_id: str | None = None) -> str:
    with session_scope(make_sessionmaker(engine)) as db:
        _, secret = create_key(
            db, Principal("tests", Role.OPERATOR), ApiKeyCreate(role=role, advertiser_id=advertiser_id)
        )
    return secret


@pytest.fixture
def operator(client: TestClient, engine: Engine) -> Api:
    return Api(client, new_key(engine, Role.OPERATOR))


@pytest.fixture
def advertiser_api(operator: Api, engine: Engine) -> Api:
    """An advertiser key of a fresh advertiser, `Acme` (its id in `.advertiser_id`)."""
    advertiser = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    api = Api(operator.client, new_key(engine, Role.ADVERTISER, advertiser["id"]))
    api.advertiser_id = advertiser["id"]
    return api

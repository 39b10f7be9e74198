"""The sampled request log: what the decision routes keep for forecasts, drawn by user,
written in batches, read back as the engine takes it, and pruned after 28 days; on SQLite
and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from shelfspace.config import Settings, SettingsError, load_settings
from shelfspace.db.engine import make_engine
from shelfspace.db.migrate import upgrade
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.forecasting.models import SampledRequestRow
from shelfspace.forecasting.request_log import RequestLog
from shelfspace.forecasting.sample import RETENTION_DAYS, RequestSampler, SampledRequest, user_hash
from shelfspace.forecasting.sample_key import SampleKeyRing
from tests.databases import empty_all_tables, sqlite_url
from tests.support import HERO_ASK, Api, build_network, decide, decide_until, runtime

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def fake_pseudonym(text: str) -> str:
    """A keyed digest of the same shape as the signer's (24 hex digits)."""
    return hashlib.sha256(f"test-key.{text}".encode()).hexdigest()[:24]


def ask(user: str | None = None, placement: str = "home-hero", **context: object) -> DecisionRequest:
    return DecisionRequest((SlotRequest(placement, 1),), Context(**context), user, consent=user is not None)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test", request_sample_percent=100
    )


@pytest.fixture
def sessions(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """The test database's sessions, emptied afterwards."""
    yield make_sessionmaker(engine)
    empty_all_tables(engine)


def everything(log: RequestLog, engine: Engine) -> list[SampledRequest]:
    with session_scope(make_sessionmaker(engine)) as db:
        return log.read(db, *EVER)


# --- through the app ------------------------------------------------------------------------------


def test_every_decision_request_is_kept_at_100_percent(operator: Api, client: TestClient, engine: Engine) -> None:
    advertiser = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    build_network(operator, advertiser["id"])
    decide_until(operator, HERO_ASK, "home-hero", 1)  # the snapshot serves the network now
    rt = runtime(client)
    log = rt.opportunities.requests
    assert isinstance(log, RequestLog)
    assert (log.percent, log.weight) == (100, 1.0)
    rt.opportunities.flush()
    before = len(everything(log, engine))
    assert before >= 1

    decide(operator, HERO_ASK)
    decide(
        operator,
        {
            "placements": [{"id": "search-top", "count": 2}, {"id": "home-hero"}],
            "context": {
                "category": "outdoor/camping",
                "query": "two person tent",
                "skus": ["TENT-2P"],
                "device": "desktop",
            },
        },
    )
    assert (
        client.get("/v1/vast", params={"placement": "ctv-preroll", "user": "u-2", "device": "ctv"}).status_code == 200
    )
    rtb = {
        "id": "req-1",
        "imp": [{"id": "1", "tagid": "home-hero", "banner": {"format": [{"w": 300, "h": 250}]}}],
        "site": {"page": "https://shop.example/c/outdoor", "keywords": "tent,stove"},
        "user": {"buyeruid": "u-3"},
        "regs": {"gdpr": 0},
    }
    client.post("/openrtb2/auction", content=json.dumps(rtb).encode(), headers={"Content-Type": "text/plain"})
    rt.opportunities.flush()  # the fill-rate flush writes the sample too

    kept = everything(log, engine)[before:]
    assert len(kept) == 4
    hero, search, video, auction = kept
    keys = SampleKeyRing(rt.db_sessions)  # the network's one sample key, read from the database
    assert [s.placement_id for s in hero.slots] == ["home-hero"]
    assert hero.context == Context(keywords=("Tents",), country="VN", device="mobile")
    assert hero.consent is True
    assert hero.user_hash == user_hash(keys.digest, "u-1") and "u-1" not in hero.user_hash
    assert len(hero.user_hash) == 24
    assert hero.decision_request().user_id == hero.user_hash  # the engine replays the hash, never the id
    assert [(s.placement_id, s.count) for s in search.slots] == [("search-top", 2), ("home-hero", 1)]
    assert search.context == Context(
        category="outdoor/camping", query="two person tent", skus=("TENT-2P",), device="desktop"
    )
    assert (search.consent, search.user_hash) == (False, None)
    assert [s.placement_id for s in video.slots] == ["ctv-preroll"] and video.context.device == "ctv"
    assert video.user_hash == user_hash(keys.digest, "u-2")
    assert [s.placement_id for s in auction.slots] == ["home-hero"]
    assert auction.context.keywords == ("tent", "stove")
    assert auction.user_hash == user_hash(keys.digest, "u-3")
    assert hero.at <= search.at <= video.at <= auction.at and hero.at.tzinfo is not None


# --- the sampler --------------------------------------------------------------------------------


def test_a_sampled_user_keeps_all_of_their_requests_or_none() -> None:
    sampler = RequestSampler(50, fake_pseudonym, random.Random(1))
    outcomes = set()
    for n in range(200):
        user = f"user-{n}"
        kept = [sampler.sample(ask(user, keywords=(f"k{i}",)), NOW + timedelta(minutes=i)) for i in range(6)]
        whole = {k is not None for k in kept}
        assert len(whole) == 1, f"{user}: some of their requests kept, some not"
        outcomes |= whole
        for k in kept:
            assert k is None or k.user_hash == user_hash(fake_pseudonym, user) != user
    assert outcomes == {True, False}


@pytest.mark.parametrize("with_user", [True, False])
def test_the_kept_share_is_the_setting_within_a_binomial_bound(with_user: bool) -> None:
    n, percent = 20_000, 10
    sampler = RequestSampler(percent, fake_pseudonym, random.Random(20))
    kept = sum(sampler.sample(ask(f"shopper-{i}" if with_user else None), NOW) is not None for i in range(n))
    p = percent / 100
    assert abs(kept - n * p) < 5 * math.sqrt(n * p * (1 - p))  # 5 standard errors: 2,000 +- 212
    assert sampler.weight == 10.0


def test_the_setting_is_one_to_a_hundred_percent() -> None:
    assert Settings().request_sample_percent == 10
    for wrong in (0, 101):
        with pytest.raises(SettingsError, match="SHELFSPACE_REQUEST_SAMPLE_PERCENT"):
            load_settings(request_sample_percent=wrong)


def test_the_contract_names_the_share_as_a_fraction_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """/work/shared/api.md calls it SHELFSPACE_FORECAST_SAMPLE_RATE (0 < rate <= 1)."""
    monkeypatch.setenv("SHELFSPACE_FORECAST_SAMPLE_RATE", "0.25")
    assert Settings().request_sample_percent == 25
    for wrong in ("0", "1.5", "0.005"):
        monkeypatch.setenv("SHELFSPACE_FORECAST_SAMPLE_RATE", wrong)
        with pytest.raises(SettingsError, match="SHELFSPACE_FORECAST_SAMPLE_RATE"):
            load_settings()
    monkeypatch.setenv("SHELFSPACE_FORECAST_SAMPLE_RATE", "0.5")
    with pytest.raises(SettingsError, match="disagree"):
        load_settings(request_sample_percent=20)


# --- the log: writes, daypart, pruning, failures ---------------------------------------------------


def test_rows_carry_the_local_daypart_and_read_back_in_time_order(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    log = RequestLog(sessions, RequestSampler(100, fake_pseudonym), ZoneInfo("Asia/Ho_Chi_Minh"))
    sunday_evening = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)  # Monday 03:30 in Ho Chi Minh City (UTC+7)
    log.offer(ask("b", keywords=("late",)), sunday_evening + timedelta(seconds=1))
    log.offer(ask("a", placement="search-top", category="food", skus=("S-1",), country="VN"), sunday_evening)
    log.offer(ask(None, query="milk"), sunday_evening + timedelta(seconds=1))
    assert log.write_batch(now=sunday_evening) == 3
    with session_scope(make_sessionmaker(engine)) as db:
        dayparts = set(db.execute(select(SampledRequestRow.weekday, SampledRequestRow.hour)).all())
        assert dayparts == {(0, 3)}
        read = log.read(db, sunday_evening, sunday_evening + timedelta(seconds=1))  # the end is left out
        both = log.read(db, sunday_evening, sunday_evening + timedelta(seconds=2))
    assert [r.user_hash for r in read] == [user_hash(fake_pseudonym, "a")]
    first = read[0]
    assert first.slots == (SlotRequest("search-top", 1, 0),)
    assert first.context == Context(category="food", skus=("S-1",), country="VN")
    assert first.at == sunday_evening and first.consent is True
    assert [r.context for r in both[1:]] == [Context(keywords=("late",)), Context(query="milk")]  # same time: by id


def test_the_daypart_follows_local_hours_that_do_not_start_on_the_utc_hour(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    log = RequestLog(sessions, RequestSampler(100, fake_pseudonym), ZoneInfo("Asia/Kolkata"))  # UTC+5:30
    for minute in (29, 31, 89, 91):  # 02:59, 03:01, 03:59 and 04:01 in Kolkata
        log.offer(ask("a"), datetime(2026, 12, 6, 21, 0, tzinfo=UTC) + timedelta(minutes=minute))
    log.write_batch(now=NOW)
    with session_scope(sessions) as db:
        hours = db.execute(select(SampledRequestRow.weekday, SampledRequestRow.hour).order_by(SampledRequestRow.at))
        assert list(hours) == [(0, 2), (0, 3), (0, 3), (0, 4)]


def test_rows_older_than_the_retention_are_pruned_at_most_hourly(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    log = RequestLog(sessions, RequestSampler(100, fake_pseudonym), ZoneInfo("UTC"))
    retention = timedelta(days=RETENTION_DAYS)
    log.offer(ask("old", keywords=("old",)), NOW - retention - timedelta(minutes=1))
    log.offer(ask("edge", keywords=("edge",)), NOW - retention + timedelta(minutes=1))
    log.offer(ask("new", keywords=("new",)), NOW)
    log.write_batch(now=NOW)
    assert [r.context.keywords for r in everything(log, engine)] == [("edge",), ("new",)]

    log.offer(ask("old", keywords=("older",)), NOW - retention - timedelta(days=1))
    log.write_batch(now=NOW + timedelta(minutes=30))  # pruned half an hour ago: not again yet
    assert len(everything(log, engine)) == 3
    log.write_batch(now=NOW + timedelta(minutes=61))  # an hour on: "older" and, by now, "edge" go
    assert [r.context.keywords for r in everything(log, engine)] == [("new",)]


def test_a_failed_write_keeps_its_rows_for_the_next_try(tmp_path: Path) -> None:
    engine = make_engine(make_url(sqlite_url(tmp_path)))  # a fresh file, not migrated yet: no table
    log = RequestLog(make_sessionmaker(engine), RequestSampler(100, fake_pseudonym), ZoneInfo("UTC"))
    log.offer(ask("a"), NOW)
    with capture_logs() as logged:
        assert log.write_batch(now=NOW) == 0  # no raise
    assert any(e["event"] == "sampled_requests_flush_failed" for e in logged)
    log.offer(ask("b"), NOW + timedelta(seconds=1))
    upgrade(engine)
    assert log.write_batch(now=NOW) == 2
    assert [r.user_hash for r in everything(log, engine)] == [user_hash(fake_pseudonym, u) for u in ("a", "b")]
    engine.dispose()


def test_the_buffer_is_capped_and_the_dropped_are_counted(sessions: sessionmaker[Session], engine: Engine) -> None:
    log = RequestLog(sessions, RequestSampler(100, fake_pseudonym), ZoneInfo("UTC"), max_buffered=3)
    for i in range(5):
        log.offer(ask(f"u{i}"), NOW + timedelta(seconds=i))
    with capture_logs() as logged:
        assert log.write_batch(now=NOW) == 3
    assert [e["dropped"] for e in logged if e["event"] == "sampled_requests_dropped"] == [2]
    assert [r.user_hash for r in everything(log, engine)] == [user_hash(fake_pseudonym, f"u{i}") for i in range(3)]


def test_text_the_databases_would_refuse_is_clipped_not_fatal(sessions: sessionmaker[Session], engine: Engine) -> None:
    """An OpenRTB site category is not bounded, and PostgreSQL refuses NUL: one such row
    must not hold back the batch (and every batch after it)."""
    log = RequestLog(sessions, RequestSampler(100, fake_pseudonym), ZoneInfo("UTC"))
    log.offer(ask(None, category="c" * 1000, keywords=("a\x00b",), query="q\x00"), NOW)
    assert log.write_batch(now=NOW) == 1
    [row] = everything(log, engine)
    assert row.context == Context(category="c" * 300, keywords=("ab",), query="q")

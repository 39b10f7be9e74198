"""The traffic simulator: reproducible from its seed, realistic in its rates, clean in its traffic."""

from __future__ import annotations

import itertools
import random
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.app import create_app
from shelfspace.catalog.enums import AdFormat, Channel
from shelfspace.client import Shelfspace
from shelfspace.config import Settings
from shelfspace.core import ids
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.sim.clock import SteppedClock
from shelfspace.sim.demo_network import seed_demo_network
from shelfspace.sim.runs import Audience, replay_history
from shelfspace.sim.shop_view import ShopPlacement, ShopView
from shelfspace.sim.shoppers import make_shoppers
from shelfspace.sim.traffic import Outcome, Tally, Traffic
from shelfspace.sim.truth import TruthCheck, check_test_campaigns
from tests.databases import migrated_engine, sqlite_url
from tests.servers import free_port

# One whole day, Thursday 19 November, ending at a fixed instant: the same on every run.
UNTIL = datetime(2026, 11, 20, tzinfo=UTC)
DAY = date(2026, 11, 19)
AUDIENCE = Audience(shoppers=300, visits_per_day=400, seed=11)
DATABASE = "shelfspace.db"


@dataclass(frozen=True, slots=True)
class Replay:
    tally: Tally
    report: dict[str, Any]  # GET /v1/reports for the day, by hour
    key: str
    truth: list[TruthCheck]  # each test campaign's measured lift beside the simulator's truth
    brand_lift: list[dict[str, Any]]  # GET /v1/brand-lift-studies


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo network, seeded once: every replay starts from a copy of the same database,
    so the two runs compared hold the very same objects, ids included.

    The ids come from a fixed source as well. Holdout groups are a hash of the campaign id,
    so with the usual clock-and-random ids every test run replayed a slightly different
    week: one run in a few dozen saw a single click where others saw seven."""
    folder = tmp_path_factory.mktemp("seeded")
    engine = migrated_engine(sqlite_url(folder))
    ticks = itertools.count(int(UNTIL.timestamp()) * 1000)  # one millisecond per id
    with ids.drawn_from(ids.IdSource(lambda: next(ticks), random.Random(5))):
        with session_scope(make_sessionmaker(engine)) as db:
            seed_demo_network(db, UNTIL - timedelta(days=3), read_at=UNTIL)
            _, key = create_key(db, SYSTEM, ApiKeyCreate(role=Role.OPERATOR))
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return folder, key


def replay(seeded: tuple[Path, str], folder: Path) -> Replay:
    """A fresh app on a fresh copy of the network, the day replayed, then the report read
    through the API as any client would."""
    source, key = seeded
    folder.mkdir()
    for part in source.glob(f"{DATABASE}*"):
        shutil.copy(part, folder / part.name)
    engine = migrated_engine(sqlite_url(folder))
    settings = Settings(data_dir=folder / "data")
    tally = replay_history(settings, engine, key, 1, AUDIENCE, until=UNTIL)
    truth = check_test_campaigns(settings, engine, tally, UNTIL)
    with TestClient(create_app(settings, engine, clock=SteppedClock(UNTIL))) as client:
        auth = {"Authorization": f"Bearer {key}"}
        answer = client.get(
            "/v1/reports", params={"from": DAY.isoformat(), "to": DAY.isoformat(), "group_by": "hour"}, headers=auth
        )
        studies = client.get("/v1/brand-lift-studies", headers=auth)
    engine.dispose()
    assert answer.status_code == 200, answer.text
    assert studies.status_code == 200, studies.text
    return Replay(tally, answer.json(), key, truth, studies.json()["data"])


@pytest.fixture(scope="module")
def first(seeded: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Replay:
    return replay(seeded, tmp_path_factory.mktemp("first") / "run")


def test_the_same_seed_sends_the_same_shoppers_and_gets_the_same_report(
    seeded: tuple[Path, str], first: Replay, tmp_path: Path
) -> None:
    second = replay(seeded, tmp_path / "second")
    assert second.tally.counts == first.tally.counts  # decisions, ads, impressions, views, clicks, orders
    assert second.report["totals"] == first.report["totals"]  # spend, conversions, revenue, reach...
    assert second.report["rows"] == first.report["rows"]


def test_a_day_of_shoppers_reads_like_a_shops_day(first: Replay) -> None:
    tally, totals = first.tally, first.report["totals"]
    assert tally.errors == {} and tally.counts[Outcome.ERRORS] == 0, tally.errors
    assert totals["impressions"] == tally.counts[Outcome.IMPRESSIONS] > 500
    assert totals["clicks"] == tally.counts[Outcome.CLICKS] > 0
    ctr = float(totals["ctr"])
    assert 0.003 < ctr < 0.02, ctr  # banners, video and sponsored products together: a retail network's range
    assert totals["viewable_impressions"] < totals["impressions"]
    assert totals["conversions"] > 0 and float(totals["revenue"]) > 0 and float(totals["spend"]) > 0
    invalid = first.report["disclosure"]["invalid_traffic"]
    assert invalid["impressions"]["invalid"] == 0 and invalid["clicks"]["invalid"] == 0  # browsers, not bots
    by_hour = {int(row["hour"][11:13]): row["impressions"] for row in first.report["rows"]}  # "2026-11-19T18:00"
    evening, night = sum(by_hour.get(h, 0) for h in (18, 19, 20)), sum(by_hour.get(h, 0) for h in (2, 3, 4))
    assert evening > 3 * night, by_hour  # shoppers come in the evening, not at night


def test_the_test_campaign_is_read_when_the_replay_ends_and_claims_no_more_than_it_can(first: Replay) -> None:
    """The simulator knows which orders each ad caused; the holdout study only estimates
    them, once, at its read date (here the end of the replay). One replayed day leaves the
    study below its minimum sample, and the check says so instead of showing an interval
    (the demo's week is enough: its line in the README holds the truth)."""
    assert [check.campaign for check in first.truth] == ["Brightbean launch"]
    check = first.truth[0]
    if check.interval is None:
        assert check.unread == "too few shoppers to read a lift", check.line()
        assert check.line().endswith("no interval: too few shoppers to read a lift")
    else:
        assert check.covered and "the truth is inside the interval" in check.line(), check.line()


def test_every_survey_answer_the_shoppers_gave_is_in_the_brand_lift_results(first: Replay) -> None:
    [study] = first.brand_lift
    results = study["results"]
    answered = first.tally.brand_answers[study["id"]]
    assert answered == first.tally.counts[Outcome.SURVEY_ANSWERS] > 0
    assert results["exposed"]["responses"] + results["control"]["responses"] == answered
    # Only shoppers the campaign met (or would have) are asked: treatment users who saw it
    # and control users with a ghost; both groups answer.
    assert results["exposed"]["responses"] > 0 and results["control"]["responses"] > 0


def test_a_server_that_does_not_answer_is_counted_never_hidden() -> None:
    shop = ShopView([ShopPlacement("home-hero", Channel.WEB, AdFormat.BANNER, 1)], [], {}, {})
    rng = random.Random(3)
    with Shelfspace(f"http://127.0.0.1:{free_port()}", "no-key", timeout=1) as nobody:
        traffic = Traffic(nobody, shop, make_shoppers(rng, 20, []), rng, wait=lambda when: None)
        start = datetime(2026, 11, 19, tzinfo=UTC)
        traffic.plan_window(start, start + timedelta(hours=1), visits=10)
        traffic.run_until(start + timedelta(hours=2))
    tally = traffic.tally
    assert tally.counts[Outcome.DECISIONS] == 0
    assert tally.counts[Outcome.ERRORS] > 0
    assert set(tally.errors) == {"POST /v1/decisions unanswered (ConnectError)"}, tally.errors
    assert sum(tally.errors.values()) == tally.counts[Outcome.ERRORS]

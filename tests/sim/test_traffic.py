"""The traffic simulator: reproducible from its seed, realistic in its rates, clean in its traffic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.reporting.report import ReportQuery, build_report
from shelfspace.sim.demo_network import seed_demo_network
from shelfspace.sim.runs import Audience, replay_history
from shelfspace.sim.traffic import Outcome, Tally
from tests.databases import migrated_engine, sqlite_url

# Two whole days and a morning, ending at a fixed instant: the same on every run.
UNTIL = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
AUDIENCE = Audience(shoppers=300, visits_per_day=150, seed=11)


def _replay(folder: Path) -> tuple[Tally, dict[str, object], Engine]:
    engine = migrated_engine(sqlite_url(folder))
    settings = Settings(data_dir=folder / "data")
    with session_scope(make_sessionmaker(engine)) as db:
        seed_demo_network(db, UNTIL - timedelta(days=3))
        _, key = create_key(db, SYSTEM, ApiKeyCreate(role=Role.OPERATOR))
    tally = replay_history(settings, engine, key, 2, AUDIENCE, until=UNTIL)
    with session_scope(make_sessionmaker(engine)) as db:
        report = build_report(db, ReportQuery((UNTIL - timedelta(days=2)).date(), UNTIL.date(), ()),
                              _windows(), "UTC")
    return tally, report.totals | {"disclosure": report.disclosure}, engine


def _windows():  # type: ignore[no-untyped-def]
    from shelfspace.measurement.attribution import Windows

    return Windows(14, 1)


def test_the_same_seed_sends_the_same_shoppers_and_the_reports_read_like_a_shop(tmp_path: Path) -> None:
    first, report, engine = _replay(tmp_path / "a")
    second, again, _ = _replay(tmp_path / "b")
    # The planned visits follow the seed exactly: the same pages asked for, the same baskets.
    assert first.counts[Outcome.DECISIONS] == second.counts[Outcome.DECISIONS]
    organic = [t.counts[Outcome.ORDERS] - t.counts[Outcome.AD_ORDERS] for t in (first, second)]
    assert organic[0] == organic[1]
    # The server's answers nearly do: the auction is seeded and the clock stepped, but the
    # snapshot is rebuilt by a background thread on the wall clock, so a line item may
    # start a few simulated minutes apart between runs.
    for outcome in (Outcome.ADS, Outcome.IMPRESSIONS):
        assert abs(first.counts[outcome] - second.counts[outcome]) <= 0.25 * first.counts[outcome], outcome

    assert first.errors == {} and first.counts[Outcome.ERRORS] == 0, first.errors
    assert report["impressions"] == first.counts[Outcome.IMPRESSIONS] > 500
    assert report["clicks"] == first.counts[Outcome.CLICKS] > 0
    ctr = float(report["ctr"])  # type: ignore[arg-type]
    assert 0.002 < ctr < 0.03, ctr  # display and sponsored products together: a shop's range
    assert report["conversions"] > 0 and report["revenue"] > 0
    invalid = report["disclosure"]["invalid_traffic"]  # type: ignore[index]
    assert invalid["impressions"]["invalid"] == 0 and invalid["clicks"]["invalid"] == 0  # browsers, not bots
    engine.dispose()

"""The study log: marks merge per (campaign, user), stay readable until their write
commits, and survive a failed write."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.db.session import make_sessionmaker
from shelfspace.decisioning.holdout import StudyGroup, StudyMark
from shelfspace.measurement.models import LiftStudyUser
from shelfspace.measurement.study_log import StudyLog
from tests.databases import migrated_engine, sqlite_url


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    return make_sessionmaker(migrated_engine(sqlite_url(tmp_path)))


def mark(campaign: str, user: str, time: float, exposed: bool, group: StudyGroup = StudyGroup.TREATMENT) -> StudyMark:
    return StudyMark(campaign, user, group, time, exposed)


def stored(sessions: sessionmaker[Session]) -> dict[tuple[str, str], tuple[str, float, float | None, int]]:
    with sessions() as db:
        return {
            (r.campaign_id, r.user_id): (r.study_group, r.eligible_at, r.exposed_at, r.exposures)
            for r in db.scalars(select(LiftStudyUser))
        }


def test_marks_merge_and_are_readable_before_and_after_they_are_written(sessions: sessionmaker[Session]) -> None:
    log = StudyLog(sessions)
    log.note([mark("cmp_a", "u1", 20.0, False), mark("cmp_b", "u1", 21.0, True, StudyGroup.CONTROL)])
    log.note([mark("cmp_a", "u1", 30.0, True), mark("cmp_a", "u1", 25.0, True), mark("cmp_a", "u2", 26.0, False)])
    # Exposed (or a ghost) and not yet written: a survey in this process already finds them.
    assert log.unwritten_exposures("u1") == {"cmp_a": StudyGroup.TREATMENT, "cmp_b": StudyGroup.CONTROL}
    assert log.unwritten_exposures("u2") == {}  # eligible only: nothing to ask about
    assert log.flush() == 3
    assert log.unwritten_exposures("u1") == {}
    assert stored(sessions) == {
        ("cmp_a", "u1"): ("treatment", 20.0, 25.0, 2),
        ("cmp_b", "u1"): ("control", 21.0, 21.0, 1),
        ("cmp_a", "u2"): ("treatment", 26.0, None, 0),
    }
    log.note([mark("cmp_a", "u1", 10.0, True), mark("cmp_a", "u2", 40.0, True)])
    assert log.flush() == 2  # a second batch merges with the rows: earliest times, exposures added
    assert stored(sessions)[("cmp_a", "u1")] == ("treatment", 10.0, 10.0, 3)
    assert stored(sessions)[("cmp_a", "u2")] == ("treatment", 26.0, 40.0, 1)


def test_a_failed_write_keeps_the_marks_for_the_next_flush(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    log = StudyLog(sessions)
    log.note([mark("cmp_a", "u1", 20.0, True)])

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("database away")

    with monkeypatch.context() as patch:
        patch.setattr("shelfspace.measurement.study_log.session_scope", down)
        assert log.flush() == 0
    assert log.unwritten_exposures("u1") == {"cmp_a": StudyGroup.TREATMENT}  # still readable
    log.note([mark("cmp_a", "u1", 15.0, True)])
    assert log.flush() == 1
    assert stored(sessions) == {("cmp_a", "u1"): ("treatment", 15.0, 15.0, 2)}

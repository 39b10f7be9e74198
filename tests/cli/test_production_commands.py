"""The production commands refuse what would go wrong, with a message saying why."""

from __future__ import annotations

from pathlib import Path

from tests.servers import base_env, shelfspace


def test_several_processes_need_redis(tmp_path: Path) -> None:
    ran = shelfspace("serve", "--workers", "2", env=base_env(tmp_path))
    assert ran.returncode == 2 and "SHELFSPACE_REDIS_URL" in ran.stderr


def test_the_worker_needs_production_mode(tmp_path: Path) -> None:
    ran = shelfspace("worker", env=base_env(tmp_path))
    assert ran.returncode == 2 and "SHELFSPACE_REDIS_URL" in ran.stderr


def test_redis_without_postgresql_is_refused_at_start(tmp_path: Path) -> None:
    ran = shelfspace("serve", env=base_env(tmp_path, SHELFSPACE_REDIS_URL="redis://127.0.0.1:6379/0"))
    assert ran.returncode == 2
    assert "SHELFSPACE_DATABASE_URL to be a postgresql:// URL" in ran.stderr


def test_archive_writes_a_days_events_and_names_a_bad_day(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    ran = shelfspace("archive", "--day", "2026-11-24", env=env)
    assert ran.returncode == 0, ran.stderr
    assert "0 events of 2026-11-24 archived" in ran.stderr
    assert (tmp_path / "archive" / "events-2026-11-24.parquet").exists()
    bad = shelfspace("archive", "--day", "yesterday", env=env)
    assert bad.returncode == 2 and "--day" in bad.stderr

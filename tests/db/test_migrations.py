"""Migrations: one set of scripts builds the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from shelfspace.db.migrate import current_revision, head_revision, is_up_to_date, upgrade
from shelfspace.tables import target_metadata
from tests.databases import migrated_engine, sqlite_url


def test_models_and_migrations_agree(engine: Engine) -> None:
    """A model changed without a migration shows up here, on each database."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, target_metadata) == []
    assert is_up_to_date(engine)


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = migrated_engine(sqlite_url(tmp_path))
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "shelfspace.db").exists()
    engine.dispose()

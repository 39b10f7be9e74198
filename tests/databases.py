"""The test databases: an SQLite file, and a fresh PostgreSQL database per run.

PostgreSQL tests use the real server (SHELFSPACE_TEST_POSTGRES, default
127.0.0.1:5432 as user postgres). Without it they skip with a message on a laptop, and
fail the run when CI=true: CI must prove the production database works.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from shelfspace.db.engine import make_engine
from shelfspace.db.migrate import upgrade
from shelfspace.tables import target_metadata

POSTGRES_ADMIN_URL = os.environ.get("SHELFSPACE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(message: str, hint: str = "") -> NoReturn:
    """A service or tool the test needs is absent: skip with the message on a laptop, fail
    the run when CI=true (CI must prove the real thing works)."""
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(f"{message}{'; ' + hint if hint else ''}")


def postgres_unavailable(reason: str) -> NoReturn:
    missing(
        f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} is not reachable ({reason})",
        "set SHELFSPACE_TEST_POSTGRES or start PostgreSQL to run these tests",
    )


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """Create an empty database for this run and drop it afterwards; yields its URL."""
    import psycopg

    admin = make_url(POSTGRES_ADMIN_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"shelfspace_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        postgres_unavailable(str(exc).strip().splitlines()[0])
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_engine(url: str) -> Engine:
    engine = make_engine(make_url(url))
    upgrade(engine)
    return engine


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'shelfspace.db'}"


def empty_all_tables(engine: Engine) -> None:
    """Between tests: every row gone, the schema kept (much faster than re-migrating)."""
    tables = [t.name for t in reversed(target_metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # The ledger's append-only triggers refuse DELETE: set aside while emptying.
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            for _, sql in triggers:
                conn.execute(text(sql))

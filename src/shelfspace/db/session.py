"""Sessions: services flush, the request (or job) scope commits.

`session_scope` is the one unit of work: it commits when the block ends without an
error and rolls back otherwise, so a failed request leaves nothing half written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: responses are built from objects after the commit.
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

"""Alembic environment: runs on the engine handed over by `shelfspace.db.migrate`."""

from __future__ import annotations

from alembic import context

from shelfspace.tables import target_metadata

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode makes that automatic.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()

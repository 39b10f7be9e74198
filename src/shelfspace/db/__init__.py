"""Storage: one SQLAlchemy engine, request-scoped sessions, Alembic migrations."""

"""One module per catalogue resource, each with the same five verbs.

`create`, `get`, `update`, `archive` and `query` take the session and the caller first;
they flush, never commit (the request scope commits), and record the audit entry in the
same transaction. The routes in `shelfspace.catalog.api` are generated from this shape.
"""

# Registers the listener that bumps the catalogue's version on every catalogue write.
from shelfspace.catalog import version as _version  # noqa: E402, F401

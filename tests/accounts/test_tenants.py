"""accounts/tenants.py reads the advertisers table through a table clause of its own (the
ORM class is the catalogue's, above accounts): it names real columns of that table."""

from __future__ import annotations

from shelfspace.accounts.tenants import ADVERTISERS
from shelfspace.catalog.models import Advertiser


def test_the_clause_names_the_models_columns() -> None:
    table = Advertiser.__table__
    assert ADVERTISERS.name == table.name
    for column in ADVERTISERS.columns:
        assert column.name in table.columns, column.name

"""The demo shoppers' contact data exports whole: every e-mail and every phone normalises."""

from __future__ import annotations

import random

from shelfspace.audiences.offsite import Contact, Platform, export_file
from shelfspace.sim.runs import identities_of
from shelfspace.sim.shoppers import make_shoppers


def test_every_demo_contact_normalises_for_every_platform() -> None:
    users = identities_of(make_shoppers(random.Random(3), 300, ["dairy/milk", "bakery/bread"]))
    contacts = [Contact(u["email"], u.get("phone")) for u in users]
    assert sum(1 for c in contacts if c.phone) == 100
    for platform in Platform:
        exported = export_file(platform, contacts, "US")
        assert (exported.rows, exported.skipped, exported.invalid_identifiers) == (300, 0, 0)

"""How a line item's audiences are checked: by the audiences package, handed in.

A line item may target only live segments its brand can see and that are big enough
(audiences/service.py `check_targeting`). The audiences package stands above the
catalogue (its rules read products, its index the catalogue version), so the catalogue
cannot call it: `line_items.create` and `update` take the check as an argument. The app
puts audiences' check on the Runtime (`audience_check`) for routes and pages; code above
the audiences package (the forecast's proposals, the demo's seeding) passes it itself.
There is no default: a caller that forgot it would let any audience through, or refuse
every one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy.orm import Session


class AudienceCheck(Protocol):
    """Refuses, with InvalidInput on `field`, audiences this advertiser may not target;
    returns None when all of them may be (and at once for none)."""

    def __call__(self, db: Session, advertiser_id: str, audience_ids: Iterable[str], field: str) -> None: ...

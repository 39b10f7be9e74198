"""The audit log: every change to the catalogue or to access, by whom, field by field.

Each entry also names the brand its object belongs to (`advertiser_id`; None for the
network's own objects: placements, products, demand partners), so a brand reads the
history of its own campaigns, creatives and people whoever changed them, the operator
included. A service writing about a brand's object passes its owner; left out, the
caller's own brand is taken, which is right for a brand's own changes and for the
network's objects changed by the operator.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy.orm import Session

from shelfspace.accounts.models import AuditEntry
from shelfspace.accounts.roles import Principal


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    REVIEW = "review"
    IMPORT = "import"
    REVOKE = "revoke"
    EXPORT = "export"  # an audience's contacts sent offsite
    ERASE = "erase"  # a data subject's request: their data deleted
    COPY = "copy"  # made as a copy of another (catalog/duplicate.py): what from


class _Owner(enum.Enum):
    """`record`'s default owner: the caller's own brand (None for the operator)."""

    CALLERS = "the caller's own brand"


def _plain(value: Any) -> Any:
    """Audit values as JSON-safe text and numbers, whatever type the column holds."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def record(
    db: Session,
    by: Principal,
    action: AuditAction,
    object_type: str,
    object_id: str,
    changes: dict[str, Any] | None = None,
    *,
    advertiser_id: str | None | Literal[_Owner.CALLERS] = _Owner.CALLERS,
) -> None:
    """Add an entry to the caller's transaction: it commits or rolls back with the change.
    `advertiser_id`: the brand the object belongs to (None: the network's)."""
    db.add(
        AuditEntry(
            actor=by.actor,
            action=action.value,
            object_type=object_type,
            object_id=object_id,
            changes=_plain(changes or {}),
            advertiser_id=by.advertiser_id if advertiser_id is _Owner.CALLERS else advertiser_id,
        )
    )

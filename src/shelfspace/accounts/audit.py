"""The audit log: every change to the catalogue or to access, by whom, field by field."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

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
) -> None:
    """Add an entry to the caller's transaction: it commits or rolls back with the change."""
    db.add(
        AuditEntry(
            actor=by.actor,
            action=action.value,
            object_type=object_type,
            object_id=object_id,
            changes=_plain(changes or {}),
        )
    )

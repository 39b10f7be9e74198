"""Tenancy and change tracking shared by every catalogue service.

An advertiser sees its own objects only; anything else is "not found", so a key can never
learn that another brand's campaign exists. Operators see the whole network.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.core.errors import Conflict, FieldProblem, InvalidInput, NotFound


class Owned(Protocol):
    """A model an advertiser owns."""

    @property
    def advertiser_id(self) -> str: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


def only_visible(stmt: Select[Any], column: Any, by: Principal) -> Select[Any]:
    """Restrict a list query to the caller's advertiser unless it is an operator."""
    return stmt if by.is_operator else stmt.where(column == by.advertiser_id)


def get_visible(db: Session, model: type[OwnedT], object_id: str, by: Principal, label: str) -> OwnedT:
    obj = db.get(model, object_id)
    if obj is None or not by.owns(obj.advertiser_id):
        raise NotFound(f"no {label} {object_id!r}")
    return obj


def owner_for_new(db: Session, by: Principal, given: str | None) -> str:
    """The advertiser a new object belongs to, checked against the caller.

    An operator names it; an advertiser key may omit it (its own) or name its own. Another
    advertiser's id reads as unknown, exactly like an id that does not exist.
    """
    if by.is_operator:
        if not given:
            raise InvalidInput.on("advertiser_id", "required with an operator key")
        advertiser_id = given
    else:
        advertiser_id = given or by.advertiser_id or ""
        if advertiser_id != by.advertiser_id:
            raise InvalidInput.on("advertiser_id", f"no advertiser {advertiser_id!r}")
    advertiser = db.get(Advertiser, advertiser_id)
    if advertiser is None:
        raise InvalidInput.on("advertiser_id", f"no advertiser {advertiser_id!r}")
    if advertiser.status is AdvertiserStatus.ARCHIVED:
        raise InvalidInput.on("advertiser_id", f"advertiser {advertiser_id!r} is archived")
    return advertiser_id


def refuse_if_archived(archived: bool, label: str, object_id: str) -> None:
    if archived:
        raise Conflict(f"{label} {object_id!r} is archived and can no longer change")


def changed_fields(spec: BaseModel) -> dict[str, Any]:
    """The fields a PATCH named, with their new values (None clears a nullable field)."""
    return {name: getattr(spec, name) for name in spec.model_fields_set}


def require_present(changes: dict[str, Any], *fields: str) -> None:
    """A PATCH may not null a field that must always have a value."""
    nulled = [f for f in fields if f in changes and changes[f] is None]
    if nulled:
        raise InvalidInput.collect([FieldProblem(f, "cannot be null") for f in nulled])


def apply(obj: object, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set attributes; return `{field: [old, new]}` for the ones that really changed."""
    diff: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            diff[name] = [old, new]
    return diff


def archive_status(
    db: Session, by: Principal, obj: Any, kind: str, archived: StrEnum, *, advertiser_id: str | None = None
) -> None:
    """Archive an object whose `status` says so; archiving twice records nothing new.
    `advertiser_id`: the brand the object belongs to, for its audit entry (None: the network's)."""
    if obj.status is not archived:
        obj.status = archived
        record(db, by, AuditAction.ARCHIVE, kind, obj.id, advertiser_id=advertiser_id)
    db.flush()

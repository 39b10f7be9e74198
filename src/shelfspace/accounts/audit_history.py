"""Reading the audit log: who changed what and when, filtered, and only what the reader may see.

The operator reads the whole network's history; a brand only the entries about its own
objects (`AuditEntry.advertiser_id`, accounts/audit.py), whoever made them. Filters narrow
that set and never widen it: a brand asking for another brand's object id finds nothing.
Days are the network's local days, as reports count them (`from` and `to` both included).

The API filters by the raw actor (`user:usr_…`, `key:key_…`, `system`); the pages by what a
person types, an e-mail or a key's name (`who`), matched here in SQL so that paging stays a
keyset over the log, however long it grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, func, literal, not_, or_, select

from shelfspace.accounts.audit import AuditAction
from shelfspace.accounts.models import ApiKey, AuditEntry, User
from shelfspace.accounts.rights import Right
from shelfspace.accounts.roles import Principal
from shelfspace.core.errors import InvalidInput

MAX_WHO = 100  # the `who` text, at most
NETWORK_WORD = "shelfspace"  # typed in `who`: the changes Shelfspace itself made (or, to a brand, its staff)


class ActorPrefix(StrEnum):
    """How `Principal.actor` names a person and a key; any other actor is Shelfspace itself."""

    USER = "user:"
    KEY = "key:"


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """What a reader asks of the log; None or empty: no filter."""

    actor: str | None = None  # exact, as stored
    who: str | None = None  # a person's e-mail or a key's name, or a part of one
    action: AuditAction | None = None
    object_type: str | None = None
    object_id: str | None = None
    start: date | None = None  # the network's local days, both included
    end: date | None = None


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first moment of a local day, in UTC (as the log stores times)."""
    return datetime.combine(day, time(), tz).astimezone(UTC)


def check_days(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidInput.on("to", "must not be before `from`")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _own_actors(advertiser_id: str) -> tuple[Select[str], Select[str]]:
    """The actor names of a brand's people and of its keys, as subqueries."""
    people = select(literal(ActorPrefix.USER.value) + User.id).where(User.advertiser_id == advertiser_id)
    keys = select(literal(ActorPrefix.KEY.value) + ApiKey.id).where(ApiKey.advertiser_id == advertiser_id)
    return people, keys


def who_matches(who: str, brand: str | None) -> ColumnElement[bool]:
    """Entries made by a person whose e-mail, or a key whose name, holds `who` (case ignored).
    On a brand's history (`brand`) only its own people and keys are looked up: the operator's
    staff read as Shelfspace there, and typing "Shelfspace" finds them."""
    needle = who.strip().casefold()[:MAX_WHO]
    pattern = _like(needle)
    people = select(literal(ActorPrefix.USER.value) + User.id).where(func.lower(User.email).like(pattern, escape="\\"))
    keys = select(literal(ActorPrefix.KEY.value) + ApiKey.id).where(func.lower(ApiKey.name).like(pattern, escape="\\"))
    if brand is not None:
        people, keys = people.where(User.advertiser_id == brand), keys.where(ApiKey.advertiser_id == brand)
    found = [AuditEntry.actor.in_(people), AuditEntry.actor.in_(keys), AuditEntry.actor == who.strip()]
    if needle == NETWORK_WORD:
        if brand is None:
            found.append(
                and_(
                    not_(AuditEntry.actor.startswith(ActorPrefix.USER.value)),
                    not_(AuditEntry.actor.startswith(ActorPrefix.KEY.value)),
                )
            )
        else:
            own_people, own_keys = _own_actors(brand)
            found.append(and_(AuditEntry.actor.not_in(own_people), AuditEntry.actor.not_in(own_keys)))
    return or_(*found)


def history_query(by: Principal, filters: AuditFilters, tz: ZoneInfo) -> Select[AuditEntry]:
    """The entries `by` may read that pass `filters`, unordered (the caller pages them)."""
    by.require(Right.AUDIT, "read the audit history")
    check_days(filters.start, filters.end)
    stmt = select(AuditEntry)
    brand = None if by.is_operator else by.advertiser_id
    if not by.is_operator:
        stmt = stmt.where(AuditEntry.advertiser_id == by.advertiser_id if by.advertiser_id else false())
    if filters.actor:
        stmt = stmt.where(AuditEntry.actor == filters.actor)
    if filters.who and filters.who.strip():
        stmt = stmt.where(who_matches(filters.who, brand))
    if filters.action is not None:
        stmt = stmt.where(AuditEntry.action == filters.action.value)
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(AuditEntry.object_id == filters.object_id)
    if filters.start is not None:
        stmt = stmt.where(AuditEntry.at >= day_start(filters.start, tz))
    if filters.end is not None:
        stmt = stmt.where(AuditEntry.at < day_start(filters.end + timedelta(days=1), tz))
    return stmt


def object_types(by: Principal) -> Select[str]:
    """The kinds of object the reader's history holds, for a page's menu."""
    by.require(Right.AUDIT, "read the audit history")
    stmt = select(AuditEntry.object_type).distinct()
    if not by.is_operator:
        stmt = stmt.where(AuditEntry.advertiser_id == by.advertiser_id if by.advertiser_id else false())
    return stmt.order_by(AuditEntry.object_type)

"""Audit entries in words a person reads: who (an e-mail, "API key NAME", Shelfspace), what,
which object (named and linked to its page where it has one) and the changes, field by field.

The log stores ids and raw values (accounts/audit.py); this module looks the names up for a
whole page at once (one query per kind of object) and never shows a raw id alone. On a
brand's history the operator's people and keys read as "Shelfspace staff" and "Shelfspace":
a brand learns what changed on its objects, not who is who on the operator's team.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from shelfspace.accounts.audit import AuditAction
from shelfspace.accounts.audit_history import ActorPrefix
from shelfspace.accounts.models import ApiKey, AuditEntry, User
from shelfspace.audiences.models import Audience
from shelfspace.billing.models import Invoice
from shelfspace.catalog.models import Advertiser, Campaign, LineItem, Placement
from shelfspace.core.money import MICROS_PER_UNIT
from shelfspace.dashboard.local_times import when_text

NETWORK = "Shelfspace"
STAFF = "Shelfspace staff"
MAX_VALUE = 80  # characters of one value shown, at most
MAX_CREATED = 6  # fields listed for a new object; the rest are counted
MAX_LIST = 5  # items of a list value shown; the rest are counted
BRAND_FIELD = "advertiser_id"  # a change naming a brand by id: shown by its name
# The fields a new object is recognised by come first; the others follow by name (PostgreSQL
# does not keep a JSON document's order, so the log's order cannot be the page's).
FIRST_FIELDS = (
    "name",
    "email",
    "title",
    "number",
    BRAND_FIELD,
    "role",
    "team_role",
    "status",
    "budget_total",
    "start",
    "end",
    "amount_micros",
    "kind",
)


class ObjectKind(StrEnum):
    """The kinds of object the services audit (their `KIND`); others read by their own name."""

    ADVERTISER = "advertiser"
    CAMPAIGN = "campaign"
    LINE_ITEM = "line_item"
    CREATIVE = "creative"
    AUDIENCE = "audience"
    USER = "user"
    USER_SESSIONS = "user_sessions"
    API_KEY = "api_key"
    LEDGER = "billing"
    INVOICE = "invoice"
    PLACEMENT = "placement"
    PRODUCT = "product"
    DEMAND_PARTNER = "demand_partner"
    IDENTITIES = "identities"


OBJECT_LABELS: dict[str, str] = {
    ObjectKind.ADVERTISER: "Advertiser",
    ObjectKind.CAMPAIGN: "Campaign",
    ObjectKind.LINE_ITEM: "Line item",
    ObjectKind.CREATIVE: "Creative",
    ObjectKind.AUDIENCE: "Audience",
    ObjectKind.USER: "Person",
    ObjectKind.USER_SESSIONS: "Sign-in sessions",
    ObjectKind.API_KEY: "API key",
    ObjectKind.LEDGER: "Ledger entry",
    ObjectKind.INVOICE: "Invoice",
    ObjectKind.PLACEMENT: "Placement",
    ObjectKind.PRODUCT: "Product",
    ObjectKind.DEMAND_PARTNER: "Demand partner",
    ObjectKind.IDENTITIES: "Contact data",
}

ACTION_LABELS: dict[str, str] = {
    AuditAction.CREATE: "Created",
    AuditAction.UPDATE: "Changed",
    AuditAction.ARCHIVE: "Archived",
    AuditAction.REVIEW: "Reviewed",
    AuditAction.IMPORT: "Imported",
    AuditAction.REVOKE: "Revoked",
    AuditAction.EXPORT: "Exported",
    AuditAction.ERASE: "Erased",
    AuditAction.COPY: "Copied",
}

# The name each kind is known by, looked up for a page of entries at once.
_NAMES: dict[str, tuple[InstrumentedAttribute[str], InstrumentedAttribute[Any]]] = {
    ObjectKind.ADVERTISER: (Advertiser.id, Advertiser.name),
    ObjectKind.CAMPAIGN: (Campaign.id, Campaign.name),
    ObjectKind.LINE_ITEM: (LineItem.id, LineItem.name),
    ObjectKind.AUDIENCE: (Audience.id, Audience.name),
    ObjectKind.API_KEY: (ApiKey.id, ApiKey.name),
    ObjectKind.USER: (User.id, User.email),
    ObjectKind.USER_SESSIONS: (User.id, User.email),
    ObjectKind.INVOICE: (Invoice.id, Invoice.number),
    ObjectKind.PLACEMENT: (Placement.id, Placement.name),
}

# Where each kind's page is, on each side ({id} is the object's id).
CONSOLE_LINKS: dict[str, str] = {
    ObjectKind.CAMPAIGN: "/console/campaigns/{id}/measurement",
    ObjectKind.CREATIVE: "/console/review/creatives/{id}/preview",
    ObjectKind.ADVERTISER: "/console/advertisers",
}
BRAND_LINKS: dict[str, str] = {
    ObjectKind.CAMPAIGN: "/brand/campaigns/{id}",
    ObjectKind.CREATIVE: "/brand/creatives/{id}/edit",
}

# Sums of money kept in micros under a name without the suffix (billing/invoices.py).
_MICROS_FIELDS: dict[str, set[str]] = {ObjectKind.INVOICE: {"total", "paid"}}
# Sums of money in currency units, as a new object's specification holds them.
_UNIT_FIELDS = {"budget_total", "budget_daily", "bid", "floor_cpm", "amount"}
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Entries whose changes are `field: [before, after]` pairs.
_PAIRED = {AuditAction.UPDATE.value, AuditAction.REVIEW.value, AuditAction.COPY.value}


def object_label(kind: str) -> str:
    return OBJECT_LABELS.get(kind, kind.replace("_", " ").capitalize())


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    value: str  # the new value, or the value of a field listed
    before: str | None = None  # set on a change from one value to another


@dataclass(frozen=True, slots=True)
class ShownEntry:
    id: int
    at: datetime
    actor: str
    action: str
    action_label: str
    object_type: str
    object_label: str
    object_id: str
    object_name: str | None
    link: str | None
    changes: list[Change]
    more: int  # fields of a new object not listed


@dataclass(frozen=True, slots=True)
class Words:
    """How values read on this page: money and moments as the network writes them."""

    money: Callable[[Decimal], str]  # an amount in currency units
    zone: ZoneInfo


def field_label(name: str) -> str:
    return name.removesuffix("_micros").replace("_", " ").capitalize()


class Money(StrEnum):
    """Which values of an entry are sums of money, and in what."""

    NONE = "none"
    MICROS = "micros"
    UNITS = "units"


def _amount(value: Any, money: Money) -> Decimal | None:
    if money is Money.NONE or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, int | float | str) else None
    except InvalidOperation:
        return None
    if number is None or not number.is_finite():
        return None
    return number / MICROS_PER_UNIT if money is Money.MICROS else number


def value_text(value: Any, words: Words, money: Money = Money.NONE) -> str:
    """One value, short: money as money, moments in local time, lists and rules compact."""
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = _amount(value, money)
    if number is not None:
        return words.money(number)
    if isinstance(value, str) and _MOMENT.match(value):
        try:
            return when_text(datetime.fromisoformat(value), words.zone)
        except ValueError:
            pass
    if isinstance(value, list):
        shown = ", ".join(value_text(v, words) for v in value[:MAX_LIST])
        return _cut(shown + (f" and {len(value) - MAX_LIST} more" if len(value) > MAX_LIST else ""))
    if isinstance(value, dict):
        return _cut(json.dumps(value, separators=(", ", ": "), ensure_ascii=False))
    return _cut(str(value))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _field_order(item: tuple[str, Any]) -> tuple[int, str]:
    name = item[0]
    return (FIRST_FIELDS.index(name) if name in FIRST_FIELDS else len(FIRST_FIELDS), name)


def changes_of(entry: AuditEntry, words: Words, brands: dict[str, str] | None = None) -> tuple[list[Change], int]:
    """The entry's changes as lines, and how many fields of a new object were left out.
    `brands`: advertiser ids → names, so an `advertiser_id` field reads as the brand's name."""
    micros_fields = _MICROS_FIELDS.get(entry.object_type, set())
    lines: list[Change] = []
    paired = entry.action in _PAIRED
    listed = 0
    left = 0
    for name, value in sorted((entry.changes or {}).items(), key=_field_order):
        if name == BRAND_FIELD and isinstance(value, str) and brands and value in brands:
            name, value = "advertiser", brands[value]
        money = (
            Money.MICROS
            if name.endswith("_micros") or name in micros_fields
            else Money.UNITS
            if name in _UNIT_FIELDS
            else Money.NONE
        )
        if paired and isinstance(value, list) and len(value) == 2:
            lines.append(
                Change(field_label(name), value_text(value[1], words, money), value_text(value[0], words, money))
            )
            continue
        if not paired and value_text(value, words) == "none":
            continue  # a new object's empty fields say nothing
        if not paired and listed >= MAX_CREATED:
            left += 1
            continue
        listed += 1
        lines.append(Change(field_label(name), value_text(value, words, money)))
    return lines, left


def actor_words(db: Session, actors: Iterable[str], brand: str | None) -> dict[str, str]:
    """Each actor as a person reads it. `brand`: the history is that brand's, so the
    operator's people and keys read as Shelfspace's."""
    actors = set(actors)
    user_ids = [a.removeprefix(ActorPrefix.USER) for a in actors if a.startswith(ActorPrefix.USER)]
    key_ids = [a.removeprefix(ActorPrefix.KEY) for a in actors if a.startswith(ActorPrefix.KEY)]
    found: dict[str, str] = {}
    if user_ids:
        for user_id, email, owner in db.execute(
            select(User.id, User.email, User.advertiser_id).where(User.id.in_(user_ids))
        ):
            found[ActorPrefix.USER + user_id] = STAFF if brand is not None and owner != brand else email
    if key_ids:
        for key_id, name, prefix, owner in db.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.key_prefix, ApiKey.advertiser_id).where(ApiKey.id.in_(key_ids))
        ):
            found[ActorPrefix.KEY + key_id] = (
                NETWORK if brand is not None and owner != brand else f"API key {name or prefix + '…'}"
            )
    for actor in actors - found.keys():
        if actor.startswith(ActorPrefix.USER):
            found[actor] = STAFF if brand is not None else "a person since removed"
        elif actor.startswith(ActorPrefix.KEY):
            found[actor] = NETWORK if brand is not None else "an API key since removed"
        else:
            found[actor] = NETWORK
    return found


def object_names(db: Session, entries: Sequence[AuditEntry]) -> dict[tuple[str, str], str]:
    """(kind, id) → the object's name, for the kinds that have one."""
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.object_type in _NAMES:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        key, name = _NAMES[kind]
        for object_id, text in db.execute(select(key, name).where(key.in_(ids))):
            if text:
                names[(kind, object_id)] = str(text)
    return names


def brand_names(db: Session, entries: Sequence[AuditEntry]) -> dict[str, str]:
    """The names of the brands the entries' changes name by id (a new campaign's advertiser)."""
    ids = {e.changes[BRAND_FIELD] for e in entries if isinstance((e.changes or {}).get(BRAND_FIELD), str)}
    if not ids:
        return {}
    return {i: name for i, name in db.execute(select(Advertiser.id, Advertiser.name).where(Advertiser.id.in_(ids)))}


def describe(db: Session, entries: Sequence[AuditEntry], brand: str | None, words: Words) -> list[ShownEntry]:
    """A page of entries in words; `brand`: whose history it is (None: the operator's)."""
    actors = actor_words(db, (e.actor for e in entries), brand)
    names = object_names(db, entries)
    brands = brand_names(db, entries)
    links = BRAND_LINKS if brand is not None else CONSOLE_LINKS
    shown = []
    for e in entries:
        lines, more = changes_of(e, words, brands)
        link = links.get(e.object_type)
        shown.append(
            ShownEntry(
                id=e.id,
                at=e.at,
                actor=actors[e.actor],
                action=e.action,
                action_label=action_label(e.action),
                object_type=e.object_type,
                object_label=object_label(e.object_type),
                object_id=e.object_id,
                object_name=names.get((e.object_type, e.object_id)),
                link=link.format(id=e.object_id) if link else None,
                changes=lines,
                more=more,
            )
        )
    return shown

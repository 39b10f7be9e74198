"""The shapes of `/v1/audiences` and `/v1/identities` (api.md, "Audiences and offsite")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from shelfspace.audiences import rule_limits, taxonomy
from shelfspace.audiences.offsite import Platform
from shelfspace.audiences.rule_limits import MAX_DEPTH
from shelfspace.audiences.rules import AllOf, AnyOf, Condition, NotOf, Rule, as_json, depth
from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.core.inputs import InputModel

Name = Annotated[str, Field(min_length=1, max_length=200)]
IabSegment = Annotated[str, Field(min_length=1, max_length=20, description="An IAB Audience Taxonomy 1.1 unique id.")]


def _checked_rule(rule: Rule) -> Rule:
    if depth(rule) > MAX_DEPTH:
        raise ValueError(f"a rule nests at most {MAX_DEPTH} levels")
    return rule


def _bounded(raw: Any) -> Any:
    """Before the rule is parsed: its size, conditions, depth and lists (rule_limits.py).
    A rule parsed already (the pages build one from their rows) is checked as its JSON."""
    rule_limits.check(as_json(raw) if isinstance(raw, Condition | AllOf | AnyOf | NotOf) else raw)
    return raw


def _known_segment(value: str | None) -> str | None:
    if value is not None and value not in taxonomy.segments():
        raise ValueError(f"no IAB Audience Taxonomy 1.1 segment {value!r}")
    return value


class AudienceCreate(InputModel):
    name: Name
    rule: Rule
    advertiser_id: str | None = Field(
        default=None,
        max_length=40,
        description=(
            "Operator key: omit for a network audience every brand may target, or name the one brand it is for. "
            "Advertiser key: always the caller's own."
        ),
    )
    iab_segment: IabSegment | None = None

    _limits = field_validator("rule", mode="before")(_bounded)
    _rule = field_validator("rule")(_checked_rule)
    _segment = field_validator("iab_segment")(_known_segment)


class AudienceUpdate(InputModel):
    name: Name | None = None
    rule: Rule | None = None
    iab_segment: IabSegment | None = None
    status: DeliveryStatus | None = None

    _limits = field_validator("rule", mode="before")(_bounded)

    @field_validator("rule")
    @classmethod
    def _rule(cls, rule: Rule | None) -> Rule | None:
        return _checked_rule(rule) if rule is not None else None

    _segment = field_validator("iab_segment")(_known_segment)


class AudiencePreview(InputModel):
    rule: Rule

    _limits = field_validator("rule", mode="before")(_bounded)
    _rule = field_validator("rule")(_checked_rule)


class AudienceFilters(InputModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    include_archived: bool = Field(default=False, description="Also list archived audiences.")


class SizeOut(BaseModel):
    size: int | None = Field(
        description=(
            "Users in the segment now; null below the minimum size (never reported). Exact for the operator; for a brand "
            "rounded to two figures with deterministic noise of up to the minimum size (docs/audiences.md)."
        )
    )
    min_size: int = Field(
        description="The network's minimum: smaller segments can be neither targeted, exported nor reported on."
    )
    targetable: bool


class AudienceOut(SizeOut):
    id: str
    name: str
    rule: dict[str, Any]
    advertiser_id: str | None
    iab_segment: str | None
    iab_label: str | None
    status: DeliveryStatus
    counted_at: datetime | None = Field(description="When the size was last counted.")
    created_at: datetime
    updated_at: datetime


class IdentityIn(InputModel):
    user_id: Annotated[str, Field(min_length=1, max_length=200)]
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=3, max_length=40, pattern=r"^\+?[0-9 ().\-]+$")] | None = None


class IdentitiesIn(InputModel):
    users: list[IdentityIn] = Field(min_length=1, max_length=10_000)

    @field_validator("users")
    @classmethod
    def _once_each(cls, users: list[IdentityIn]) -> list[IdentityIn]:
        seen: set[str] = set()
        for position, user in enumerate(users):
            if user.user_id in seen:
                raise ValueError(f"user {user.user_id!r} is listed twice (users.{position})")
            seen.add(user.user_id)
        return users


class IdentitiesStored(BaseModel):
    stored: int = Field(description="Users whose contact data is now stored (new or changed).")


class Erased(BaseModel):
    user_id: str
    identity_deleted: bool
    events_deleted: int = Field(description="The user's behaviour events removed from the event log.")
    archived_events_deleted: int = Field(description="The same removed from the Parquet archive of past days.")


class ExportOut(BaseModel):
    """Audit entry of one export (the file itself is the answer of the export call)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    audience_id: str
    platform: Platform
    rows: int
    skipped: int
    actor: str
    created_at: datetime


class TaxonomySegmentOut(BaseModel):
    id: str
    parent: str | None
    name: str


class TaxonomySearchOut(BaseModel):
    data: list[TaxonomySegmentOut]

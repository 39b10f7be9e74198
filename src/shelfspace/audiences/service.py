"""Audiences: segments with tenancy, their sizes, contact identities, erasure and exports.

Who sees what: an operator sees every segment; a brand sees the network's segments
(no `advertiser_id`, the operator's offer) and its own, and may target either. Nobody
reads a segment's members through the API: a brand learns sizes, never user ids, and a
size below the network's minimum is not reported at all. Exports (hashed contact data
for the operator's offsite campaigns) are the operator's alone, and each is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.audiences import disclosure, offsite, taxonomy
from shelfspace.audiences.disclosure import DailyQuestions, SizeView
from shelfspace.audiences.membership import AudienceIndex
from shelfspace.audiences.models import Audience, AudienceExport, AudienceSize, ForgottenUser, Identity
from shelfspace.audiences.rules import as_json
from shelfspace.audiences.schemas import (
    AudienceCreate,
    AudienceFilters,
    AudienceOut,
    AudienceUpdate,
    Erased,
    IdentityIn,
)
from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.ownership import (
    apply,
    archive_status,
    changed_fields,
    owner_for_new,
    refuse_if_archived,
    require_present,
)
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.events.archive import forget_in_archive
from shelfspace.events.log import EventLog
from shelfspace.events.model import EventType

KIND = "audience"
CHUNK = 1000


def create(db: Session, by: Principal, spec: AudienceCreate, questions: DailyQuestions | None = None) -> Audience:
    """A new segment. A brand's new rule is a new size it will see: one of its questions
    (`questions` may be left out by the operator's own callers only: the demo's seed)."""
    disclosure.ask(db, by, questions)
    owner = owner_for_new(db, by, spec.advertiser_id) if (spec.advertiser_id or not by.is_operator) else None
    audience = Audience(
        id=new_id("aud"),
        name=spec.name,
        rule=as_json(spec.rule),
        advertiser_id=owner,
        iab_segment=spec.iab_segment,
        status=DeliveryStatus.LIVE,
    )
    db.add(audience)
    record(
        db,
        by,
        AuditAction.CREATE,
        KIND,
        audience.id,
        {"name": spec.name, "rule": audience.rule, "advertiser_id": owner, "iab_segment": spec.iab_segment},
        advertiser_id=owner,
    )
    db.flush()
    return audience


def visible(by: Principal, audience: Audience) -> bool:
    return by.is_operator or audience.advertiser_id is None or by.owns(audience.advertiser_id)


def get(db: Session, by: Principal, audience_id: str) -> Audience:
    audience = db.get(Audience, audience_id)
    if audience is None or not visible(by, audience):
        raise NotFound(f"no audience {audience_id!r}")
    return audience


def _editable(db: Session, by: Principal, audience_id: str) -> Audience:
    audience = get(db, by, audience_id)
    if audience.advertiser_id is None:
        by.require_operator("change the network's audiences")
    return audience


def update(
    db: Session, by: Principal, audience_id: str, spec: AudienceUpdate, questions: DailyQuestions | None = None
) -> Audience:
    audience = _editable(db, by, audience_id)
    refuse_if_archived(audience.status is DeliveryStatus.ARCHIVED, KIND, audience_id)
    changes = changed_fields(spec)
    require_present(changes, "name", "rule", "status")
    if "rule" in changes and spec.rule is not None:
        changes["rule"] = as_json(spec.rule)
        if changes["rule"] != audience.rule:  # a changed rule is a new size the brand will see
            disclosure.ask(db, by, questions)
    diff = apply(audience, changes)
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, audience.id, diff, advertiser_id=audience.advertiser_id)
    db.flush()
    return audience


def archive(db: Session, by: Principal, audience_id: str) -> Audience:
    audience = _editable(db, by, audience_id)
    archive_status(db, by, audience, KIND, DeliveryStatus.ARCHIVED, advertiser_id=audience.advertiser_id)
    return audience


def query(by: Principal, filters: AudienceFilters) -> Select[Audience]:
    stmt = select(Audience)
    if not by.is_operator:
        stmt = stmt.where(or_(Audience.advertiser_id.is_(None), Audience.advertiser_id == by.advertiser_id))
    if not filters.include_archived:
        stmt = stmt.where(Audience.status != DeliveryStatus.ARCHIVED)
    return stmt


def outs(db: Session, audiences: list[Audience], view: SizeView) -> list[AudienceOut]:
    """The audiences as answered, their sizes read in one query and shown as `view` lets
    the caller see them (disclosure.py: exact for the operator, noisy for a brand)."""
    ids = [a.id for a in audiences]
    counted = {s.audience_id: s for s in db.scalars(select(AudienceSize).where(AudienceSize.audience_id.in_(ids)))}
    return [_out(a, counted.get(a.id), view) for a in audiences]


def out(db: Session, audience: Audience, view: SizeView) -> AudienceOut:
    return _out(audience, db.get(AudienceSize, audience.id), view)


def _out(audience: Audience, counted: AudienceSize | None, view: SizeView) -> AudienceOut:
    targetable = counted is not None and counted.targetable and audience.status is DeliveryStatus.LIVE
    min_size = view.min_size
    return AudienceOut(
        id=audience.id,
        name=audience.name,
        rule=audience.rule,
        advertiser_id=audience.advertiser_id,
        iab_segment=audience.iab_segment,
        iab_label=taxonomy.label(audience.iab_segment),
        status=audience.status,
        size=view.saved(audience.id, audience.rule, counted.size if counted is not None else None),
        min_size=min_size,
        targetable=targetable,
        counted_at=counted.counted_at if counted is not None else None,
        created_at=audience.created_at,
        updated_at=audience.updated_at,
    )


def check_targeting(db: Session, advertiser_id: str, audience_ids: Iterable[str], field: str) -> None:
    """A line item may target live segments its brand can see and that are big enough.
    The catalogue's `AudienceCheck` (catalog/audience_check.py): the app hands it to the
    line items' services through the Runtime."""
    wanted = list(dict.fromkeys(audience_ids))
    if not wanted:
        return
    found = {a.id: a for a in db.scalars(select(Audience).where(Audience.id.in_(wanted)))}
    sizes = {s.audience_id: s for s in db.scalars(select(AudienceSize).where(AudienceSize.audience_id.in_(wanted)))}
    problems = []
    for aid in wanted:
        audience = found.get(aid)
        if audience is None or audience.advertiser_id not in (None, advertiser_id):
            problems.append(f"no audience {aid!r}")
        elif audience.status is not DeliveryStatus.LIVE:
            problems.append(f"audience {aid!r} is {audience.status}")
        elif aid not in sizes:
            problems.append(f"audience {aid!r} is still being counted; try again in a few seconds")
        elif not sizes[aid].targetable:
            problems.append(f"audience {aid!r} has fewer users than the network's minimum")
    if problems:
        raise InvalidInput.on(field, "; ".join(problems))


# --- identities and erasure -----------------------------------------------------------


def store_identities(db: Session, by: Principal, users: list[IdentityIn]) -> int:
    by.require_operator("store contact data")
    stored = 0
    existing = {
        i.user_id: i for i in db.scalars(select(Identity).where(Identity.user_id.in_([u.user_id for u in users])))
    }
    for user in users:
        row = existing.get(user.user_id)
        email = str(user.email) if user.email is not None else None
        if row is None:
            db.add(Identity(user_id=user.user_id, email=email, phone=user.phone))
            stored += 1
        elif (row.email, row.phone) != (email, user.phone):
            row.email, row.phone = email, user.phone
            stored += 1
    record(db, by, AuditAction.IMPORT, "identities", f"{len(users)} users", {"stored": stored})
    db.flush()
    return stored


def erase(db: Session, by: Principal, user_id: str, event_log: EventLog, archive: Path, now: datetime) -> Erased:
    """A data subject's erasure: contact data deleted, behaviour events removed from the
    log and from its Parquet archive, and the user marked forgotten so every process drops
    them from its segments and ignores their older orders for targeting. Orders stay for
    the operator's sales reports and attribution (they carry no contact data). Repeating
    it is harmless."""
    by.require_operator("erase a user's data")
    events = event_log.forget(user_id, EventType.BEHAVIOUR)
    archived = forget_in_archive(archive, user_id, EventType.BEHAVIOUR)
    identity = db.get(Identity, user_id)
    if identity is not None:
        db.delete(identity)
    forgotten = db.get(ForgottenUser, user_id)
    if forgotten is None:
        db.add(ForgottenUser(user_id=user_id, forgotten_at=now))
    else:
        forgotten.forgotten_at = now
    record(
        db,
        by,
        AuditAction.ERASE,
        "user",
        user_id,
        {"events_deleted": events, "archived_events_deleted": archived, "identity_deleted": identity is not None},
    )
    db.flush()
    return Erased(
        user_id=user_id, identity_deleted=identity is not None, events_deleted=events, archived_events_deleted=archived
    )


# --- exports --------------------------------------------------------------------------


def contacts_of(db: Session, user_ids: list[str]) -> list[offsite.Contact]:
    found: list[offsite.Contact] = []
    for start in range(0, len(user_ids), CHUNK):
        rows = db.execute(
            select(Identity.email, Identity.phone).where(Identity.user_id.in_(user_ids[start : start + CHUNK]))
        )
        found.extend(offsite.Contact(email, phone) for email, phone in rows)
    return found


def export(
    db: Session, by: Principal, audience_id: str, platform: offsite.Platform, index: AudienceIndex, region: str
) -> tuple[offsite.ExportFile, AudienceExport]:
    by.require_operator("export audiences offsite")
    audience = get(db, by, audience_id)
    if audience.status is not DeliveryStatus.LIVE:
        raise InvalidInput.on("id", f"audience {audience_id!r} is {audience.status}")
    if not index.targetable(audience.id):
        raise InvalidInput.on(
            "id",
            f"audience {audience_id!r} has fewer users than the network's minimum "
            f"({index.min_size}), or is still being counted: it cannot be exported",
        )
    file = offsite.export_file(platform, contacts_of(db, index.members(audience.id)), region)
    entry = AudienceExport(
        id=new_id("exp"),
        audience_id=audience.id,
        platform=str(platform),
        rows=file.rows,
        skipped=file.skipped,
        actor=by.actor,
    )
    db.add(entry)
    record(
        db,
        by,
        AuditAction.EXPORT,
        KIND,
        audience.id,
        {"platform": str(platform), "rows": file.rows, "skipped": file.skipped},
        advertiser_id=audience.advertiser_id,
    )
    db.flush()
    return file, entry


def exports_of(db: Session, by: Principal, audience_id: str) -> list[AudienceExport]:
    by.require_operator("read the export audit")
    audience = get(db, by, audience_id)
    return list(
        db.scalars(
            select(AudienceExport)
            .where(AudienceExport.audience_id == audience.id)
            .order_by(AudienceExport.created_at.desc())
        )
    )

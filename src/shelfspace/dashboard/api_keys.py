"""/console/keys and /brand/keys: API keys in the pages, so a brand integrates without
asking the operator.

One set of routes per side, one implementation: the table of keys (the operator sees
every key, a brand its own), a form to create one (a name, a scope no larger than the
person's own; on the console, optionally the brand it is for), the new key shown once on
the page the form redirects to (POST-redirect-GET, dashboard/key_reveal.py: a reload of that
page makes no second key and shows the secret no more; never cached, and only its SHA-256
is kept), and revoking after a confirmation on a page of its
own (it works without JavaScript). The rules are the API's (accounts/service.py); the
right each page needs is `Right.KEYS` (accounts/route_rights.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Path, Query, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from shelfspace.accounts import service
from shelfspace.accounts.models import ApiKey, User
from shelfspace.accounts.rights import DESCRIPTIONS, LABELS, TeamRole
from shelfspace.accounts.roles import Principal, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.models import Advertiser
from shelfspace.core.errors import NotFound, ShelfspaceError
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.dashboard import key_reveal
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, optional_text, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser, OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

CONSOLE, BRAND = "/console/keys", "/brand/keys"
CREATED, ONCE = "/created", "once"  # the page showing a new key: {base}/created?once={nonce}
NONCE_MAX = 64
SHOWN = 200  # the newest keys listed; older revoked ones stay in the API's list
NAME_MAX = 200
KeyId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)]
Nonce = Annotated[str, Query(max_length=NONCE_MAX)]


class Field(StrEnum):
    """The create form's fields, named as the API's (so the service's errors land beside them)."""

    NAME = "name"
    TEAM_ROLE = "team_role"
    ADVERTISER_ID = "advertiser_id"


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One line of the table, in words."""

    id: str
    name: str
    prefix: str
    scope: str
    owner: str  # "The network" or the brand's name (the console's column)
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked: bool


def _actor_names(db: Session, viewer: Principal, actors: set[str]) -> dict[str, str]:
    """Who created each key, in words: a person's e-mail, a key's name. A brand sees its own
    people and keys by name, and anything of the operator's as the network's operator."""
    network = "The network's operator"
    names = {"system": "Shelfspace", "cli": "The command line"}
    user_ids = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    key_ids = {a.removeprefix("key:") for a in actors if a.startswith("key:")}
    for user_id, email, advertiser_id in db.execute(
        select(User.id, User.email, User.advertiser_id).where(User.id.in_(user_ids))
    ):
        names[f"user:{user_id}"] = email if viewer.owns(advertiser_id) else network
    for key_id, name, prefix, advertiser_id in db.execute(
        select(ApiKey.id, ApiKey.name, ApiKey.key_prefix, ApiKey.advertiser_id).where(ApiKey.id.in_(key_ids))
    ):
        names[f"key:{key_id}"] = f"API key {name or prefix + '…'}" if viewer.owns(advertiser_id) else network
    return {actor: names.get(actor, network if not viewer.is_operator else actor) for actor in actors}


def _rows(db: Session, user: DashboardUser) -> list[KeyRow]:
    keys = list(
        db.scalars(
            service.keys_query(user.principal)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id)
            .limit(SHOWN)
        )
    )
    creators = _actor_names(db, user.principal, {k.created_by for k in keys})
    brands = _brand_names(db, {k.advertiser_id for k in keys if k.advertiser_id})
    return [
        KeyRow(
            id=k.id,
            name=k.name,
            prefix=k.key_prefix + "…",
            scope=LABELS[k.team_role],
            owner=brands.get(k.advertiser_id, k.advertiser_id) if k.advertiser_id else "The network",
            created_at=k.created_at,
            created_by=creators[k.created_by],
            last_used_at=k.last_used_at,
            revoked=k.revoked_at is not None,
        )
        for k in keys
    ]


def _brand_names(db: Session, ids: set[str]) -> dict[str, str]:
    return {
        brand_id: name
        for brand_id, name in db.execute(select(Advertiser.id, Advertiser.name).where(Advertiser.id.in_(ids)))
    }


def _scope_options(user: DashboardUser) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(value, label)]) of the scopes this person may give. A brand gives its
    own side's; the operator also a brand's, grouped by the keys each is offered on."""
    principal = user.principal
    sides = (Role.OPERATOR, Role.ADVERTISER) if user.is_operator else (Role.ADVERTISER,)
    given = {side: set(service.scopes_for(principal, side)) for side in sides}
    if not user.is_operator:
        return [("", [(t.value, _scope_label(t)) for t in service.scopes_for(principal, Role.ADVERTISER)])]
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for label, wanted in (
        ("Network or brand keys", given[Role.OPERATOR] & given[Role.ADVERTISER]),
        ("Network keys only", given[Role.OPERATOR] - given[Role.ADVERTISER]),
        ("Brand keys only", given[Role.ADVERTISER] - given[Role.OPERATOR]),
    ):
        options = [(t.value, _scope_label(t)) for t in TeamRole if t in wanted]
        if options:
            groups.append((label, options))
    return groups


def _scope_label(scope: TeamRole) -> str:
    return LABELS[scope]


def _scope_help(groups: list[tuple[str, list[tuple[str, str]]]]) -> list[tuple[str, str]]:
    """(label, what it may do) of each scope offered, shown beside the select."""
    return [(LABELS[TeamRole(value)], DESCRIPTIONS[TeamRole(value)]) for _, options in groups for value, _ in options]


def _brand_options(db: Session) -> list[tuple[str, str]]:
    return [
        (brand_id, name)
        for brand_id, name in db.execute(
            select(Advertiser.id, Advertiser.name)
            .where(Advertiser.status != AdvertiserStatus.ARCHIVED)
            .order_by(Advertiser.name)
        )
    ]


def _page(
    request: Request,
    user: DashboardUser,
    base: str,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        rows = _rows(db, user)
        brands = _brand_options(db) if user.is_operator else []
    scopes = _scope_options(user)
    return render(
        request,
        "api_keys/keys.html",
        status_code=status_code,
        title="API keys",
        keys=rows,
        base=base,
        scopes=scopes,
        scope_help=_scope_help(scopes),
        brands=brands,
        shown=SHOWN,
        values=values or {Field.TEAM_ROLE: TeamRole.ADMIN.value},
        errors=errors or {},
    )


def _create(request: Request, user: DashboardUser, base: str, form: FormData) -> Response:
    """Make the key and redirect to the page that shows it once (a reload there posts nothing)."""
    values = {f.value: text(form, f.value)[: NAME_MAX + 1] for f in Field}
    errors: FieldErrors = {}
    if not values[Field.NAME]:
        errors[Field.NAME] = "Give the key a name, to know later what uses it"
    advertiser_id = optional_text(form, Field.ADVERTISER_ID) if user.is_operator else None
    try:
        spec = ApiKeyCreate.model_validate(
            {
                "name": values[Field.NAME],
                "team_role": values[Field.TEAM_ROLE] or TeamRole.ADMIN.value,
                "role": Role.ADVERTISER if advertiser_id or not user.is_operator else Role.OPERATOR,
                "advertiser_id": advertiser_id,
            }
        )
    except ValidationError as exc:
        return _page(request, user, base, 400, values, errors_of(exc) | errors)
    if errors:
        return _page(request, user, base, 400, values, errors)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            key, secret = service.create_key(db, user.principal, spec)
            owner = _brand_names(db, {key.advertiser_id}).get(key.advertiser_id, "") if key.advertiser_id else ""
            created = key_reveal.NewKey(
                id=key.id,
                name=key.name,
                prefix=key.key_prefix + "…",
                scope=LABELS[key.team_role],
                owner=owner or "The network",
                secret=secret,
            )
    except ShelfspaceError as exc:
        return _page(request, user, base, 400, values, errors_of(exc))
    nonce = key_reveal.new_nonce()
    answer = RedirectResponse(f"{base}{CREATED}?{ONCE}={nonce}", status_code=303)
    key_reveal.hold(request, answer, base + CREATED, nonce, created)
    return answer


def _created(request: Request, user: DashboardUser, base: str, nonce: str) -> Response:
    """The new key, shown on this answer only: the cookie that carried it goes with it, and
    a reload says it was shown already (410) rather than showing it, or making another."""
    key = key_reveal.take(request, nonce)
    answer = render(
        request,
        "api_keys/created.html",
        status_code=200 if key is not None else 410,
        title="Your new API key" if key is not None else "Key already shown",
        key=key,
        base=base,
    )
    key_reveal.forget(answer, base + CREATED, nonce)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _confirm(request: Request, user: DashboardUser, base: str, key_id: str) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        key = db.scalar(service.keys_query(user.principal).where(ApiKey.id == key_id))
        if key is None:
            raise NotFound(f"no API key {key_id!r}")
        shown = {
            "id": key.id,
            "name": key.name or key.key_prefix + "…",
            "prefix": key.key_prefix + "…",
            "revoked": key.revoked_at is not None,
        }
    return render(request, "api_keys/revoke.html", title="Revoke an API key", key=shown, base=base)


def _revoke(request: Request, user: DashboardUser, base: str, key_id: str) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        key = service.revoke_key(db, user.principal, key_id)
        name = key.name or key.key_prefix + "…"
    return redirect_with(request, base, f"Key “{name}” is revoked: integrations using it are refused from now on.")


@router.get(CONSOLE)
def console_keys(request: Request, user: OperatorUser) -> Response:
    return _page(request, user, CONSOLE)


@router.post(CONSOLE)
def console_create(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    return _create(request, user, CONSOLE, form)


@router.get(CONSOLE + CREATED)
def console_created(request: Request, user: OperatorUser, once: Nonce = "") -> Response:
    return _created(request, user, CONSOLE, once)


@router.get(CONSOLE + "/{key_id}/revoke")
def console_confirm(request: Request, key_id: KeyId, user: OperatorUser) -> Response:
    return _confirm(request, user, CONSOLE, key_id)


@router.post(CONSOLE + "/{key_id}/revoke")
def console_revoke(request: Request, key_id: KeyId, user: OperatorUser, form: CheckedForm) -> Response:
    return _revoke(request, user, CONSOLE, key_id)


@router.get(BRAND)
def brand_keys(request: Request, user: AdvertiserUser) -> Response:
    return _page(request, user, BRAND)


@router.post(BRAND)
def brand_create(request: Request, user: AdvertiserUser, form: CheckedForm) -> Response:
    return _create(request, user, BRAND, form)


@router.get(BRAND + CREATED)
def brand_created(request: Request, user: AdvertiserUser, once: Nonce = "") -> Response:
    return _created(request, user, BRAND, once)


@router.get(BRAND + "/{key_id}/revoke")
def brand_confirm(request: Request, key_id: KeyId, user: AdvertiserUser) -> Response:
    return _confirm(request, user, BRAND, key_id)


@router.post(BRAND + "/{key_id}/revoke")
def brand_revoke(request: Request, key_id: KeyId, user: AdvertiserUser, form: CheckedForm) -> Response:
    return _revoke(request, user, BRAND, key_id)

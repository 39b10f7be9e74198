"""Routes for API keys, users and the audit log (its right: accounts/route_rights.py)."""

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request, status

from shelfspace.accounts import audit_history, service, sessions
from shelfspace.accounts.audit import AuditAction
from shelfspace.accounts.audit_history import AuditFilters
from shelfspace.accounts.caller import Caller
from shelfspace.accounts.invites_api import router as invites_router
from shelfspace.accounts.models import ApiKey, AuditEntry, User
from shelfspace.accounts.roles import Principal
from shelfspace.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEntryOut,
    SessionsEnded,
    UserCreate,
    UserOut,
    UserUpdate,
)
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.pagination import Page, PageParams, fetch_page, page_body, page_params
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.runtime import runtime_of

router = APIRouter(responses=ERROR_RESPONSES)
Paging = Annotated[PageParams, Depends(page_params)]
ACTOR_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"  # `user:usr_…`, `key:key_…`, `system`, `demo:shop.example`


@router.post(
    "/v1/api-keys", response_model=ApiKeyCreated, status_code=201, tags=["access"], summary="Create an API key"
)
def create_key(db: Db, by: Caller, body: ApiKeyCreate) -> JsonBody:
    """The key is in this answer only; Shelfspace keeps its hash."""
    key, secret = service.create_key(db, by, body)
    out = ApiKeyCreated.model_validate({**ApiKeyOut.model_validate(key).model_dump(), "key": secret})
    return JsonBody(out, status_code=status.HTTP_201_CREATED)


@router.get("/v1/api-keys", response_model=Page[ApiKeyOut], tags=["access"], summary="List API keys")
def list_keys(db: Db, by: Caller, page: Paging) -> JsonBody:
    rows, cursor = fetch_page(db, service.keys_query(by), ApiKey.id, page)
    return page_body(rows, cursor, ApiKeyOut)


@router.delete("/v1/api-keys/{id}", response_model=ApiKeyOut, tags=["access"], summary="Revoke an API key")
def revoke_key(db: Db, by: Caller, id: Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)]) -> JsonBody:
    return JsonBody(ApiKeyOut.model_validate(service.revoke_key(db, by, id)))


@router.post("/v1/users", response_model=UserOut, status_code=201, tags=["access"], summary="Create a dashboard user")
def create_user(db: Db, by: Caller, body: UserCreate) -> JsonBody:
    return JsonBody(UserOut.model_validate(service.create_user(db, by, body)), status_code=status.HTTP_201_CREATED)


UserId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)]


def _operator(by: Caller) -> Principal:
    """Refused before the body or the id is looked at: a brand learns nothing about users."""
    by.require_operator("change users")
    return by


OperatorCaller = Annotated[Principal, Depends(_operator)]


@router.patch("/v1/users/{id}", response_model=UserOut, tags=["access"], summary="Change a dashboard user")
def update_user(request: Request, db: Db, by: Caller, id: UserId, body: UserUpdate) -> JsonBody:
    """Change a member of the caller's team (a brand's admin: its own people, anyone else is
    not found; the operator's admin: anyone): `team_role`, `disabled` (ends every dashboard
    session of the user at once), or, the operator's only, a new `password` (the strength
    rule of sign-up applies; ends their sessions too). The team's last active admin can be
    neither demoted nor disabled (409)."""
    return JsonBody(UserOut.model_validate(service.update_user(db, by, id, body, runtime_of(request).clock.now())))


@router.delete(
    "/v1/users/{id}/sessions",
    response_model=SessionsEnded,
    tags=["access"],
    summary="Sign a dashboard user out everywhere",
)
def end_sessions(request: Request, db: Db, by: OperatorCaller, id: UserId) -> JsonBody:
    """Ends every live dashboard session of the user (a lost laptop, a person who left);
    recorded in the audit log. They can sign in again unless disabled."""
    ended = sessions.revoke_user_sessions(
        db, by, id, runtime_of(request).clock.now(), sessions.SessionEnd.REVOKED_BY_OPERATOR
    )
    return JsonBody(SessionsEnded(user_id=id, ended=ended))


@router.get("/v1/users", response_model=Page[UserOut], tags=["access"], summary="List dashboard users")
def list_users(db: Db, by: Caller, page: Paging) -> JsonBody:
    """The operator's admin lists everyone; a brand's admin its own people."""
    rows, cursor = fetch_page(db, service.users_query(by), User.id, page)
    return page_body(rows, cursor, UserOut)


@router.get("/v1/audit-log", response_model=Page[AuditEntryOut], tags=["access"], summary="Read the audit log")
def audit_log(
    request: Request,
    db: Db,
    by: Caller,
    page: Paging,
    object_type: Annotated[str | None, Query(max_length=32, pattern=KEY_PATTERN)] = None,
    object_id: Annotated[str | None, Query(max_length=100, pattern=KEY_PATTERN)] = None,
    actor: Annotated[
        str | None,
        Query(
            max_length=80,
            pattern=ACTOR_PATTERN,
            description="Who made the change, as `actor` reads (`user:…`, `key:…`).",
        ),
    ] = None,
    action: Annotated[AuditAction | None, Query()] = None,
    start: Annotated[date | None, Query(alias="from", description="First day, in the network's time zone.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, included.")] = None,
) -> JsonBody:
    """Oldest first. The operator reads every entry; a brand's admin the entries about the
    brand's own objects (`advertiser_id`), whoever made them. Filter by `object_type` (e.g.
    `campaign`), `object_id`, `actor`, `action` and days."""
    filters = AuditFilters(
        actor=actor, action=action, object_type=object_type, object_id=object_id, start=start, end=end
    )
    stmt = audit_history.history_query(by, filters, ZoneInfo(runtime_of(request).settings.timezone))
    rows, cursor = fetch_page(db, stmt, AuditEntry.id, page)
    return page_body(rows, cursor, AuditEntryOut)


router.include_router(invites_router)  # /v1/invites: mounted with the rest of access

"""Routes for API keys, users and the audit log (operator keys only)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from shelfspace.accounts import service, sessions
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
from shelfspace.http.deps import Caller, Db
from shelfspace.http.errors import ERROR_RESPONSES

router = APIRouter(responses=ERROR_RESPONSES)
Paging = Annotated[PageParams, Depends(page_params)]


@router.post("/v1/api-keys", response_model=ApiKeyCreated, status_code=201, tags=["access"], summary="Create an API key")
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
def update_user(request: Request, db: Db, by: OperatorCaller, id: UserId, body: UserUpdate) -> JsonBody:
    """Set a new `password` (the strength rule of sign-up applies) or `disabled`: either
    ends every dashboard session of the user at once."""
    return JsonBody(UserOut.model_validate(service.update_user(db, by, id, body, request.app.state.clock.now())))


@router.delete("/v1/users/{id}/sessions", response_model=SessionsEnded, tags=["access"],
               summary="Sign a dashboard user out everywhere")
def end_sessions(request: Request, db: Db, by: OperatorCaller, id: UserId) -> JsonBody:
    """Ends every live dashboard session of the user (a lost laptop, a person who left);
    recorded in the audit log. They can sign in again unless disabled."""
    ended = sessions.revoke_user_sessions(db, by, id, request.app.state.clock.now(),
                                          sessions.SessionEnd.REVOKED_BY_OPERATOR)
    return JsonBody(SessionsEnded(user_id=id, ended=ended))


@router.get("/v1/users", response_model=Page[UserOut], tags=["access"], summary="List dashboard users")
def list_users(db: Db, by: Caller, page: Paging) -> JsonBody:
    rows, cursor = fetch_page(db, service.users_query(by), User.id, page)
    return page_body(rows, cursor, UserOut)


@router.get("/v1/audit-log", response_model=Page[AuditEntryOut], tags=["access"], summary="Read the audit log")
def audit_log(
    db: Db,
    by: Caller,
    page: Paging,
    object_type: Annotated[str | None, Query(max_length=32, pattern=KEY_PATTERN)] = None,
    object_id: Annotated[str | None, Query(max_length=100, pattern=KEY_PATTERN)] = None,
) -> JsonBody:
    """Oldest first; filter by `object_type` (e.g. `campaign`) and `object_id`."""
    rows, cursor = fetch_page(db, service.audit_query(by, object_type, object_id), AuditEntry.id, page)
    return page_body(rows, cursor, AuditEntryOut)

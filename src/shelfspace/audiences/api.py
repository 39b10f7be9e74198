"""Routes of `/v1/audiences` and `/v1/identities` (api.md, "Audiences and offsite").

(No `from __future__ import annotations`: FastAPI reads these annotations.)
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from shelfspace.accounts.caller import Caller
from shelfspace.accounts.roles import Principal
from shelfspace.audiences import disclosure, service, taxonomy
from shelfspace.audiences.disclosure import DailyQuestions, SizeView
from shelfspace.audiences.membership import AudienceIndex
from shelfspace.audiences.models import Audience
from shelfspace.audiences.offsite import Platform
from shelfspace.audiences.schemas import (
    AudienceCreate,
    AudienceFilters,
    AudienceOut,
    AudiencePreview,
    AudienceUpdate,
    Erased,
    ExportOut,
    IdentitiesIn,
    IdentitiesStored,
    SizeOut,
    TaxonomySearchOut,
)
from shelfspace.core.inputs import KEY_PATTERN, NulFree
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.pagination import Page, PageParams, fetch_page, page_params
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES, ErrorBody
from shelfspace.runtime import runtime_of

router = APIRouter(tags=["audiences"], responses=ERROR_RESPONSES)
QUESTIONS_SPENT: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": (
            "A brand's audience sizes for the day (previews, new or changed rules) are spent; try again tomorrow (UTC)."
        ),
    }
}
AudienceId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN, description="The audience's id.")]
UserId = Annotated[NulFree, Path(min_length=1, max_length=200, description="The operator's user id.")]


def _min_size(request: Request) -> int:
    return int(runtime_of(request).settings.audience_min_size)


def _index(request: Request) -> AudienceIndex:
    index: AudienceIndex = runtime_of(request).audience_index
    return index


def size_view(request: Request, db: Session, by: Principal) -> SizeView:
    """The sizes `by` may see (disclosure.py), for the API and the pages alike."""
    return disclosure.view_for(db, by, _min_size(request), _index(request))


def daily_questions(request: Request) -> DailyQuestions:
    """The bound on a brand's new size questions today (disclosure.py, rule 4)."""
    settings = runtime_of(request).settings
    return DailyQuestions(int(settings.audience_size_questions_per_day), runtime_of(request).clock.now().date())


def _one(request: Request, db: Db, by: Principal, audience: Audience, code: int = status.HTTP_200_OK) -> JsonBody:
    return JsonBody(service.out(db, audience, size_view(request, db, by)), status_code=code)


@router.get("/v1/audiences", response_model=Page[AudienceOut], summary="List audiences")
def list_audiences(
    request: Request,
    db: Db,
    by: Caller,
    page: Annotated[PageParams, Depends(page_params)],
    filters: Annotated[AudienceFilters, Query()],
) -> JsonBody:
    """The network's audiences and, for a brand, its own; each with its size (null below
    the minimum size, which is never reported)."""
    rows, cursor = fetch_page(db, service.query(by, filters), Audience.id, page)
    return JsonBody(
        {
            "data": service.outs(db, rows, size_view(request, db, by)),
            "has_more": cursor is not None,
            "next_cursor": cursor,
        }
    )


@router.post(
    "/v1/audiences",
    response_model=AudienceOut,
    status_code=201,
    summary="Create an audience",
    responses=QUESTIONS_SPENT,
)
def create_audience(request: Request, db: Db, by: Caller, body: AudienceCreate) -> JsonBody:
    """A segment from a rule over first-party events. Its size is counted within a second
    or two; a line item may target it once it holds at least the minimum of users. For a
    brand, a new rule is one of its daily size questions (docs/audiences.md)."""
    return _one(request, db, by, service.create(db, by, body, daily_questions(request)), status.HTTP_201_CREATED)


@router.post(
    "/v1/audiences/preview",
    response_model=SizeOut,
    summary="Count a rule's users before saving it",
    responses=QUESTIONS_SPENT,
)
def preview_audience(request: Request, db: Db, by: Caller, body: AudiencePreview) -> JsonBody:
    """How many users the rule holds now, from this server's segment index (null below
    the minimum size). Nothing is stored. A brand sees the size rounded and with noise,
    and may ask so many a day (docs/audiences.md); the operator sees it exact."""
    disclosure.ask(db, by, daily_questions(request))
    size, targetable = size_view(request, db, by).preview(body.rule, runtime_of(request).clock.now().timestamp())
    return JsonBody(SizeOut(size=size, min_size=_min_size(request), targetable=targetable))


@router.get("/v1/audiences/taxonomy", summary="Search the IAB Audience Taxonomy 1.1", response_model=TaxonomySearchOut)
def search_taxonomy(by: Caller, q: Annotated[str, Query(min_length=1, max_length=100)]) -> JsonBody:
    """Segments of the IAB's taxonomy whose names hold every word of `q`, to label an audience."""
    return JsonBody({"data": [{"id": s.id, "parent": s.parent, "name": s.name} for s in taxonomy.search(q)]})


@router.get("/v1/audiences/{id}", response_model=AudienceOut, summary="Get an audience")
def read_audience(request: Request, db: Db, by: Caller, id: AudienceId) -> JsonBody:
    return _one(request, db, by, service.get(db, by, id))


@router.patch("/v1/audiences/{id}", response_model=AudienceOut, summary="Change an audience", responses=QUESTIONS_SPENT)
def change_audience(request: Request, db: Db, by: Caller, id: AudienceId, body: AudienceUpdate) -> JsonBody:
    return _one(request, db, by, service.update(db, by, id, body, daily_questions(request)))


@router.delete("/v1/audiences/{id}", response_model=AudienceOut, summary="Archive an audience")
def archive_audience(request: Request, db: Db, by: Caller, id: AudienceId) -> JsonBody:
    return _one(request, db, by, service.archive(db, by, id))


@router.get(
    "/v1/audiences/{id}/export",
    summary="Export an audience for an offsite platform (operator)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The platform's customer-list file."}},
)
def export_audience(
    request: Request,
    db: Db,
    by: Caller,
    id: AudienceId,
    platform: Annotated[Platform, Query(description="Whose customer-list format.")],
) -> Response:
    """The segment's contact data, normalised as the platform documents and SHA-256
    hashed, as its customer-list upload file. Refused (422) below the minimum size. Each
    export is recorded (`GET /v1/audiences/{id}/exports`) and in the audit log."""
    settings = runtime_of(request).settings
    file, entry = service.export(db, by, id, platform, _index(request), settings.country)
    return Response(
        file.body,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{id}-{file.filename}"',
            "X-Shelfspace-Export": entry.id,
            "X-Shelfspace-Rows": str(file.rows),
            "X-Shelfspace-Skipped": str(file.skipped),
        },
    )


@router.get("/v1/audiences/{id}/exports", response_model=list[ExportOut], summary="The audience's exports (operator)")
def list_exports(db: Db, by: Caller, id: AudienceId) -> JsonBody:
    return JsonBody([ExportOut.model_validate(e) for e in service.exports_of(db, by, id)])


@router.post("/v1/identities", response_model=IdentitiesStored, summary="Store users' contact data (operator)")
def store_identities(db: Db, by: Caller, body: IdentitiesIn) -> JsonBody:
    """E-mail and phone per user id, for offsite exports only; kept apart from events."""
    return JsonBody(IdentitiesStored(stored=service.store_identities(db, by, body.users)))


@router.delete("/v1/identities/{user_id}", response_model=Erased, summary="Erase a user (data-subject request)")
def erase_user(request: Request, db: Db, by: Caller, user_id: UserId) -> JsonBody:
    """Deletes the user's contact data and behaviour events (in the log and its archive),
    and drops them from every segment (in every process within a second). Orders stay for
    sales reports."""
    rt = runtime_of(request)
    return JsonBody(service.erase(db, by, user_id, rt.event_log, rt.settings.archive_directory(), rt.clock.now()))

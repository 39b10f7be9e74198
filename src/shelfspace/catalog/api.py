"""Routes of the catalogue: the same five verbs for every resource, and the product import.

Routes stay thin: parse, call the service, answer. The verbs are generated from one
`Resource` description so that paging, status codes, error documentation and tenancy
work identically everywhere.

(No `from __future__ import annotations` here: FastAPI reads the route functions'
annotations, which name the resource's own schema classes.)
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shelfspace.accounts.caller import Caller
from shelfspace.accounts.roles import Principal
from shelfspace.catalog import campaign_state, models, schemas
from shelfspace.catalog.services import advertisers, campaigns, creatives, line_items, placements, products
from shelfspace.catalog.services.product_feed import OnError, import_feed
from shelfspace.core.errors import PayloadTooLarge
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.pagination import Page, PageParams, fetch_page, page_body, page_params
from shelfspace.db.base import Base
from shelfspace.http.body_limits import PRODUCT_FEED_BYTES
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.runtime import Rt, Runtime, runtime_of

MAX_FEED_BYTES = PRODUCT_FEED_BYTES  # http/body_limits.py holds every body limit

# What the Out model reads, made from the rows a service returned (a campaign with its state).
Presenter = Callable[[Request, Session, Sequence[Any]], Sequence[Any]]


def _rows_as_they_are(request: Request, db: Session, rows: Sequence[Any]) -> Sequence[Any]:
    return rows


def _campaigns_with_state(request: Request, db: Session, rows: Sequence[Any]) -> Sequence[Any]:
    """Each campaign with its `state`, decided for the whole page at once."""
    found = campaign_state.states_now(db, rows, runtime_of(request))
    return [campaign_state.Stated(row, found[row.id]) for row in rows]


# How a resource is made and changed: its service's `create(db, by, body)` and
# `update(db, by, id, body)`, unless the service asks for what packages above the catalogue
# hand in (line items: the audience check; creatives: the review's notice), from the runtime.
Creator = Callable[[Runtime, Session, Principal, Any], Any]
Updater = Callable[[Runtime, Session, Principal, str, Any], Any]


def _create_line_item(rt: Runtime, db: Session, by: Principal, body: Any) -> Any:
    return line_items.create(db, by, body, audiences=rt.audience_check)


def _update_line_item(rt: Runtime, db: Session, by: Principal, id: str, body: Any) -> Any:
    return line_items.update(db, by, id, body, audiences=rt.audience_check)


def _update_creative(rt: Runtime, db: Session, by: Principal, id: str, body: Any) -> Any:
    return creatives.update(db, by, id, body, on_review=rt.on_creative_review)


@dataclass(frozen=True, kw_only=True)
class Resource:
    path: str  # e.g. "placements"
    noun: str  # e.g. "placement"
    model: type[Base]
    service: ModuleType
    create: type[BaseModel]
    update: type[BaseModel]
    out: type[BaseModel]
    filters: type[BaseModel]
    key: str = "id"
    present: Presenter = _rows_as_they_are
    creates: Creator | None = None  # None: the service's own `create(db, by, body)`
    updates: Updater | None = None  # None: the service's own `update(db, by, id, body)`


RESOURCES = (
    Resource(
        path="placements",
        noun="placement",
        model=models.Placement,
        service=placements,
        create=schemas.PlacementCreate,
        update=schemas.PlacementUpdate,
        out=schemas.PlacementOut,
        filters=schemas.PlacementFilters,
    ),
    Resource(
        path="advertisers",
        noun="advertiser",
        model=models.Advertiser,
        service=advertisers,
        create=schemas.AdvertiserCreate,
        update=schemas.AdvertiserUpdate,
        out=schemas.AdvertiserOut,
        filters=schemas.AdvertiserFilters,
    ),
    Resource(
        path="campaigns",
        noun="campaign",
        model=models.Campaign,
        service=campaigns,
        create=schemas.CampaignCreate,
        update=schemas.CampaignUpdate,
        out=schemas.CampaignOut,
        filters=schemas.CampaignFilters,
        present=_campaigns_with_state,
    ),
    Resource(
        path="line-items",
        noun="line item",
        model=models.LineItem,
        service=line_items,
        create=schemas.LineItemCreate,
        update=schemas.LineItemUpdate,
        out=schemas.LineItemOut,
        filters=schemas.LineItemFilters,
        creates=_create_line_item,
        updates=_update_line_item,
    ),
    Resource(
        path="creatives",
        noun="creative",
        model=models.Creative,
        service=creatives,
        create=schemas.CreativeCreate,
        update=schemas.CreativeUpdate,
        out=schemas.CreativeOut,
        filters=schemas.CreativeFilters,
        updates=_update_creative,
    ),
    Resource(
        path="products",
        noun="product",
        model=models.Product,
        service=products,
        create=schemas.ProductIn,
        update=schemas.ProductUpdate,
        out=schemas.ProductOut,
        filters=schemas.ProductFilters,
        key="sku",
    ),
)


def resource_router(r: Resource) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{r.path}", tags=[r.path], responses=ERROR_RESPONSES)
    svc = r.service
    Out, Create, Update, Filters = r.out, r.create, r.update, r.filters
    ObjectId = Annotated[str, Path(max_length=100, pattern=KEY_PATTERN, description=f"The {r.noun}'s {r.key}.")]

    def one(request: Request, db: Db, obj: Any, code: int = status.HTTP_200_OK) -> JsonBody:
        [shown] = r.present(request, db, [obj])
        return JsonBody(Out.model_validate(shown), status_code=code)

    @router.get("", response_model=Page[Out], summary=f"List {r.path}")  # type: ignore[valid-type]
    # mypy cannot follow classes chosen at run time; FastAPI reads them from these annotations.
    def list_(
        request: Request,
        db: Db,
        by: Caller,
        page: Annotated[PageParams, Depends(page_params)],
        filters: Annotated[Filters, Query()],  # type: ignore[valid-type]
    ) -> JsonBody:
        rows, cursor = fetch_page(db, svc.query(by, filters), getattr(r.model, r.key), page)
        return page_body(list(r.present(request, db, rows)), cursor, Out)

    @router.post("", response_model=Out, status_code=status.HTTP_201_CREATED, summary=f"Create a {r.noun}")
    def create(request: Request, rt: Rt, db: Db, by: Caller, body: Create) -> JsonBody:  # type: ignore[valid-type]
        made = r.creates(rt, db, by, body) if r.creates else svc.create(db, by, body)
        return one(request, db, made, status.HTTP_201_CREATED)

    @router.get("/{id}", response_model=Out, summary=f"Get a {r.noun}")
    def read(request: Request, db: Db, by: Caller, id: ObjectId) -> JsonBody:
        return one(request, db, svc.get(db, by, id))

    @router.patch("/{id}", response_model=Out, summary=f"Change a {r.noun}")
    def change(request: Request, rt: Rt, db: Db, by: Caller, id: ObjectId, body: Update) -> JsonBody:  # type: ignore[valid-type]
        return one(request, db, r.updates(rt, db, by, id, body) if r.updates else svc.update(db, by, id, body))

    @router.delete("/{id}", response_model=Out, summary=f"Archive a {r.noun}")
    def archive(request: Request, db: Db, by: Caller, id: ObjectId) -> JsonBody:
        return one(request, db, svc.archive(db, by, id))

    return router


router = APIRouter()
for _resource in RESOURCES:
    router.include_router(resource_router(_resource))


FEED_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["products"],
                    "properties": {"products": {"type": "array", "items": {"$ref": "#/components/schemas/ProductIn"}}},
                }
            },
            "text/csv": {
                "schema": {"type": "string"},
                "example": "sku,title,brand,category,price,available\nSKU-1,Tent,Acme,outdoor/camping,199.00,true\n",
            },
        },
    }
}


@router.post(
    "/v1/products/import",
    response_model=schemas.ImportResult,
    tags=["products"],
    summary="Import a product feed (JSON or CSV)",
    responses=ERROR_RESPONSES
    | {
        413: {"description": "The feed is over 64 MiB."},
        422: {
            "model": schemas.ImportResult,
            "description": "Invalid input; or, with `on_error=reject`, the rows refused (nothing written).",
        },
    },
    openapi_extra=FEED_BODY,
)
async def import_products(
    request: Request,
    db: Db,
    by: Caller,
    on_error: Annotated[OnError, Query(description="`skip`: keep good rows; `reject`: all or nothing.")] = OnError.SKIP,
) -> JsonBody:
    """Upsert products by SKU. Each bad row is reported with its line and field.

    With `on_error=reject` and any bad row, nothing is written and the answer is 422.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_FEED_BYTES:
        raise PayloadTooLarge(f"a feed is at most {MAX_FEED_BYTES // (1024 * 1024)} MiB; split it")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FEED_BYTES:
            raise PayloadTooLarge(f"a feed is at most {MAX_FEED_BYTES // (1024 * 1024)} MiB; split it")
    # The import is CPU and SQL work: keep it off the event loop.
    result = await run_in_threadpool(import_feed, db, by, bytes(raw), request.headers.get("content-type", ""), on_error)
    return JsonBody(result, status_code=200 if result.written else 422)

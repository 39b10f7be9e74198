"""Routes of the catalogue: the same five verbs for every resource, and the product import.

Routes stay thin: parse, call the service, answer. The verbs are generated from one
`Resource` description so that paging, status codes, error documentation and tenancy
work identically everywhere.

(No `from __future__ import annotations` here: FastAPI reads the route functions'
annotations, which name the resource's own schema classes.)
"""

from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from shelfspace.catalog import models, schemas
from shelfspace.catalog.services import advertisers, campaigns, creatives, line_items, placements, products
from shelfspace.catalog.services.product_feed import OnError, import_feed
from shelfspace.core.errors import PayloadTooLarge
from shelfspace.http.body_limits import PRODUCT_FEED_BYTES
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.db.base import Base
from shelfspace.core.pagination import Page, PageParams, fetch_page, page_body, page_params
from shelfspace.http.deps import Caller, Db
from shelfspace.http.errors import ERROR_RESPONSES

MAX_FEED_BYTES = PRODUCT_FEED_BYTES  # http/body_limits.py holds every body limit


@dataclass(frozen=True)
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


RESOURCES = (
    Resource("placements", "placement", models.Placement, placements, schemas.PlacementCreate, schemas.PlacementUpdate,
             schemas.PlacementOut, schemas.PlacementFilters),
    Resource("advertisers", "advertiser", models.Advertiser, advertisers, schemas.AdvertiserCreate, schemas.AdvertiserUpdate,
             schemas.AdvertiserOut, schemas.AdvertiserFilters),
    Resource("campaigns", "campaign", models.Campaign, campaigns, schemas.CampaignCreate, schemas.CampaignUpdate,
             schemas.CampaignOut, schemas.CampaignFilters),
    Resource("line-items", "line item", models.LineItem, line_items, schemas.LineItemCreate, schemas.LineItemUpdate,
             schemas.LineItemOut, schemas.LineItemFilters),
    Resource("creatives", "creative", models.Creative, creatives, schemas.CreativeCreate, schemas.CreativeUpdate,
             schemas.CreativeOut, schemas.CreativeFilters),
    Resource("products", "product", models.Product, products, schemas.ProductIn, schemas.ProductUpdate,
             schemas.ProductOut, schemas.ProductFilters, key="sku"),
)


def resource_router(r: Resource) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{r.path}", tags=[r.path], responses=ERROR_RESPONSES)
    svc = r.service
    Out, Create, Update, Filters = r.out, r.create, r.update, r.filters
    ObjectId = Annotated[str, Path(max_length=100, pattern=KEY_PATTERN, description=f"The {r.noun}'s {r.key}.")]

    def one(obj: Any, code: int = status.HTTP_200_OK) -> JsonBody:
        return JsonBody(Out.model_validate(obj), status_code=code)

    @router.get("", response_model=Page[Out], summary=f"List {r.path}")  # type: ignore[valid-type]
    # mypy cannot follow classes chosen at run time; FastAPI reads them from these annotations.
    def list_(db: Db, by: Caller, page: Annotated[PageParams, Depends(page_params)],
              filters: Annotated[Filters, Query()]) -> JsonBody:  # type: ignore[valid-type]
        rows, cursor = fetch_page(db, svc.query(by, filters), getattr(r.model, r.key), page)
        return page_body(rows, cursor, Out)

    @router.post("", response_model=Out, status_code=status.HTTP_201_CREATED, summary=f"Create a {r.noun}")
    def create(db: Db, by: Caller, body: Create) -> JsonBody:  # type: ignore[valid-type]
        return one(svc.create(db, by, body), status.HTTP_201_CREATED)

    @router.get("/{id}", response_model=Out, summary=f"Get a {r.noun}")
    def read(db: Db, by: Caller, id: ObjectId) -> JsonBody:
        return one(svc.get(db, by, id))

    @router.patch("/{id}", response_model=Out, summary=f"Change a {r.noun}")
    def change(db: Db, by: Caller, id: ObjectId, body: Update) -> JsonBody:  # type: ignore[valid-type]
        return one(svc.update(db, by, id, body))

    @router.delete("/{id}", response_model=Out, summary=f"Archive a {r.noun}")
    def archive(db: Db, by: Caller, id: ObjectId) -> JsonBody:
        return one(svc.archive(db, by, id))

    return router


router = APIRouter()
for _resource in RESOURCES:
    router.include_router(resource_router(_resource))


FEED_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["products"],
                "properties": {"products": {"type": "array", "items": {"$ref": "#/components/schemas/ProductIn"}}},
            }},
            "text/csv": {"schema": {"type": "string"}, "example": "sku,title,brand,category,price,available\nSKU-1,Tent,Acme,outdoor/camping,199.00,true\n"},
        },
    }
}


@router.post(
    "/v1/products/import",
    response_model=schemas.ImportResult,
    tags=["products"],
    summary="Import a product feed (JSON or CSV)",
    responses=ERROR_RESPONSES | {413: {"description": "The feed is over 64 MiB."},
                                  422: {"model": schemas.ImportResult, "description": "Invalid input; or, with "
                                        "`on_error=reject`, the rows refused (nothing written)."}},
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

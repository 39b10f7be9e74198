"""/console/products: the shop's product catalogue, searchable, and a feed upload with progress.

An import that took every row redirects to the catalogue (post, redirect, get), so its
search and reloads ask `/console/products`; one with rows to correct answers in place,
listing them, and its search form still asks the catalogue's own address. The import's
address answers a GET (a reload, a bookmark) with the catalogue, never a 405.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import func, or_, select
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from shelfspace.catalog.models import Product
from shelfspace.catalog.schemas import ImportResult
from shelfspace.catalog.services.product_feed import OnError, import_feed
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.http.body_limits import PRODUCT_FEED_BYTES
from shelfspace.runtime import runtime_of

router = page_router()

PAGE_SIZE = 50
MAX_FEED_BYTES = PRODUCT_FEED_BYTES  # http/body_limits.py holds every body limit
FEED_TYPES = {"csv": "text/csv", "json": "application/json"}


def _page(
    request: Request,
    q: str,
    category: str,
    page: int,
    status_code: int = 200,
    result: ImportResult | None = None,
    feed_error: str | None = None,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        stmt = select(Product).where(Product.archived_at.is_(None))
        if q:
            term = f"%{q.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(Product.sku).like(term),
                    func.lower(Product.title).like(term),
                    func.lower(Product.brand).like(term),
                )
            )
        if category:
            stmt = stmt.where(or_(Product.category == category, Product.category.like(f"{category}/%")))
        total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = list(db.scalars(stmt.order_by(Product.sku).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        categories = sorted({(c or "").split("/", 1)[0] for c in db.scalars(select(Product.category).distinct()) if c})
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "operator/products.html",
        status_code=status_code,
        title="Products",
        products=rows,
        total=total,
        q=q,
        category=category,
        categories=categories,
        page=min(page, pages),
        pages=pages,
        result=result,
        feed_error=feed_error,
    )


@router.get("/console/products")
def products(request: Request, user: OperatorUser, q: str = "", category: str = "", page: int = 1) -> Response:
    return _page(request, q.strip(), category.strip(), max(1, page))


@router.get("/console/products/feed")
def feed_address(request: Request, user: OperatorUser) -> Response:
    """The import's address opened again (a reload after the import answered in place, or
    a search sent from a page served there): the catalogue, with the same query."""
    query = request.url.query
    return RedirectResponse("/console/products" + (f"?{query}" if query else ""), status_code=303)


@router.post("/console/products/feed")
def upload_feed(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    """A plain `def`: the file is read from its spool and imported (CPU and SQL) in the
    thread pool, and even the error pages query the catalogue."""
    upload = form.get("feed")
    on_error = OnError.REJECT if form.get("on_error") == OnError.REJECT else OnError.SKIP
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, "", "", 1, 400, feed_error="choose a CSV or JSON file")
    kind = upload.filename.rsplit(".", 1)[-1].lower()
    if kind not in FEED_TYPES:
        return _page(request, "", "", 1, 400, feed_error="the file must end in .csv or .json")
    raw = upload.file.read(MAX_FEED_BYTES + 1)
    if len(raw) > MAX_FEED_BYTES:
        return _page(request, "", "", 1, 400, feed_error="a feed is at most 64 MiB; split it")
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            result = import_feed(db, user.principal, raw, FEED_TYPES[kind], on_error)
    except ShelfspaceError as exc:
        return _page(request, "", "", 1, 400, feed_error=exc.message)
    if result.written and not result.rejected:
        return redirect_with(
            request,
            "/console/products",
            f"Imported {result.imported:,} of {result.received:,} rows: "
            f"{result.created:,} new, {result.updated:,} updated.",
        )
    return _page(request, "", "", 1, 200 if result.written else 400, result=result)

"""The operator's product catalogue: single products, and the feed import below."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.catalog.models import Product
from shelfspace.catalog.ownership import apply, changed_fields, refuse_if_archived, require_present
from shelfspace.catalog.schemas import ProductFilters, ProductIn, ProductUpdate
from shelfspace.core.clock import utcnow
from shelfspace.core.errors import Conflict, NotFound
from shelfspace.core.money import to_micros

KIND = "product"


def row_values(spec: ProductIn) -> dict[str, object]:
    """A validated product as column values (money in micros)."""
    values = spec.model_dump(exclude={"price"})
    values["price_micros"] = to_micros(spec.price) if spec.price is not None else None
    return values


def create(db: Session, by: Principal, spec: ProductIn) -> Product:
    by.require_operator("change the product catalogue")
    if db.get(Product, spec.sku) is not None:
        raise Conflict(f"sku: a product {spec.sku!r} already exists (PATCH it, or use the import)")
    product = Product(**row_values(spec))
    db.add(product)
    record(db, by, AuditAction.CREATE, KIND, product.sku, spec.model_dump())
    db.flush()
    return product


def get(db: Session, by: Principal, sku: str) -> Product:
    product = db.get(Product, sku)
    if product is None:
        raise NotFound(f"no product {sku!r}")
    return product


def update(db: Session, by: Principal, sku: str, spec: ProductUpdate) -> Product:
    by.require_operator("change the product catalogue")
    product = get(db, by, sku)
    refuse_if_archived(product.archived_at is not None, KIND, sku)
    changes = changed_fields(spec)
    require_present(changes, "title", "available")
    if "price" in changes:
        price = changes.pop("price")
        changes["price_micros"] = to_micros(price) if price is not None else None
    diff = apply(product, changes)
    if diff:
        record(db, by, AuditAction.UPDATE, KIND, product.sku, diff)
    db.flush()
    return product


def archive(db: Session, by: Principal, sku: str) -> Product:
    by.require_operator("change the product catalogue")
    product = get(db, by, sku)
    if product.archived_at is None:
        product.archived_at = utcnow()
        product.available = False
        record(db, by, AuditAction.ARCHIVE, KIND, product.sku)
    db.flush()
    return product


def query(by: Principal, filters: ProductFilters) -> Select[Product]:
    stmt = select(Product)
    if not filters.include_archived:
        stmt = stmt.where(Product.archived_at.is_(None))
    if filters.category:
        category = filters.category.strip().lower().strip("/")
        stmt = stmt.where(
            or_(Product.category == category, Product.category.startswith(category + "/", autoescape=True))
        )
    if filters.brand:
        stmt = stmt.where(Product.brand == filters.brand)
    if filters.available is not None:
        stmt = stmt.where(Product.available == filters.available)
    return stmt

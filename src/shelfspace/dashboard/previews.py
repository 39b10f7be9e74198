"""What a creative will look like where it serves: the data its preview template draws.

Images and videos on other hosts are not fetched by the preview (an operator's review page
should not call out to an advertiser's server, and pages must work offline): the preview
draws a box of the creative's size with its details instead, and links the original. A
video uploaded here plays in the page; thumbnails are the stored file drawn smaller.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shelfspace.catalog.enums import AdFormat
from shelfspace.catalog.models import Advertiser, Creative, LineItem, Product


@dataclass(frozen=True, slots=True)
class Preview:
    creative: Creative
    advertiser: str
    width: int | None
    height: int | None
    image: str | None  # a URL safe to load here, or None for the drawn box
    placements: list[str]
    product: Product | None
    video: str | None = None  # a video file served here (playable in the page), or None
    replaced: Creative | None = None  # the creative this one was sent in place of

    def thumb(self, box_width: int = 160, box_height: int = 100) -> tuple[int, int]:
        """The size to draw it at in a list: its own shape, inside the box, never enlarged
        (a creative without a size, a video most often, is drawn 16:9)."""
        if not self.width or not self.height:
            return box_width, min(box_height, round(box_width * 9 / 16))
        width, height = self.width, self.height
        scale = min(box_width / width, box_height / height, 1.0)
        return max(1, round(width * scale)), max(1, round(height * scale))


def local_url(url: str | None, own_hosts: set[str]) -> str | None:
    """The URL if it is served by this network (or is a path on it), else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.netloc:
        return url if url.startswith("/") else None
    return url if parts.netloc in own_hosts else None


def _size(size: str | None) -> tuple[int | None, int | None]:
    if not size or "x" not in size:
        return None, None
    width, height = size.split("x", 1)
    return int(width), int(height)


def previews(db: Session, creatives: list[Creative], own_hosts: set[str]) -> list[Preview]:
    advertisers = {
        a.id: a.name
        for a in db.scalars(select(Advertiser).where(Advertiser.id.in_({c.advertiser_id for c in creatives})))
    }
    line_items = {
        li.id: li
        for li in db.scalars(
            select(LineItem)
            .options(selectinload(LineItem.placements))
            .where(LineItem.id.in_({c.line_item_id for c in creatives if c.line_item_id}))
        )
    }
    skus = {c.sku for c in creatives if c.sku}
    products = {p.sku: p for p in db.scalars(select(Product).where(Product.sku.in_(skus)))} if skus else {}
    earlier = {c.replaces_id for c in creatives if c.replaces_id}
    replaced = {c.id: c for c in db.scalars(select(Creative).where(Creative.id.in_(earlier)))} if earlier else {}
    result = []
    for c in creatives:
        width, height = _size(c.size)
        line_item = line_items.get(c.line_item_id) if c.line_item_id else None
        product = products.get(c.sku) if c.sku else None
        image = c.image_url if c.format is not AdFormat.SPONSORED_PRODUCT else (product.image_url if product else None)
        result.append(
            Preview(
                creative=c,
                advertiser=advertisers.get(c.advertiser_id, c.advertiser_id),
                width=width,
                height=height,
                image=local_url(image, own_hosts),
                placements=[p.name for p in (line_item.placements if line_item else [])],
                product=product,
                video=local_url(c.media_url, own_hosts) if c.format is AdFormat.VIDEO else None,
                replaced=replaced.get(c.replaces_id) if c.replaces_id else None,
            )
        )
    return result

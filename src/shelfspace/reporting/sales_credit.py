"""Sales credit in the rollup: each conversion credited to the ads its shopper met, by the
network's attribution terms (core/attribution.py `attribute`), and credited again when the
brands an advertiser answers for move.

Apart from the folding of delivery events (reporting/job.py), whose run calls it: it reads
the rollup's interactions and the event log's conversions, never the day's fold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from shelfspace.catalog.brand_claims import claimed_brands
from shelfspace.catalog.models import Advertiser
from shelfspace.core.attribution import Conversion, Interaction, InteractionKind, Item, Windows, attribute
from shelfspace.events.log import EventLog
from shelfspace.events.model import Event, EventType
from shelfspace.reporting.catalogue import Catalogue
from shelfspace.reporting.models import AttributedItem, RollupInteraction

log = structlog.get_logger(__name__)

SECONDS_PER_DAY = 86_400


class SalesCredit:
    """Credits conversions for a rollup run, in the run's own transaction."""

    def __init__(self, event_log: EventLog, windows: Windows) -> None:
        self.event_log = event_log
        self.windows = windows

    def follow_claims(self, db: Session, stored: dict[str, Any] | None) -> dict[str, Any] | None:
        """Credit again what was credited under brand claims that have since moved (the
        operator gave a brand to another advertiser, or took one back): the conversions of
        every user who met a moved advertiser's ads. Returns the claims to store when they
        differ from `stored`, else None. A first run only records them: nothing was
        credited before it."""
        claims = {
            advertiser_id: sorted(claimed_brands(name, brands))
            for advertiser_id, name, brands in db.execute(select(Advertiser.id, Advertiser.name, Advertiser.brands))
        }
        if claims == stored:
            return None
        if stored is not None:
            moved = {a for a in claims.keys() | stored.keys() if claims.get(a) != stored.get(a)}
            longest = self.windows.longest_days * SECONDS_PER_DAY
            conversions: dict[str, Event] = {}
            for user_id, first, last in db.execute(
                select(RollupInteraction.user_id, func.min(RollupInteraction.time), func.max(RollupInteraction.time))
                .where(RollupInteraction.advertiser_id.in_(moved))
                .group_by(RollupInteraction.user_id)
            ):
                conversions.update(
                    (c.key, c) for c in self.event_log.of_user(user_id, EventType.CONVERSION, first, last + longest)
                )
            if conversions:
                self.attribute(db, conversions.values(), Catalogue.load(db))
            log.info("brand_claims_followed", advertisers=len(moved), conversions=len(conversions))
        return claims

    def attribute(self, db: Session, conversions: Iterable[Event], catalogue: Catalogue) -> None:
        longest = self.windows.longest_days * SECONDS_PER_DAY
        for event in conversions:
            assert event.user_id is not None and event.data is not None
            conversion = self._conversion(event, catalogue)
            rows = list(
                db.scalars(
                    select(RollupInteraction).where(  # the rule's views: `attribute` picks them
                        RollupInteraction.user_id == event.user_id,
                        RollupInteraction.time >= event.time - longest,
                        RollupInteraction.time <= event.time,
                    )
                )
            )
            interactions = [self._interaction(r, catalogue) for r in rows]
            history = [
                self._conversion(e, catalogue)
                for e in self.event_log.of_user(
                    event.user_id,
                    EventType.CONVERSION,
                    event.time - self.windows.new_to_brand_days * SECONDS_PER_DAY,
                    event.time,
                )
            ]
            db.execute(delete(AttributedItem).where(AttributedItem.conversion_id == conversion.id))
            credits = attribute(interactions, [conversion], self.windows, history)
            if not credits:
                continue
            hour_of = {(r.ad_id, r.kind): (r.day, r.hour) for r in rows}
            db.execute(
                insert(AttributedItem),
                [
                    {
                        "conversion_id": c.conversion_id,
                        "item_index": c.item_index,
                        "day": hour_of[(c.interaction.ad_id, str(c.interaction.kind))][0],
                        "hour": hour_of[(c.interaction.ad_id, str(c.interaction.kind))][1],
                        "advertiser_id": c.interaction.advertiser_id,
                        "campaign_id": c.interaction.campaign_id,
                        "line_item_id": c.interaction.line_item_id,
                        "creative_id": c.interaction.creative_id,
                        "placement_id": c.interaction.placement_id,
                        "channel": catalogue.channels.get(c.interaction.placement_id, ""),
                        # a view-through credit is a "view" under either rule (reports count them so)
                        "sku": c.sku,
                        "purchased_sku": c.sku,
                        "match": str(c.match),
                        "interaction": str(
                            InteractionKind.VIEW if c.interaction.kind.is_view else InteractionKind.CLICK
                        ),
                        "new_to_brand": c.new_to_brand,
                        "quantity": c.quantity,
                        "revenue_micros": c.revenue_micros,
                        "converted_at": c.converted_at,
                    }
                    for c in credits
                ],
            )

    @staticmethod
    def _conversion(event: Event, catalogue: Catalogue) -> Conversion:
        assert event.data is not None and event.user_id is not None
        items = tuple(
            Item(i["sku"], catalogue.product_brands.get(i["sku"]), i["quantity"], i["price_micros"])
            for i in event.data["items"]
        )
        return Conversion(event.data["id"], event.user_id, datetime.fromtimestamp(event.time, UTC), items)

    @staticmethod
    def _interaction(row: RollupInteraction, catalogue: Catalogue) -> Interaction:
        skus = catalogue.promoted.get(row.line_item_id, frozenset()) | ({row.sku} if row.sku else set())
        return Interaction(
            ad_id=row.ad_id,
            kind=InteractionKind(row.kind),
            time=datetime.fromtimestamp(row.time, UTC),
            user_id=row.user_id,
            advertiser_id=row.advertiser_id,
            campaign_id=row.campaign_id,
            line_item_id=row.line_item_id,
            creative_id=row.creative_id,
            placement_id=row.placement_id,
            skus=frozenset(skus),
            brands=catalogue.brands_of_advertiser.get(row.advertiser_id, frozenset()),
        )

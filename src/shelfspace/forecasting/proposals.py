"""A proposed line item, validated exactly as a real one and turned into the engine's terms.

The proposal goes through the same services that would create it (`campaigns.create`,
`line_items.create`: tenancy, placements, formats, floors, products, audiences, dates
and budgets), in a transaction that is always rolled back: the same rules, the same 422
naming the field (prefixed `campaign.` or `line_item.`), and nothing written. What was
built is read into the snapshot's plain data by the snapshot loader's own functions.
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shelfspace.accounts.roles import Principal
from shelfspace.audiences.service import check_targeting
from shelfspace.billing import ledger
from shelfspace.catalog.enums import ReviewStatus
from shelfspace.catalog.models import Advertiser, Campaign, Creative, LineItem
from shelfspace.catalog.schemas import CampaignCreate, LineItemCreate
from shelfspace.catalog.services import campaigns as campaign_service
from shelfspace.catalog.services import line_items as line_item_service
from shelfspace.core.errors import FieldProblem, InvalidInput, NotFound
from shelfspace.core.inputs import InputModel
from shelfspace.counters.protocol import Counters
from shelfspace.decisioning.index import SPONSORED_PRODUCT
from shelfspace.decisioning.inventory import (
    FrequencyCap,
    LiveAdvertiser,
    LiveCampaign,
    LiveCreative,
    LiveLineItem,
    LivePlacement,
    Pacing,
    Pricing,
)
from shelfspace.delivery.snapshot_loader import live_creative, targeting_of
from shelfspace.forecasting.replay_types import Proposal

PROPOSED = "forecast"  # the id given to what is proposed (never stored)


class ForecastCampaign(CampaignCreate):
    name: str = Field(default="Forecast", min_length=1, max_length=200)


class ForecastLineItem(LineItemCreate):
    campaign_id: str | None = Field(
        default=None,
        max_length=40,
        description=(  # type: ignore[assignment]
            "An existing campaign of the advertiser's; leave out and give `campaign` for a new one."
        ),
    )
    name: str = Field(default="Forecast", min_length=1, max_length=200)


class ForecastIn(InputModel):
    """A line item as it would be created: in a new campaign (`campaign`) or an existing one
    (`line_item.campaign_id`). `replaces`: a live line item forecast at these settings
    instead of its own (its bids leave the auctions it is replayed against)."""

    campaign: ForecastCampaign | None = None
    line_item: ForecastLineItem
    replaces: str | None = Field(default=None, max_length=40)


def proposal_of(
    sessions: sessionmaker[Session],
    by: Principal,
    spec: ForecastIn,
    counters: Counters,
    today: str,
    placements: dict[str, LivePlacement],
) -> Proposal:
    """Validate `spec` as the services would and build the proposal; raises InvalidInput
    (422 naming the field; a replaced line item or campaign that is not the caller's too,
    as `POST /v1/line-items` answers another advertiser's `campaign_id`)."""
    if spec.campaign is None and spec.line_item.campaign_id is None:
        raise InvalidInput.on("campaign", "give a campaign, or line_item.campaign_id for an existing one")
    if spec.campaign is not None and spec.line_item.campaign_id is not None:
        raise InvalidInput.on("line_item.campaign_id", "give a new campaign or an existing one's id, not both")
    db = sessions()
    try:
        replaces = spec.replaces
        replaced = _prefixed("replaces", lambda: line_item_service.get(db, by, replaces)) if replaces else None
        if spec.campaign is not None:
            new_campaign = spec.campaign
            campaign = _prefixed("campaign", lambda: campaign_service.create(db, by, new_campaign))
        else:
            campaign = _prefixed(
                "line_item.campaign_id", lambda: campaign_service.get(db, by, spec.line_item.campaign_id or "")
            )
        line_spec = LineItemCreate.model_validate(spec.line_item.model_dump() | {"campaign_id": campaign.id})
        # Audiences checked by their own package's rule, as the API's line items are (the app's
        # `audience_check`): forecasting stands above audiences, so it names the check itself.
        line_item = _prefixed(
            "line_item", lambda: line_item_service.create(db, by, line_spec, audiences=check_targeting)
        )
        advertiser = db.get(Advertiser, campaign.advertiser_id)
        assert advertiser is not None
        spent_campaign = replaced.campaign_id if replaced is not None else campaign.id
        live_campaign = _live_campaign(campaign)
        funds = ledger.funds(db).get(advertiser.id)
        creatives = _creatives(db, line_item, replaced, placements)
        live = LiveLineItem(
            id=PROPOSED,
            campaign_id=live_campaign.id,
            advertiser_id=advertiser.id,
            pricing=Pricing(str(line_item.pricing)),
            bid_micros=line_item.bid_micros,
            placements=frozenset(line_item.placement_ids),
            targeting=targeting_of(line_item.targeting),
            frequency_cap=FrequencyCap(line_item.frequency_cap["count"], line_item.frequency_cap["period"])
            if line_item.frequency_cap
            else None,
            products=tuple(line_item.products),
            creatives=creatives,
        )
        live_advertiser = LiveAdvertiser(
            advertiser.id, advertiser.category, frozenset(advertiser.competitors), advertiser.domain
        )
    finally:
        db.rollback()
        db.close()
    spent = counters.budget_use(spent_campaign, today).spent_total
    funds_left = None if funds is None else counters.account_use(live_advertiser.id).left(funds)
    return Proposal(
        live,
        live_campaign,
        live_advertiser,
        replaces=replaces or None,
        spent_micros=spent,
        funds_left_micros=funds_left,
    )


def _prefixed(prefix: str, create):  # type: ignore[no-untyped-def]
    """Run a service's create; its field errors named within the forecast's body."""
    try:
        return create()
    except InvalidInput as exc:
        raise InvalidInput.collect(
            [FieldProblem(f"{prefix}.{p.field}", p.message) for p in exc.fields] or [FieldProblem(prefix, exc.message)]
        ) from None
    except NotFound as exc:
        raise InvalidInput.on(prefix, exc.message) from None


def _live_campaign(campaign: Campaign) -> LiveCampaign:
    return LiveCampaign(
        campaign.id,
        campaign.advertiser_id,
        campaign.start,
        campaign.end,
        campaign.budget_total_micros,
        campaign.budget_daily_micros,
        Pacing(str(campaign.pacing)),
        campaign.holdout_percent,
    )


def _creatives(
    db: Session, line_item: LineItem, replaced: LineItem | None, placements: dict[str, LivePlacement]
) -> tuple[LiveCreative, ...]:
    """The replaced line item's own creatives (their click rates are known); else one
    creative per placement that fits it (a forecast assumes the creative will fit), and
    one per product for sponsored products."""
    if replaced is not None:
        own = tuple(
            live_creative(c)
            for c in db.scalars(
                select(Creative)
                .where(
                    Creative.line_item_id == replaced.id,
                    Creative.archived_at.is_(None),
                    Creative.status == ReviewStatus.APPROVED,
                )
                .order_by(Creative.id)
            )
        )
        if own:
            return own
    made: list[LiveCreative] = []
    for pid in sorted(line_item.placement_ids):
        placement = placements.get(pid)
        if placement is None:
            continue
        if placement.format == SPONSORED_PRODUCT:
            made.extend(
                LiveCreative(id=f"{PROPOSED}-{sku}", format=SPONSORED_PRODUCT, sku=sku) for sku in line_item.products
            )
        else:
            made.extend(
                LiveCreative(id=f"{PROPOSED}-{pid}-{size}", format=placement.format, size=size)
                for size in (placement.sizes or (None,))
            )
    return tuple(made)

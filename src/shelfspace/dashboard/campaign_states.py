"""The one status function (catalog/campaign_state.py) as the pages show it: each campaign's
state with its money written as the pages write money (Babel, core/money_words.py). The funds
notice beside it on a brand's pages is billing's (dashboard/billing.py `funds_notice`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from fastapi import Request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shelfspace.catalog.campaign_state import CampaignState, states_now
from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.models import Campaign
from shelfspace.core.money_words import MoneyWords, network_locale, page_words
from shelfspace.runtime import runtime_of


def page_money(request: Request) -> MoneyWords:
    settings = runtime_of(request).settings
    return page_words(settings.currency, network_locale(settings.locale, settings.country))


def page_states(request: Request, db: Session, campaigns: Iterable[Campaign]) -> dict[str, CampaignState]:
    """Each campaign's state, by id, for a page."""
    return states_now(db, campaigns, runtime_of(request), page_money(request))


def serving_by_advertiser(request: Request, db: Session) -> Counter[str]:
    """How many campaigns each advertiser has serving now (state `live`), for the console's
    counts: a campaign asked to be live that cannot serve is not counted."""
    now = runtime_of(request).clock.now()
    asked = list(
        db.scalars(
            select(Campaign).where(
                Campaign.status == DeliveryStatus.LIVE, or_(Campaign.end.is_(None), Campaign.end > now)
            )
        )
    )
    states = page_states(request, db, asked)
    return Counter(c.advertiser_id for c in asked if states[c.id].serving)

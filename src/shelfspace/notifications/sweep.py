"""The notices no request makes: campaigns that started or ended, budgets and funds running
low or spent. A background sweep (notifications/runner.py) looks at every campaign that may
have moved, by the one status function (catalog/campaign_state.py `states_of`), and emits
what holds now; the notices' unique key makes each event one notice, however often the
sweep sees it and however many processes sweep.

What each kind means, and its key's period (another period is another notice):
- campaign started: its state is live or limited by budget, its start at most
  `RECENT` ago (a campaign whose creative was approved days into its flight still is
  told; one running for months before notifications existed is not); period: the start.
- campaign ended: its end passed at most `RECENT` ago (archived ones are the brand's own
  doing: not told); period: the end.
- budget spent: the state says the total budget is spent (period: the total, so a raised
  budget spent again is told again) or today's (period: the day).
- budget running low: live, with `LOW_SHARE` of the total (period: the total) or of
  today's budget (period: the day) spent or held by served ads.
- funds used up: a campaign of the brand is out of funds by the state function (which
  uses billing's rule, `funds_used_up`); period: the funds paid
  in (with the credit limit), so a top-up that runs out again is told again.
- funds running low: billing's low-balance rule (`low_balance`: fewer than three days of
  the recent daily spend left) while a campaign serves; period: the funds, as above.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shelfspace.billing import ledger
from shelfspace.billing.low_balance import LowBalanceReason, daily_spend, low_balance
from shelfspace.catalog.campaign_state import CampaignFacts, CampaignState, StateCode, StateReason, states_of
from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.models import Campaign
from shelfspace.core.money_words import MoneyWords
from shelfspace.counters.protocol import Counters
from shelfspace.notifications.kinds import NoticeKind
from shelfspace.notifications.service import NewNotice, emit

RECENT = timedelta(days=7)  # how far back a start or an end is still news
LOW_PERCENT = 80  # a budget with this share spent (or held) is running low
SERVING = {StateCode.LIVE, StateCode.LIMITED_BY_BUDGET}


@dataclass(frozen=True, slots=True)
class Network:
    """What the sweep reads besides the database: the app's counters, the campaign states'
    facts from above the catalogue (the app's: reporting/campaign_facts.py), time zone,
    currency, and how money is written (the pages' Babel format)."""

    counters: Counters
    facts: CampaignFacts
    tz: ZoneInfo
    currency: str
    money: MoneyWords


def _campaign_notice(campaign: Campaign, kind: NoticeKind, period: str, title: str, message: str) -> NewNotice:
    return NewNotice(
        campaign.advertiser_id, kind, "campaign", campaign.id, period, title, message, f"/brand/campaigns/{campaign.id}"
    )


def _percent(used: int, of: int) -> int:
    return min(100, used * 100 // of) if of > 0 else 0


def campaign_notices(campaign: Campaign, state: CampaignState, network: Network, now: datetime) -> list[NewNotice]:
    """What one campaign's state and spend say now (pure, but for the budget counters)."""
    name, found = f"“{campaign.name}”", []
    if state.code in SERVING and now - RECENT <= campaign.start <= now:
        found.append(
            _campaign_notice(
                campaign,
                NoticeKind.CAMPAIGN_STARTED,
                campaign.start.isoformat(),
                "Campaign started",
                f"{name} started serving. {state.message}",
            )
        )
    if state.reason is StateReason.END_PASSED and campaign.end is not None and now - RECENT <= campaign.end <= now:
        found.append(
            _campaign_notice(
                campaign,
                NoticeKind.CAMPAIGN_ENDED,
                campaign.end.isoformat(),
                "Campaign ended",
                f"{name} has ended. {state.message} Its report stays on its page; duplicate it to run it again.",
            )
        )
    day = now.astimezone(network.tz).date().isoformat()
    total, daily = campaign.budget_total_micros, campaign.budget_daily_micros
    if state.reason is StateReason.TOTAL_BUDGET_SPENT:
        found.append(
            _campaign_notice(
                campaign,
                NoticeKind.BUDGET_SPENT,
                f"total:{total}",
                "Total budget spent",
                f"{name}: {state.message} {state.action or ''}".strip(),
            )
        )
    elif state.reason is StateReason.DAILY_BUDGET_SPENT:
        found.append(
            _campaign_notice(
                campaign,
                NoticeKind.BUDGET_SPENT,
                f"day:{day}",
                "Today's budget spent",
                f"{name}: {state.message} {state.action or ''}".strip(),
            )
        )
    elif state.code is StateCode.LIVE:
        use = network.counters.budget_use(campaign.id, day)
        used_total = _percent(use.spent_total + use.reserved_total, total)
        used_day = _percent(use.spent_day + use.reserved_day, daily) if daily else 0
        if used_total >= LOW_PERCENT:
            found.append(
                _campaign_notice(
                    campaign,
                    NoticeKind.BUDGET_LOW,
                    f"total:{total}",
                    "Total budget running low",
                    f"{name} has spent {used_total}% of its total budget of {network.money(total)}. "
                    "Raise the budget on its edit page to keep it running.",
                )
            )
        elif daily and used_day >= LOW_PERCENT:
            found.append(
                _campaign_notice(
                    campaign,
                    NoticeKind.BUDGET_LOW,
                    f"day:{day}",
                    "Today's budget running low",
                    f"{name} has spent {used_day}% of today's budget of {network.money(daily)}: it pauses when the "
                    "rest is spent and resumes tomorrow.",
                )
            )
    return found


def funds_notices(
    db: Session, campaigns: Iterable[Campaign], states: dict[str, CampaignState], network: Network, now: datetime
) -> list[NewNotice]:
    """Each brand's funds, told once per brand however many campaigns they stop."""
    out: dict[str, CampaignState] = {}
    serving: set[str] = set()
    for campaign in campaigns:
        state = states[campaign.id]
        if state.code is StateCode.OUT_OF_FUNDS:
            out.setdefault(campaign.advertiser_id, state)
        elif state.code in SERVING:
            serving.add(campaign.advertiser_id)
    funds = ledger.funds(db, out.keys() | serving)
    found = []
    for advertiser_id, state in out.items():
        if advertiser_id in funds:
            found.append(
                NewNotice(
                    advertiser_id,
                    NoticeKind.FUNDS_SPENT,
                    "advertiser",
                    advertiser_id,
                    f"funds:{funds[advertiser_id]}",
                    "Funds used up: delivery stopped",
                    f"{state.message} {state.action or ''}".strip(),
                    "/brand/billing",
                )
            )
    running = [a for a in serving - out.keys() if a in funds]
    if not running:
        return found
    spend = daily_spend(db, now.astimezone(network.tz).date(), running)
    for advertiser_id in sorted(running):
        available = network.counters.account_use(advertiser_id).left(funds[advertiser_id])
        warning = low_balance(available, spend.get(advertiser_id, 0), network.currency)
        if warning is None or warning.reason is not LowBalanceReason.UNDER_DAYS_OF_SPEND:
            continue
        days = warning.days_left or 0
        left = f"about {days:.1f} days" if days >= 1 else "less than a day"
        found.append(
            NewNotice(
                advertiser_id,
                NoticeKind.FUNDS_LOW,
                "advertiser",
                advertiser_id,
                f"funds:{funds[advertiser_id]}",
                "Funds running low",
                f"{network.money(max(0, available))} is left: {left} of spend at "
                f"{network.money(warning.daily_spend_micros)} a day. Top up before it runs out, "
                "or delivery stops.",
                "/brand/billing",
            )
        )
    return found


def sweep(db: Session, network: Network, now: datetime) -> list[str]:
    """Emit what holds now; the ids of the notices this call made (none already made)."""
    campaigns = list(
        db.scalars(
            select(Campaign)
            .where(Campaign.status != DeliveryStatus.ARCHIVED, or_(Campaign.end.is_(None), Campaign.end > now - RECENT))
            .order_by(Campaign.id)
        )
    )
    states = states_of(db, campaigns, network.counters, network.facts, now, network.tz, network.currency, network.money)
    notices = [n for c in campaigns for n in campaign_notices(c, states[c.id], network, now)]
    notices += funds_notices(db, campaigns, states, network, now)
    made = [emit(db, notice, now) for notice in notices]
    return [m for m in made if m is not None]

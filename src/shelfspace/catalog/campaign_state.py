"""What a campaign is right now, in one word and one sentence: the one place that decides it.

The brand's pages, the API's `state` on a campaign and the operator's delivery health all
read it here, so none of them calls "live" a campaign that cannot serve. A state is a code
(`StateCode`, the badge), a named reason (`StateReason`, finer), a sentence a marketer
understands and, where the brand can do something, what to do.

`decide` is pure: it reads `Facts` (the campaign's own fields, its line items' and
creatives' counts, its spend from the budget counters, its advertiser's funds). It mirrors
what the decision snapshot lets serve (delivery/snapshot_loader.py: a live campaign of an
active advertiser, not ended, with a live line item holding an approved creative) and what
the engine refuses (budgets and funds). Precedence, first match wins; each state hides
those below it because its fix comes first:

1. ended: archived, past its end, or its advertiser's account closed. Nothing else matters.
2. paused: the network suspended the account, or the brand paused the campaign (whatever
   else is wrong, the brand chose to stop it; resuming shows the rest).
   An account still awaiting the network's approval is "in review".
3. draft: no line item yet. Every line item paused reads "paused"; live line items without
   any creative read "draft" again (nothing to show).
4. in review: no approved creative on a live line item and at least one awaiting review
   (a replacement for a rejected one included).
5. creative rejected: every creative of the live line items was rejected. Before the dates:
   a campaign starting tomorrow whose only creative was rejected will not start.
6. out of funds: the advertiser's available funds are used up, by billing's own rule
   (core/minor_units.py `funds_used_up`: less than a cent left). Before
   "scheduled": an empty wallet will not let it start either.
7. scheduled: its start is still ahead.
8. limited by budget: the total budget spent, or today's daily budget (within 1%: the last
   ads leave a sliver no ad fits). The total first: raising the day's cap would not help.
9. live.

`states_of` reads the facts of many campaigns at once: one query per kind (advertisers,
funds, line items, creatives; the time delivery last spent only for advertisers out of
funds), then the budget counters per campaign, as the engine reads them.

Funds (billing's ledger) and the time an advertiser last spent (the rollups) belong to
packages above the catalogue, which cannot import them: they are asked of a
`CampaignFacts` handed in (reporting/campaign_facts.py implements it; create_app puts it
on the Runtime, and the notifications' sweep is given it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.catalog.enums import AdvertiserStatus, BillingMode, DeliveryStatus, ReviewStatus
from shelfspace.catalog.models import Advertiser, Campaign, Creative, LineItem
from shelfspace.core.minor_units import funds_used_up
from shelfspace.core.money_words import MoneyWords, plain_words
from shelfspace.counters.protocol import BudgetUse, Counters

if TYPE_CHECKING:
    from shelfspace.runtime import Runtime

BUDGET_SLACK = 100  # a budget with less than 1/100 of it left counts as spent


class StateCode(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CREATIVE_REJECTED = "creative_rejected"
    SCHEDULED = "scheduled"
    LIVE = "live"
    LIMITED_BY_BUDGET = "limited_by_budget"
    OUT_OF_FUNDS = "out_of_funds"
    PAUSED = "paused"
    ENDED = "ended"


class StateReason(StrEnum):
    """Why a campaign is in its state: each state's causes, named."""

    ARCHIVED = "archived"
    END_PASSED = "end_passed"
    ACCOUNT_CLOSED = "account_closed"
    ACCOUNT_SUSPENDED = "account_suspended"
    CAMPAIGN_PAUSED = "campaign_paused"
    LINE_ITEMS_PAUSED = "line_items_paused"
    NO_LINE_ITEMS = "no_line_items"
    NO_CREATIVES = "no_creatives"
    ACCOUNT_IN_REVIEW = "account_in_review"
    CREATIVES_IN_REVIEW = "creatives_in_review"
    CREATIVES_REJECTED = "creatives_rejected"
    WALLET_EMPTY = "wallet_empty"
    CREDIT_LIMIT_REACHED = "credit_limit_reached"
    STARTS_LATER = "starts_later"
    TOTAL_BUDGET_SPENT = "total_budget_spent"
    DAILY_BUDGET_SPENT = "daily_budget_spent"
    SERVING = "serving"


LABELS = {code: code.value.replace("_", " ").capitalize() for code in StateCode}
# The badge classes of static/shelfspace.css: red where delivery stopped against the brand's plan.
TONES = {
    StateCode.DRAFT: "",
    StateCode.IN_REVIEW: "warn",
    StateCode.CREATIVE_REJECTED: "bad",
    StateCode.SCHEDULED: "",
    StateCode.LIVE: "good",
    StateCode.LIMITED_BY_BUDGET: "warn",
    StateCode.OUT_OF_FUNDS: "bad",
    StateCode.PAUSED: "paused",
    StateCode.ENDED: "",
}
# Problems first: how a list of campaigns is sorted when it is sorted by state.
URGENCY = [
    StateCode.OUT_OF_FUNDS,
    StateCode.CREATIVE_REJECTED,
    StateCode.LIMITED_BY_BUDGET,
    StateCode.IN_REVIEW,
    StateCode.DRAFT,
    StateCode.LIVE,
    StateCode.SCHEDULED,
    StateCode.PAUSED,
    StateCode.ENDED,
]


class CampaignFacts(Protocol):
    """What a campaign's state needs from above the catalogue, for many advertisers at
    once (one query each, whatever their number)."""

    def funds(self, db: Session, advertiser_ids: Collection[str]) -> Mapping[str, int]:
        """The funds of those advertisers whose delivery they limit (prepaid, or credit
        with a limit), before the counters' spend; an advertiser absent has no limit."""
        ...

    def last_spent(self, db: Session, advertiser_ids: Collection[str], tz: ZoneInfo) -> Mapping[str, datetime]:
        """The start of the last local hour (in `tz`) each advertiser spent in; absent:
        it never spent."""
        ...


@dataclass(frozen=True, slots=True)
class CampaignState:
    code: StateCode
    reason: StateReason
    message: str  # what is happening, in plain words
    action: str | None = None  # what the brand can do about it
    since: datetime | None = None  # when it began, where known (out of funds: the last hour that spent)

    @property
    def label(self) -> str:
        return LABELS[self.code]

    @property
    def tone(self) -> str:
        return TONES[self.code]

    @property
    def serving(self) -> bool:
        return self.code is StateCode.LIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """Everything a campaign's state is decided from."""

    status: DeliveryStatus
    start: datetime
    end: datetime | None
    budget_total_micros: int
    budget_daily_micros: int | None
    advertiser_status: AdvertiserStatus = AdvertiserStatus.ACTIVE
    billing_mode: BillingMode = BillingMode.CREDIT
    line_items: int = 1  # not archived
    live_line_items: int = 1
    approved: int = 1  # the unarchived creatives of its live line items, by review
    pending: int = 0
    rejected_notes: tuple[str | None, ...] = ()  # one per rejected creative: the operator's reason
    use: BudgetUse = field(default_factory=lambda: BudgetUse(0, 0, 0, 0))
    available_micros: int | None = None  # the advertiser's funds left; None: no limit
    last_spent_at: datetime | None = None  # the start of the last local hour the advertiser spent in


def _day(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """ "3 Dec" in the network's time zone (with the year only when it is not this one)."""
    local = moment.astimezone(tz)
    year = f" {local.year}" if local.year != now.astimezone(tz).year else ""
    return f"{local.day} {local:%b}{year}"


def _when(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """ "3 Dec at 14:00" in the network's time zone."""
    return f"{_day(moment, tz, now)} at {moment.astimezone(tz):%H:%M}"


def _rejected(notes: Sequence[str | None]) -> str:
    """ "The only creative was rejected ("Logo too small")" or "All 3 creatives were rejected"."""
    given = [n.strip() for n in notes if n and n.strip()]
    why = f" (“{given[0]}”)" if len(given) == len(notes) and len(set(given)) == 1 else ""  # one reason for all
    if len(notes) == 1:
        return f"The only creative was rejected{why}"
    return f"All {len(notes)} creatives were rejected{why}"


def decide(facts: Facts, now: datetime, tz: ZoneInfo, currency: str, money: MoneyWords | None = None) -> CampaignState:
    """The campaign's state, by the precedence of the module's docstring."""
    words = money or plain_words(currency)  # the API's "1,234.50 USD"; the pages pass Babel's
    # 1. ended
    if facts.status is DeliveryStatus.ARCHIVED:
        return CampaignState(StateCode.ENDED, StateReason.ARCHIVED, "Archived: it no longer serves.")
    if facts.end is not None and facts.end <= now:
        return CampaignState(
            StateCode.ENDED, StateReason.END_PASSED, f"Ended on {_when(facts.end, tz, now)}.", since=facts.end
        )
    if facts.advertiser_status is AdvertiserStatus.ARCHIVED:
        return CampaignState(StateCode.ENDED, StateReason.ACCOUNT_CLOSED, "The account is closed: it no longer serves.")
    # 2. paused (the account awaiting approval: in review)
    if facts.advertiser_status is AdvertiserStatus.SUSPENDED:
        return CampaignState(
            StateCode.PAUSED,
            StateReason.ACCOUNT_SUSPENDED,
            "The network has suspended the account: no campaign serves.",
            "Contact the network to have the account reactivated.",
        )
    if facts.advertiser_status is AdvertiserStatus.PENDING:
        return CampaignState(
            StateCode.IN_REVIEW,
            StateReason.ACCOUNT_IN_REVIEW,
            "The network is reviewing the account: it serves once the account is approved.",
        )
    if facts.status is DeliveryStatus.PAUSED:
        return CampaignState(
            StateCode.PAUSED,
            StateReason.CAMPAIGN_PAUSED,
            "Paused: it serves no ads until it is resumed.",
            "Resume it to serve again.",
        )
    # 3. draft
    if facts.line_items == 0:
        return CampaignState(
            StateCode.DRAFT,
            StateReason.NO_LINE_ITEMS,
            "Not finished: it has no line item yet.",
            "Add a line item with its placements and bid.",
        )
    if facts.live_line_items == 0:
        return CampaignState(
            StateCode.PAUSED,
            StateReason.LINE_ITEMS_PAUSED,
            "Every line item is paused: nothing serves.",
            "Resume a line item to serve again.",
        )
    if facts.approved + facts.pending + len(facts.rejected_notes) == 0:
        return CampaignState(
            StateCode.DRAFT,
            StateReason.NO_CREATIVES,
            "Not finished: it has no creative yet.",
            "Add a creative to a line item.",
        )
    # 4, 5. the creatives
    if facts.approved == 0 and facts.pending:
        waiting = "Its creative is" if facts.pending == 1 else f"Its {facts.pending} creatives are"
        return CampaignState(
            StateCode.IN_REVIEW,
            StateReason.CREATIVES_IN_REVIEW,
            f"{waiting} waiting for the network's review: it serves once one is approved.",
        )
    if facts.approved == 0:
        replace = (
            "Replace it with a new creative; it goes"
            if len(facts.rejected_notes) == 1
            else "Replace them with new creatives; they go"
        )
        return CampaignState(
            StateCode.CREATIVE_REJECTED,
            StateReason.CREATIVES_REJECTED,
            f"{_rejected(facts.rejected_notes)}: nothing can serve.",
            f"{replace} back to review.",
        )
    # 6. funds
    if funds_used_up(facts.available_micros, currency):
        return _out_of_funds(facts, now, tz)
    # 7. dates
    if facts.start > now:
        return CampaignState(
            StateCode.SCHEDULED,
            StateReason.STARTS_LATER,
            f"Starts on {_when(facts.start, tz, now)}.",
            since=facts.start,
        )
    # 8. budgets
    use = facts.use
    total_left = facts.budget_total_micros - use.spent_total - use.reserved_total
    if total_left <= facts.budget_total_micros // BUDGET_SLACK:
        return CampaignState(
            StateCode.LIMITED_BY_BUDGET,
            StateReason.TOTAL_BUDGET_SPENT,
            f"The total budget of {words(facts.budget_total_micros)} is spent: delivery has stopped.",
            "Raise the total budget to keep it running.",
        )
    daily = facts.budget_daily_micros
    if daily is not None and daily - use.spent_day - use.reserved_day <= daily // BUDGET_SLACK:
        return CampaignState(
            StateCode.LIMITED_BY_BUDGET,
            StateReason.DAILY_BUDGET_SPENT,
            f"Today's budget of {words(daily)} is spent: delivery resumes tomorrow.",
            "Raise the daily budget to deliver more each day.",
        )
    # 9. live
    return CampaignState(
        StateCode.LIVE,
        StateReason.SERVING,
        f"Serving: {words(use.spent_total)} of {words(facts.budget_total_micros)} spent.",
        _live_note(facts),
    )


def _live_note(facts: Facts) -> str | None:
    """A live campaign's creatives that do not serve, in a word."""
    if facts.rejected_notes:
        count = len(facts.rejected_notes)
        return (
            f"{count} creative{' was' if count == 1 else 's were'} rejected: replace "
            f"{'it' if count == 1 else 'them'} to serve {'it' if count == 1 else 'them'} too."
        )
    return None


def _out_of_funds(facts: Facts, now: datetime, tz: ZoneInfo) -> CampaignState:
    prepaid = facts.billing_mode is BillingMode.PREPAID
    reason = StateReason.WALLET_EMPTY if prepaid else StateReason.CREDIT_LIMIT_REACHED
    what = "The prepaid funds are used up" if prepaid else "The credit limit is reached"
    action = (
        "Top up the wallet to resume delivery."
        if prepaid
        else "Pay the open invoices or ask the network to raise the credit limit."
    )
    spent = facts.last_spent_at
    if spent is None:
        start = "Top up the wallet to start delivery." if prepaid else action
        return CampaignState(StateCode.OUT_OF_FUNDS, reason, f"{what}: delivery cannot start.", start)
    local = spent.astimezone(tz)
    stopped = f"{_day(spent, tz, now)} between {local:%H:%M} and {local + timedelta(hours=1):%H:%M}"
    return CampaignState(StateCode.OUT_OF_FUNDS, reason, f"{what}: delivery stopped on {stopped}.", action, since=spent)


# --- many campaigns at once ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Creatives:
    approved: int = 0
    pending: int = 0
    rejected_notes: tuple[str | None, ...] = ()


def _creatives_by_campaign(
    db: Session, campaign_ids: list[str]
) -> tuple[dict[str, Counter[DeliveryStatus]], dict[str, _Creatives]]:
    line_items: dict[str, Counter[DeliveryStatus]] = {}
    for campaign_id, status, count in db.execute(
        select(LineItem.campaign_id, LineItem.status, func.count())
        .where(LineItem.campaign_id.in_(campaign_ids), LineItem.status != DeliveryStatus.ARCHIVED)
        .group_by(LineItem.campaign_id, LineItem.status)
    ):
        line_items.setdefault(campaign_id, Counter())[DeliveryStatus(status)] += int(count)
    approved: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    notes: dict[str, list[str | None]] = {}
    for campaign_id, reviewed, note in db.execute(
        select(LineItem.campaign_id, Creative.status, Creative.review_note)
        .join(LineItem, Creative.line_item_id == LineItem.id)
        .where(
            LineItem.campaign_id.in_(campaign_ids),
            LineItem.status == DeliveryStatus.LIVE,
            Creative.archived_at.is_(None),
        )
    ):
        review = ReviewStatus(reviewed)
        if review is ReviewStatus.APPROVED:
            approved[campaign_id] += 1
        elif review is ReviewStatus.PENDING:
            pending[campaign_id] += 1
        else:
            notes.setdefault(campaign_id, []).append(note)
    creatives = {
        cid: _Creatives(approved[cid], pending[cid], tuple(notes.get(cid, ())))
        for cid in set(approved) | set(pending) | set(notes)
    }
    return line_items, creatives


def states_of(
    db: Session,
    campaigns: Iterable[Campaign],
    counters: Counters,
    facts: CampaignFacts,
    now: datetime,
    tz: ZoneInfo,
    currency: str,
    money: MoneyWords | None = None,
) -> dict[str, CampaignState]:
    """Each campaign's state, by campaign id."""
    rows = list(campaigns)
    if not rows:
        return {}
    ids = [c.id for c in rows]
    advertiser_ids = {c.advertiser_id for c in rows}
    accounts = {
        a: (AdvertiserStatus(s), BillingMode(m))
        for a, s, m in db.execute(
            select(Advertiser.id, Advertiser.status, Advertiser.billing_mode).where(Advertiser.id.in_(advertiser_ids))
        )
    }
    funds = facts.funds(db, advertiser_ids)
    available = {a: counters.account_use(a).left(f) for a, f in funds.items()}
    line_items, creatives = _creatives_by_campaign(db, ids)
    dry = {a for a, left in available.items() if funds_used_up(left, currency)}
    last_spent = facts.last_spent(db, dry, tz) if dry else {}
    day = now.astimezone(tz).date().isoformat()
    found: dict[str, CampaignState] = {}
    for campaign in rows:
        status, mode = accounts.get(campaign.advertiser_id, (AdvertiserStatus.ARCHIVED, BillingMode.CREDIT))
        items = line_items.get(campaign.id, Counter())
        made = creatives.get(campaign.id, _Creatives())
        known = Facts(
            status=campaign.status,
            start=campaign.start,
            end=campaign.end,
            budget_total_micros=campaign.budget_total_micros,
            budget_daily_micros=campaign.budget_daily_micros,
            advertiser_status=status,
            billing_mode=mode,
            line_items=sum(items.values()),
            live_line_items=items[DeliveryStatus.LIVE],
            approved=made.approved,
            pending=made.pending,
            rejected_notes=made.rejected_notes,
            use=counters.budget_use(campaign.id, day),
            available_micros=available.get(campaign.advertiser_id),
            last_spent_at=last_spent.get(campaign.advertiser_id),
        )
        found[campaign.id] = decide(known, now, tz, currency, money)
    return found


def states_now(
    db: Session, campaigns: Iterable[Campaign], rt: Runtime, money: MoneyWords | None = None
) -> dict[str, CampaignState]:
    """`states_of` with the app's counters, campaign facts, clock, time zone and currency
    (its runtime): what the API and the pages call."""
    settings = rt.settings
    now, tz = rt.clock.now(), ZoneInfo(settings.timezone)
    return states_of(db, campaigns, rt.counters, rt.campaign_facts, now, tz, settings.currency, money)


class Stated:
    """A campaign read with its state, for `CampaignOut` (which reads attributes): the
    campaign's own attributes, and `state`."""

    __slots__ = ("_campaign", "state")

    def __init__(self, campaign: Campaign, state: CampaignState) -> None:
        self._campaign = campaign
        self.state = state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._campaign, name)

"""Advertisers' accounts: balances, the ledger as a brand reads it, top-ups, credits, refunds.

Every write here changes an advertiser's funds, so it moves the catalogue version in the
same transaction: each process's snapshot takes the new funds within a poll, and the
next reservation is made against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.billing import ledger
from shelfspace.billing.models import EntryKind, LedgerEntry
from shelfspace.billing.providers import Transfer, provider
from shelfspace.billing.schemas import BalanceOut, CreditIn, LedgerEntryOut, LedgerOut, RefundIn, TopUpIn
from shelfspace.catalog.enums import AdvertiserStatus, BillingMode
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.catalog.ownership import owner_for_new
from shelfspace.catalog.services import advertisers
from shelfspace.catalog.version import bump_catalogue_version
from shelfspace.core.errors import InvalidInput
from shelfspace.core.money import from_micros, to_micros
from shelfspace.counters.protocol import Counters

KIND = "billing"


@dataclass(frozen=True, slots=True)
class Account:
    """An advertiser's money as the engine sees it right now."""

    advertiser: Advertiser
    balance_micros: int  # the ledger's
    funds_micros: int | None  # what all charges may reach; None: no limit
    spent_micros: int  # every charge so far, posted or not (the counters)
    reserved_micros: int

    @property
    def available_micros(self) -> int | None:
        if self.funds_micros is None:
            return None
        return self.funds_micros - self.spent_micros - self.reserved_micros


def _payee(db: Session, by: Principal, advertiser_id: str, action: str) -> Advertiser:
    """The advertiser money is recorded for: operators only, and an unknown or archived id
    is bad input, as when a new object names its advertiser."""
    by.require_operator(action)
    advertiser = db.get(Advertiser, owner_for_new(db, by, advertiser_id))
    assert advertiser is not None  # owner_for_new checked it
    return advertiser


def account(db: Session, advertiser: Advertiser, counters: Counters) -> Account:
    paid_in = int(
        db.scalar(
            select(func.sum(LedgerEntry.amount_micros)).where(
                LedgerEntry.advertiser_id == advertiser.id, LedgerEntry.kind != EntryKind.CHARGE
            )
        )
        or 0
    )
    use = counters.account_use(advertiser.id)
    return Account(
        advertiser,
        ledger.balance(db, advertiser.id),
        ledger.funds_of(BillingMode(advertiser.billing_mode), advertiser.credit_limit_micros, paid_in),
        use.spent,
        use.reserved,
    )


def every_account(db: Session, counters: Counters) -> list[Account]:
    """Every advertiser not archived, by name: three queries for all of them."""
    advertisers = list(
        db.scalars(select(Advertiser).where(Advertiser.status != AdvertiserStatus.ARCHIVED).order_by(Advertiser.name))
    )
    balances, funds = ledger.balances(db), ledger.funds(db)
    found = []
    for advertiser in advertisers:
        use = counters.account_use(advertiser.id)
        found.append(
            Account(advertiser, balances.get(advertiser.id, 0), funds.get(advertiser.id), use.spent, use.reserved)
        )
    return found


def balance_out(db: Session, by: Principal, advertiser_id: str, counters: Counters, currency: str) -> BalanceOut:
    found = account(db, advertisers.get(db, by, advertiser_id), counters)
    posted_charges = -int(
        db.scalar(
            select(func.sum(LedgerEntry.amount_micros)).where(
                LedgerEntry.advertiser_id == advertiser_id, LedgerEntry.kind == EntryKind.CHARGE
            )
        )
        or 0
    )
    mode = BillingMode(found.advertiser.billing_mode)
    return BalanceOut(
        advertiser_id=advertiser_id,
        mode=mode,
        currency=currency,
        balance=found.balance_micros,
        credit_limit=found.advertiser.credit_limit_micros if mode is BillingMode.CREDIT else None,
        available=found.available_micros,
        reserved=found.reserved_micros,
        unposted=max(0, found.spent_micros - posted_charges),
    )


def entries(
    db: Session, by: Principal, advertiser_id: str, start: date | None, end: date | None, currency: str
) -> LedgerOut:
    """The advertiser's entries on days `start`..`end` (both included), oldest first, each
    with the balance after it; the balance before the first and after the last."""
    advertiser = advertisers.get(db, by, advertiser_id)
    if start is not None and end is not None and end < start:
        raise InvalidInput.on("to", "must not be before `from`")
    opening = 0
    if start is not None:
        opening = int(
            db.scalar(
                select(func.sum(LedgerEntry.amount_micros)).where(
                    LedgerEntry.advertiser_id == advertiser.id, LedgerEntry.day < start
                )
            )
            or 0
        )
    stmt = select(LedgerEntry).where(LedgerEntry.advertiser_id == advertiser.id)
    if start is not None:
        stmt = stmt.where(LedgerEntry.day >= start)
    if end is not None:
        stmt = stmt.where(LedgerEntry.day <= end)
    running = opening
    out: list[LedgerEntryOut] = []
    for entry in db.scalars(stmt.order_by(LedgerEntry.day, LedgerEntry.id)):
        running += entry.amount_micros
        out.append(entry_out(entry, running))
    return LedgerOut(
        advertiser_id=advertiser.id,
        currency=currency,
        start=start,
        end=end,
        opening_balance=opening,
        closing_balance=running,
        entries=out,
    )


def _moved(db: Session, by: Principal, entry: LedgerEntry, what: str) -> LedgerEntry:
    bump_catalogue_version(db)  # the funds changed: every snapshot reloads them
    record(
        db,
        by,
        AuditAction.CREATE,
        KIND,
        str(entry.id),
        {
            "advertiser_id": entry.advertiser_id,
            "kind": what,
            "amount_micros": entry.amount_micros,
            "reference": entry.reference,
            "provider": entry.provider,
        },
        advertiser_id=entry.advertiser_id,
    )
    return entry


def top_up(db: Session, by: Principal, advertiser_id: str, spec: TopUpIn, now: datetime, tz: ZoneInfo) -> LedgerEntry:
    advertiser = _payee(db, by, advertiser_id, "record top-ups")
    receipt = provider(spec.provider).receive(Transfer(to_micros(spec.amount), spec.reference, now))
    entry = ledger.post(
        db,
        advertiser_id=advertiser.id,
        kind=EntryKind.TOP_UP,
        amount_micros=receipt.amount_micros,
        day=now.astimezone(tz).date(),
        time=receipt.at,
        actor=by.actor,
        reference=receipt.reference,
        provider=receipt.provider,
    )
    return _moved(db, by, entry, EntryKind.TOP_UP)


def credit(db: Session, by: Principal, advertiser_id: str, spec: CreditIn, now: datetime, tz: ZoneInfo) -> LedgerEntry:
    advertiser = _payee(db, by, advertiser_id, "give credits")
    if spec.campaign_id is not None:
        campaign = db.get(Campaign, spec.campaign_id)
        if campaign is None or campaign.advertiser_id != advertiser.id:
            raise InvalidInput.on("campaign_id", f"no campaign {spec.campaign_id!r} of this advertiser")
    entry = ledger.post(
        db,
        advertiser_id=advertiser.id,
        kind=EntryKind.CREDIT,
        amount_micros=to_micros(spec.amount),
        day=now.astimezone(tz).date(),
        time=now,
        actor=by.actor,
        campaign_id=spec.campaign_id,
        reference=spec.reason,
    )
    return _moved(db, by, entry, EntryKind.CREDIT)


def refund(
    db: Session, by: Principal, advertiser_id: str, spec: RefundIn, now: datetime, tz: ZoneInfo, counters: Counters
) -> LedgerEntry:
    """Money back out of a wallet: never more than it could still spend."""
    advertiser = _payee(db, by, advertiser_id, "record refunds")
    amount = to_micros(spec.amount)
    found = account(db, advertiser, counters)
    room = found.available_micros if found.available_micros is not None else found.balance_micros
    if amount > room:
        raise InvalidInput.on("amount", f"more than the {from_micros(max(0, room))} the account has available")
    receipt = provider(spec.provider).pay_out(Transfer(amount, spec.reference, now))
    entry = ledger.post(
        db,
        advertiser_id=advertiser.id,
        kind=EntryKind.REFUND,
        amount_micros=-receipt.amount_micros,
        day=now.astimezone(tz).date(),
        time=receipt.at,
        actor=by.actor,
        reference=receipt.reference,
        provider=receipt.provider,
    )
    return _moved(db, by, entry, EntryKind.REFUND)


def entry_out(entry: LedgerEntry, balance_after: int) -> LedgerEntryOut:
    """One ledger line as the API shows it, with the balance once it was booked."""
    return LedgerEntryOut.model_validate(
        {
            "id": entry.id,
            "time": entry.time,
            "day": entry.day,
            "kind": entry.kind,
            "amount_micros": entry.amount_micros,
            "campaign_id": entry.campaign_id,
            "reference": entry.reference,
            "provider": entry.provider,
            "balance_after": balance_after,
        }
    )

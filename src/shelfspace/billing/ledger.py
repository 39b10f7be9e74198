"""The ledger: writing entries (each with its two postings) and reading sums from them.

Nothing here updates or deletes a row. A balance is the sum of an account's postings; a
wallet's funds (what its campaigns may be charged in all) are every entry but charges,
plus the credit limit. Charges come from the rollups: `post_charges` makes the ledger's
charges for a campaign and day equal the rollups' spend for it, by appending the
difference, in the rollup's own transaction. The rollup job reads that spend and hands it
in (reporting/spend.py): the rollups stand above billing, which never reads them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.billing.models import (
    COUNTER_ACCOUNT,
    EntryKind,
    LedgerEntry,
    LedgerPosting,
    advertiser_account,
)
from shelfspace.catalog.enums import BillingMode
from shelfspace.catalog.models import Advertiser

ROLLUP_ACTOR = "rollup"


def post(
    db: Session,
    *,
    advertiser_id: str,
    kind: EntryKind,
    amount_micros: int,
    day: date,
    time: datetime,
    actor: str,
    campaign_id: str | None = None,
    reference: str | None = None,
    provider: str | None = None,
) -> LedgerEntry:
    """Append one entry and its two postings: the advertiser's side and the other side."""
    entry = LedgerEntry(
        time=time,
        day=day,
        advertiser_id=advertiser_id,
        kind=kind,
        amount_micros=amount_micros,
        campaign_id=campaign_id,
        reference=reference,
        provider=provider,
        actor=actor,
    )
    db.add(entry)
    db.flush()
    db.add_all(
        [
            LedgerPosting(entry_id=entry.id, account=advertiser_account(advertiser_id), amount_micros=amount_micros),
            LedgerPosting(entry_id=entry.id, account=COUNTER_ACCOUNT[kind], amount_micros=-amount_micros),
        ]
    )
    return entry


def balance(db: Session, advertiser_id: str) -> int:
    """What the advertiser holds (negative: what it owes), from its account's postings."""
    total = db.scalar(
        select(func.sum(LedgerPosting.amount_micros)).where(LedgerPosting.account == advertiser_account(advertiser_id))
    )
    return int(total or 0)


def balances(db: Session) -> dict[str, int]:
    """Every advertiser's balance, by advertiser id."""
    prefix = advertiser_account("")
    rows = db.execute(
        select(LedgerPosting.account, func.sum(LedgerPosting.amount_micros))
        .where(LedgerPosting.account.startswith(prefix))
        .group_by(LedgerPosting.account)
    )
    return {account.removeprefix(prefix): int(total) for account, total in rows}


def account_sums(db: Session) -> dict[str, int]:
    """Each of the network's accounts' sums (bank, revenue, allowances) and the advertisers'
    together under "advertisers": the books balance when they add up to zero."""
    sums: dict[str, int] = defaultdict(int)
    for account, total in db.execute(
        select(LedgerPosting.account, func.sum(LedgerPosting.amount_micros)).group_by(LedgerPosting.account)
    ):
        sums["advertisers" if account.startswith(advertiser_account("")) else account] += int(total)
    return dict(sums)


def _paid_in(db: Session, advertiser_ids: Iterable[str] | None = None) -> dict[str, int]:
    """Top-ups and credits less refunds, by advertiser: every entry but charges."""
    stmt = (
        select(LedgerEntry.advertiser_id, func.sum(LedgerEntry.amount_micros))
        .where(LedgerEntry.kind != EntryKind.CHARGE)
        .group_by(LedgerEntry.advertiser_id)
    )
    if advertiser_ids is not None:
        stmt = stmt.where(LedgerEntry.advertiser_id.in_(list(advertiser_ids)))
    return {advertiser: int(total) for advertiser, total in db.execute(stmt)}


def funds_of(mode: BillingMode, credit_limit_micros: int | None, paid_in_micros: int) -> int | None:
    """What all of an advertiser's charges may reach; None means no limit."""
    if mode is BillingMode.PREPAID:
        return paid_in_micros
    if credit_limit_micros is None:
        return None
    return credit_limit_micros + paid_in_micros


def funds(db: Session, advertiser_ids: Iterable[str] | None = None) -> dict[str, int]:
    """The funds of every advertiser whose delivery is limited by them (of these only,
    when `advertiser_ids` is given)."""
    stmt = select(Advertiser.id, Advertiser.billing_mode, Advertiser.credit_limit_micros)
    if advertiser_ids is not None:
        stmt = stmt.where(Advertiser.id.in_(list(advertiser_ids)))
    accounts = [(a, BillingMode(m), limit) for a, m, limit in db.execute(stmt)]
    limited = [a for a in accounts if a[1] is BillingMode.PREPAID or a[2] is not None]
    paid_in = _paid_in(db, [a for a, _, _ in limited])
    result: dict[str, int] = {}
    for advertiser_id, mode, limit in limited:
        value = funds_of(mode, limit, paid_in.get(advertiser_id, 0))
        if value is not None:
            result[advertiser_id] = value
    return result


@dataclass(frozen=True, slots=True)
class ChargeKey:
    advertiser_id: str
    campaign_id: str
    day: date


def post_charges(db: Session, days: Iterable[date], spend: Mapping[ChargeKey, int], time: datetime) -> int:
    """Make the ledger's charges for these days equal the rollups' `spend` on them (per
    campaign and day, every one of these days'): append, per campaign and day, the
    difference (new spend, or spend a rebuilt day no longer has). Returns how many entries
    were appended."""
    wanted_days = sorted(set(days))
    if not wanted_days:
        return 0
    charged: dict[ChargeKey, int] = defaultdict(int)
    for posted_ in db.execute(
        select(LedgerEntry.advertiser_id, LedgerEntry.campaign_id, LedgerEntry.day, func.sum(LedgerEntry.amount_micros))
        .where(LedgerEntry.kind == EntryKind.CHARGE, LedgerEntry.day.in_(wanted_days))
        .group_by(LedgerEntry.advertiser_id, LedgerEntry.campaign_id, LedgerEntry.day)
    ):
        charged[ChargeKey(posted_[0], posted_[1] or "", posted_[2])] -= int(posted_[3])
    known = set(
        db.scalars(
            select(Advertiser.id).where(
                Advertiser.id.in_({k.advertiser_id for k in spend} | {k.advertiser_id for k in charged})
            )
        )
    )
    posted = 0
    for key in sorted(set(spend) | set(charged), key=lambda k: (k.day, k.advertiser_id, k.campaign_id)):
        if key.advertiser_id not in known:  # events of an advertiser the catalogue never had: no account
            continue
        difference = spend.get(key, 0) - charged.get(key, 0)
        if difference:
            post(
                db,
                advertiser_id=key.advertiser_id,
                kind=EntryKind.CHARGE,
                amount_micros=-difference,
                day=key.day,
                time=time,
                actor=ROLLUP_ACTOR,
                campaign_id=key.campaign_id,
            )
            posted += 1
    return posted

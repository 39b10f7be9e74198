"""The demo's month end: invoices for the month that ended during the replayed week, and
receipts on demand for prepaid brands, each checked against the report of its period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import SYSTEM
from shelfspace.billing import invoices
from shelfspace.billing.currency import decimals, display, round_micros
from shelfspace.billing.models import DocumentKind, EntryKind, Invoice, InvoiceLine, LedgerEntry
from shelfspace.catalog.enums import BillingMode
from shelfspace.catalog.models import Advertiser
from shelfspace.config import Settings
from shelfspace.core.money import MICROS_PER_UNIT, to_micros
from shelfspace.reporting.report import Grouping, ReportQuery, build_report


@dataclass(frozen=True, slots=True)
class DocumentCheck:
    """One issued document beside the report of the same advertiser and days."""

    advertiser: str
    number: str
    kind: DocumentKind
    period: tuple[date, date]
    subtotal_micros: int
    lines: dict[str, int]  # campaign id -> the line's amount
    reported: dict[str, int]  # campaign id -> the report's spend
    currency: str

    @property
    def matches(self) -> bool:
        """The subtotal is the report's spend to the cent; each line is within a cent of its
        campaign's (lines add up to the subtotal, so one may carry a rounded-away half cent)."""
        unit = MICROS_PER_UNIT // 10 ** decimals(self.currency)
        total = round_micros(sum(self.reported.values()), self.currency)
        close = all(abs(amount - self.reported.get(campaign, 0)) < unit for campaign, amount in self.lines.items())
        return self.subtotal_micros == total and close

    def line(self) -> str:
        sign = "=" if self.matches else "!="
        return (
            f"{self.kind.value.replace('_', ' ')} {self.number} for {self.advertiser}, {self.period[0]} to "
            f"{self.period[1]}: {display(self.subtotal_micros, self.currency)} {self.currency} {sign} report "
            f"{display(sum(self.reported.values()), self.currency)}"
        )


@dataclass(frozen=True, slots=True)
class WalletState:
    advertiser: str
    topped_up_micros: int
    spent_micros: int
    last_charged: date | None
    currency: str

    def line(self) -> str:
        left = self.topped_up_micros - self.spent_micros
        state = (
            f"used up, delivery stopped after {self.last_charged}"
            if left < to_micros(Decimal("0.01"))
            else f"{display(left, self.currency)} left"
        )
        return (
            f"{self.advertiser} (prepaid): topped up {display(self.topped_up_micros, self.currency)}, "
            f"spent {display(self.spent_micros, self.currency)}; wallet {state}"
        )


def _last_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def issue_demo_documents(db: Session, settings: Settings, now: datetime) -> list[DocumentCheck]:
    """Invoices for last month, then receipts for prepaid brands up to yesterday."""
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    issued = invoices.issue_month_for_all(db, SYSTEM, _last_month(today), settings, now)
    for advertiser in db.scalars(select(Advertiser).where(Advertiser.billing_mode == BillingMode.PREPAID)):
        receipt = invoices.issue_through(db, SYSTEM, advertiser, today - timedelta(days=1), settings, now)
        if receipt is not None:
            issued.append(receipt)
    return [_check(db, settings, invoice) for invoice in issued]


def _check(db: Session, settings: Settings, invoice: Invoice) -> DocumentCheck:
    query = ReportQuery(
        invoice.period_start, invoice.period_end, (Grouping.CAMPAIGN,), advertiser_id=invoice.advertiser_id
    )
    report = build_report(db, query, settings.attribution_windows(), settings.timezone)
    lines = {
        line.campaign_id or "": line.amount_micros
        for line in db.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    }
    return DocumentCheck(
        str(invoice.buyer["name"]),
        invoice.number,
        invoice.kind,
        (invoice.period_start, invoice.period_end),
        invoice.subtotal_micros,
        lines,
        {row["campaign_id"]: to_micros(row["spend"]) for row in report.rows},
        invoice.currency,
    )


def wallets(db: Session, currency: str) -> list[WalletState]:
    """Each prepaid brand's wallet: what it put in, what delivery took, when it last did."""
    states = []
    for advertiser in db.scalars(
        select(Advertiser).where(Advertiser.billing_mode == BillingMode.PREPAID).order_by(Advertiser.name)
    ):
        sums = dict(
            db.execute(
                select(LedgerEntry.kind, func.sum(LedgerEntry.amount_micros))
                .where(LedgerEntry.advertiser_id == advertiser.id)
                .group_by(LedgerEntry.kind)
            ).all()
        )
        last = db.scalar(
            select(func.max(LedgerEntry.day)).where(
                LedgerEntry.advertiser_id == advertiser.id, LedgerEntry.kind == EntryKind.CHARGE
            )
        )
        states.append(
            WalletState(
                advertiser.name, int(sums.get(EntryKind.TOP_UP, 0)), -int(sums.get(EntryKind.CHARGE, 0)), last, currency
            )
        )
    return states

"""Invoices, receipts and credit notes: issued from the ledger, numbered, never changed.

A document takes the advertiser's charges and credits not yet billed, up to a day that
has ended (the month's last, or any on demand), one line per campaign and one per
credit. The subtotal is their exact sum rounded to the currency's minor unit, so it is
the report's spend for the same days to the cent; the lines are in whole minor units
that add up to it, each within a unit of its campaign's spend.
A credit account gets an invoice, due in the payment terms; a prepaid one a receipt,
already paid from its wallet. A correction is a credit note, which gives the money back
through the ledger. Numbers run 1, 2, 3... across the network, in issue order.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.roles import Principal
from shelfspace.billing import ledger
from shelfspace.billing.currency import allocate, display, round_micros, share_of
from shelfspace.billing.models import (
    DocumentKind,
    EntryKind,
    Invoice,
    InvoiceCounter,
    InvoicedEntry,
    InvoiceLine,
    InvoicePayment,
    LedgerEntry,
)
from shelfspace.billing.providers import Transfer, provider
from shelfspace.billing.schemas import CreditNoteIn, InvoiceIn, InvoiceLineOut, InvoiceOut, PaymentIn
from shelfspace.catalog.enums import BillingMode
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.catalog.version import bump_catalogue_version
from shelfspace.config import Settings
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.core.money import to_micros

KIND = "invoice"
COUNTER_ROW = 1
BILLED_KINDS = (EntryKind.CHARGE, EntryKind.CREDIT)


class Status(StrEnum):
    PAID = "paid"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    CREDITED = "credited"  # a credit note: it pays back, nothing is due


DUE = (Status.UNPAID, Status.OVERDUE)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date


def month_period(month: str, today: date) -> Period:
    """The month's days, if it has ended in the network's time zone."""
    year, number = (int(part) for part in month.split("-"))
    start = date(year, number, 1)
    end = date(year, number, calendar.monthrange(year, number)[1])
    if end >= today:
        raise InvalidInput.on("month", f"{month} has not ended: it can be invoiced from {end + timedelta(days=1)}")
    return Period(start, end)


def _through(spec: InvoiceIn, today: date) -> date:
    if spec.month is not None and spec.through is not None:
        raise InvalidInput.on("through", "give `month` or `through`, not both")
    if spec.month is not None:
        return month_period(spec.month, today).end
    through = spec.through or today - timedelta(days=1)
    if through >= today:
        raise InvalidInput.on("through", f"{through} has not ended: events of that day may still arrive")
    return through


def _next_number(db: Session, prefix: str) -> tuple[int, str]:
    """The network's next number, taken in the issuing transaction (the row stays locked
    until it commits, so two issuers wait for each other rather than share a number)."""
    moved = db.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.id == COUNTER_ROW)
        .values(last=InvoiceCounter.last + 1)
        .returning(InvoiceCounter.last)
    ).scalar()
    if moved is None:
        db.add(InvoiceCounter(id=COUNTER_ROW, last=1))
        db.flush()
        moved = 1
    return int(moved), f"{prefix}-{int(moved):06d}"


def _seller(settings: Settings) -> dict[str, object]:
    address = [line.strip() for line in settings.company_address.replace(";", "\n").splitlines() if line.strip()]
    return {
        "name": settings.company_name or settings.network_name,
        "address": address,
        "tax_id": settings.company_tax_id,
    }


def _buyer(advertiser: Advertiser) -> dict[str, object]:
    return {"id": advertiser.id, "name": advertiser.name, "domain": advertiser.domain}


def unbilled(db: Session, advertiser_id: str, through: date) -> list[LedgerEntry]:
    """Charges and credits up to `through` that no document has taken yet."""
    taken = select(InvoicedEntry.entry_id)
    return list(
        db.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.advertiser_id == advertiser_id,
                LedgerEntry.kind.in_(BILLED_KINDS),
                LedgerEntry.day <= through,
                LedgerEntry.id.not_in(taken),
            )
            .order_by(LedgerEntry.day, LedgerEntry.id)
        )
    )


def _lines(db: Session, taken: list[LedgerEntry], currency: str) -> list[tuple[str, str | None, int]]:
    """(description, campaign, net amount): a line per campaign's charges, one per credit,
    in minor units that add up to the exact total rounded (see `currency.allocate`)."""
    charges: dict[str, int] = defaultdict(int)
    days: dict[str, list[date]] = defaultdict(list)
    credits: list[LedgerEntry] = []
    for entry in taken:
        if entry.kind is EntryKind.CHARGE:
            charges[entry.campaign_id or ""] += -entry.amount_micros
            days[entry.campaign_id or ""].append(entry.day)
        else:
            credits.append(entry)
    names = {c: n for c, n in db.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(list(charges))))}
    exact: list[tuple[str, str | None, int]] = []
    for campaign_id in sorted(charges, key=lambda c: (min(days[c]), names.get(c, c))):
        first, last = min(days[campaign_id]), max(days[campaign_id])
        span = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        exact.append(
            (f"{names.get(campaign_id, campaign_id)}: delivery {span}", campaign_id or None, charges[campaign_id])
        )
    exact += [
        (f"Credit: {entry.reference or 'adjustment'}", entry.campaign_id, -entry.amount_micros) for entry in credits
    ]
    amounts = allocate([amount for _, _, amount in exact], currency)
    return [(text, campaign, amount) for (text, campaign, _), amount in zip(exact, amounts, strict=True) if amount]


def _write(
    db: Session,
    settings: Settings,
    advertiser: Advertiser,
    kind: DocumentKind,
    period: Period,
    lines: list[tuple[str, str | None, int]],
    now: datetime,
    tax_rate: Decimal,
    corrects: Invoice | None = None,
    note: str | None = None,
) -> Invoice:
    subtotal = sum(amount for _, _, amount in lines)
    tax = share_of(subtotal, tax_rate, settings.currency)
    sequence, number = _next_number(db, settings.invoice_prefix)
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    invoice = Invoice(
        id=new_id("inv"),
        number=number,
        sequence=sequence,
        kind=kind,
        advertiser_id=advertiser.id,
        period_start=period.start,
        period_end=period.end,
        issued_at=now,
        due_on=today + timedelta(days=settings.payment_terms_days) if kind is DocumentKind.INVOICE else None,
        currency=settings.currency,
        subtotal_micros=subtotal,
        tax_rate=format(tax_rate.normalize(), "f"),
        tax_label=settings.tax_label,
        tax_micros=tax,
        total_micros=subtotal + tax,
        corrects_id=corrects.id if corrects else None,
        note=note,
        seller=_seller(settings),
        buyer=_buyer(advertiser),
    )
    db.add(invoice)
    db.flush()
    db.add_all(
        InvoiceLine(
            invoice_id=invoice.id, position=i, description=text[:300], campaign_id=campaign, amount_micros=amount
        )
        for i, (text, campaign, amount) in enumerate(lines, 1)
    )
    return invoice


def _tax_rate(settings: Settings, kind: DocumentKind) -> Decimal:
    if kind is DocumentKind.RECEIPT and not settings.tax_on_prepaid_receipts:
        return Decimal(0)
    return settings.tax_rate


def issue(db: Session, by: Principal, spec: InvoiceIn, settings: Settings, now: datetime) -> Invoice:
    """Bill what the advertiser has not been billed for, up to the month's end or `through`."""
    advertiser = db.get(Advertiser, spec.advertiser_id)
    if advertiser is None or not by.owns(advertiser.id):
        raise InvalidInput.on("advertiser_id", f"no advertiser {spec.advertiser_id!r}")
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    through = _through(spec, today)
    invoice = issue_through(
        db, by, advertiser, through, settings, now, month_period(spec.month, today).start if spec.month else None
    )
    if invoice is None:
        raise InvalidInput.on(
            "month" if spec.month else "through", f"nothing to invoice: every charge up to {through} is billed already"
        )
    return invoice


def issue_through(
    db: Session,
    by: Principal,
    advertiser: Advertiser,
    through: date,
    settings: Settings,
    now: datetime,
    month_start: date | None = None,
) -> Invoice | None:
    taken = unbilled(db, advertiser.id, through)
    lines = _lines(db, taken, settings.currency)
    if not lines:
        return None
    kind = DocumentKind.RECEIPT if BillingMode(advertiser.billing_mode) is BillingMode.PREPAID else DocumentKind.INVOICE
    first = min(e.day for e in taken)
    period = Period(min(first, month_start) if month_start else first, through)
    invoice = _write(db, settings, advertiser, kind, period, lines, now, _tax_rate(settings, kind))
    db.add_all(InvoicedEntry(entry_id=e.id, invoice_id=invoice.id) for e in taken)
    record(
        db,
        by,
        AuditAction.CREATE,
        KIND,
        invoice.id,
        {"number": invoice.number, "total": invoice.total_micros},
        advertiser_id=invoice.advertiser_id,
    )
    return invoice


def issue_month_for_all(db: Session, by: Principal, month: str, settings: Settings, now: datetime) -> list[Invoice]:
    """The monthly run: every advertiser with something unbilled up to the month's end."""
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    period = month_period(month, today)
    owing = db.scalars(
        select(LedgerEntry.advertiser_id)
        .distinct()
        .where(
            LedgerEntry.kind.in_(BILLED_KINDS),
            LedgerEntry.day <= period.end,
            LedgerEntry.id.not_in(select(InvoicedEntry.entry_id)),
        )
    )
    issued = []
    for advertiser_id in sorted(owing):
        advertiser = db.get(Advertiser, advertiser_id)
        assert advertiser is not None
        invoice = issue_through(db, by, advertiser, period.end, settings, now, period.start)
        if invoice is not None:
            issued.append(invoice)
    return issued


# --- reading -------------------------------------------------------------------------------


def get(db: Session, by: Principal, invoice_id: str) -> Invoice:
    invoice = db.get(Invoice, invoice_id)
    if invoice is None or not by.owns(invoice.advertiser_id):
        raise NotFound(f"no invoice {invoice_id!r}")
    return invoice


def _settled(db: Session, ids: list[str]) -> dict[str, int]:
    """Per document: payments received plus credit notes' totals against it."""
    settled: dict[str, int] = defaultdict(int)
    if not ids:
        return settled
    for invoice_id, total in db.execute(
        select(InvoicePayment.invoice_id, func.sum(InvoicePayment.amount_micros))
        .where(InvoicePayment.invoice_id.in_(ids))
        .group_by(InvoicePayment.invoice_id)
    ):
        settled[invoice_id] += int(total)
    for corrected, total in db.execute(
        select(Invoice.corrects_id, func.sum(Invoice.total_micros))
        .where(Invoice.corrects_id.in_(ids))
        .group_by(Invoice.corrects_id)
    ):
        settled[corrected or ""] += -int(total)
    return settled


def outs(db: Session, invoices: list[Invoice], today: date) -> list[InvoiceOut]:
    ids = [i.id for i in invoices]
    settled = _settled(db, ids)
    lines: dict[str, list[InvoiceLine]] = defaultdict(list)
    for line in db.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id.in_(ids)).order_by(InvoiceLine.position)):
        lines[line.invoice_id].append(line)
    numbers = {
        i: n
        for i, n in db.execute(
            select(Invoice.id, Invoice.number).where(Invoice.id.in_([i.corrects_id for i in invoices if i.corrects_id]))
        )
    }
    result = []
    for invoice in invoices:
        if invoice.kind is DocumentKind.CREDIT_NOTE:
            paid, status = 0, Status.CREDITED
        elif invoice.kind is DocumentKind.RECEIPT:  # paid from the wallet before delivery
            paid, status = invoice.total_micros, Status.PAID
        else:
            paid = settled.get(invoice.id, 0)
            due = invoice.total_micros - paid
            status = (
                Status.PAID
                if due <= 0
                else (Status.OVERDUE if invoice.due_on is not None and invoice.due_on < today else Status.UNPAID)
            )
        result.append(
            InvoiceOut(
                id=invoice.id,
                number=invoice.number,
                kind=invoice.kind,
                advertiser_id=invoice.advertiser_id,
                period_start=invoice.period_start,
                period_end=invoice.period_end,
                issued_at=invoice.issued_at,
                due_on=invoice.due_on,
                currency=invoice.currency,
                subtotal=invoice.subtotal_micros,
                tax_label=invoice.tax_label,
                tax_rate=invoice.tax_rate,
                tax=invoice.tax_micros,
                total=invoice.total_micros,
                paid=paid,
                outstanding=max(0, invoice.total_micros - paid) if invoice.total_micros > 0 else 0,
                status=status,
                corrects=numbers.get(invoice.corrects_id or ""),
                note=invoice.note,
                lines=[InvoiceLineOut.model_validate(line) for line in lines[invoice.id]],
            )
        )
    return result


# --- corrections and payments ----------------------------------------------------------------


def credit_note(
    db: Session, by: Principal, invoice_id: str, spec: CreditNoteIn, settings: Settings, now: datetime
) -> Invoice:
    """Correct an issued document: a credit note for part or all of its net amount, the same
    tax rate, and the money back to the advertiser's account as a credit in the ledger."""
    by.require_operator("issue credit notes")
    original = get(db, by, invoice_id)
    if original.kind is DocumentKind.CREDIT_NOTE:
        raise InvalidInput.on("invoice_id", "a credit note cannot be corrected by another; issue an invoice")
    amount = round_micros(to_micros(spec.amount), settings.currency)
    credited = -int(db.scalar(select(func.sum(Invoice.subtotal_micros)).where(Invoice.corrects_id == original.id)) or 0)
    room = original.subtotal_micros - credited
    if amount > room:
        raise InvalidInput.on(
            "amount",
            f"more than the {display(room, original.currency)} {original.currency} net "
            f"that {original.number} still bills",
        )
    advertiser = db.get(Advertiser, original.advertiser_id)
    assert advertiser is not None
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    note = _write(
        db,
        settings,
        advertiser,
        DocumentKind.CREDIT_NOTE,
        Period(original.period_start, original.period_end),
        [(f"Correction of {original.number}: {spec.reason}", None, -amount)],
        now,
        Decimal(original.tax_rate),
        corrects=original,
        note=spec.reason,
    )
    entry = ledger.post(
        db,
        advertiser_id=advertiser.id,
        kind=EntryKind.CREDIT,
        amount_micros=amount,
        day=today,
        time=now,
        actor=by.actor,
        reference=f"{note.number}: {spec.reason}"[:200],
    )
    db.add(InvoicedEntry(entry_id=entry.id, invoice_id=note.id))  # billed by the note itself
    bump_catalogue_version(db)  # the funds grew
    record(
        db,
        by,
        AuditAction.CREATE,
        KIND,
        note.id,
        {"number": note.number, "corrects": original.number, "total": note.total_micros},
        advertiser_id=note.advertiser_id,
    )
    return note


def pay(db: Session, by: Principal, invoice_id: str, spec: PaymentIn, settings: Settings, now: datetime) -> Invoice:
    """Record an invoice paid in full: its net amount enters the ledger as a top-up (the tax
    is the tax office's, not the advertiser's balance)."""
    by.require_operator("record payments")
    invoice = get(db, by, invoice_id)
    if invoice.kind is not DocumentKind.INVOICE:
        raise InvalidInput.on(
            "invoice_id", f"{invoice.number} is a {invoice.kind.value.replace('_', ' ')}: nothing is due on it"
        )
    [out] = outs(db, [invoice], now.astimezone(ZoneInfo(settings.timezone)).date())
    due = to_micros(out.outstanding)
    if due <= 0:
        raise InvalidInput.on("invoice_id", f"{invoice.number} is paid already")
    amount = to_micros(spec.amount)
    if amount != due:
        raise InvalidInput.on(
            "amount",
            f"{invoice.number} has {display(due, invoice.currency)} {invoice.currency} outstanding; record that amount",
        )
    receipt = provider(spec.provider).receive(Transfer(amount, spec.reference, now))
    net = due * invoice.subtotal_micros // invoice.total_micros if invoice.total_micros else due
    entry = ledger.post(
        db,
        advertiser_id=invoice.advertiser_id,
        kind=EntryKind.TOP_UP,
        amount_micros=net,
        day=now.astimezone(ZoneInfo(settings.timezone)).date(),
        time=receipt.at,
        actor=by.actor,
        reference=f"{invoice.number}: {receipt.reference}"[:200],
        provider=receipt.provider,
    )
    db.add(
        InvoicePayment(
            invoice_id=invoice.id, entry_id=entry.id, amount_micros=receipt.amount_micros, received_at=receipt.at
        )
    )
    bump_catalogue_version(db)  # the credit line has room again
    record(
        db,
        by,
        AuditAction.UPDATE,
        KIND,
        invoice.id,
        {"paid": receipt.amount_micros, "reference": receipt.reference},
        advertiser_id=invoice.advertiser_id,
    )
    return invoice


def query(by: Principal, advertiser_id: str | None = None) -> Select[Invoice]:
    """Documents the caller may see: a brand its own, an operator all or one advertiser's."""
    stmt = select(Invoice)
    if not by.is_operator:
        stmt = stmt.where(Invoice.advertiser_id == by.advertiser_id)
    elif advertiser_id is not None:
        stmt = stmt.where(Invoice.advertiser_id == advertiser_id)
    return stmt


def unpaid(db: Session, by: Principal, today: date) -> list[InvoiceOut]:
    """Invoices still due, the earliest due first. Those paid in full are left out in SQL
    before their lines are read; `outs` then decides (a credit note may settle one)."""
    paid = (
        select(InvoicePayment.invoice_id, func.sum(InvoicePayment.amount_micros).label("paid"))
        .group_by(InvoicePayment.invoice_id)
        .subquery()
    )
    found = list(
        db.scalars(
            query(by)
            .where(Invoice.kind == DocumentKind.INVOICE)
            .outerjoin(paid, paid.c.invoice_id == Invoice.id)
            .where(func.coalesce(paid.c.paid, 0) < Invoice.total_micros)
            .order_by(Invoice.due_on, Invoice.sequence)
        )
    )
    return [out for out in outs(db, found, today) if out.status in DUE]

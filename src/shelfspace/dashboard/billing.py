"""Billing pages: the operator's (every advertiser's balance with low-balance warnings, a
top-up recorded by hand from the bank statement, revenue by month, unpaid invoices) and a
brand's (its balance, its top-ups and refunds, its invoices, receipts and credit notes),
and each document as HTML or PDF.

One handler module for both sides, as audiences.py: `/console/billing…` for the operator,
`/brand/billing…` for a brand, through the billing services with the signed-in user's
principal, so a brand asking for another brand's document finds nothing, as in the API.
The API's own document download needs an API key, which a person in a browser has not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Path, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from shelfspace.billing import accounts, documents, invoices, ledger, revenue
from shelfspace.billing.accounts import Account
from shelfspace.billing.currency import display
from shelfspace.billing.invoices import Status
from shelfspace.billing.low_balance import LowBalance, LowBalanceReason, daily_spend, low_balance
from shelfspace.billing.models import EntryKind, Invoice
from shelfspace.billing.schemas import InvoiceOut, LedgerEntryOut, TopUpIn
from shelfspace.catalog.campaign_state import CampaignState, StateCode
from shelfspace.catalog.enums import BillingMode
from shelfspace.catalog.models import Advertiser
from shelfspace.catalog.services import advertisers
from shelfspace.core.errors import ShelfspaceError
from shelfspace.core.formats import DocumentFormat, served
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.counters.protocol import Counters
from shelfspace.dashboard.charts import Format, monthly_chart
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, decimal_or_text, errors_of, text
from shelfspace.dashboard.measurement import SideUser
from shelfspace.dashboard.periods import today
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AdvertiserUser, DashboardUser, OperatorUser
from shelfspace.dashboard.tables import Column, Table, table
from shelfspace.db.session import session_scope
from shelfspace.http.security_headers import csp_nonce
from shelfspace.runtime import runtime_of

router = page_router()

REVENUE_MONTHS = 12
# The top-up form's fields, each with what to say when it is left blank.
TOP_UP_REQUIRED = {
    "advertiser_id": "choose the advertiser the transfer came from",
    "amount": "enter the amount received",
    "reference": "enter the reference on the bank statement",
}
MODES = {BillingMode.PREPAID: "Prepaid", BillingMode.CREDIT: "On credit"}
# How each document status reads as a badge (the classes of static/shelfspace.css).
STATUS_BADGES = {Status.PAID: "good", Status.UNPAID: "warn", Status.OVERDUE: "bad", Status.CREDITED: ""}
# What a brand's history lists: money it sent in and money sent back (charges are in its reports).
HISTORY_KINDS = {EntryKind.TOP_UP: "Top-up", EntryKind.REFUND: "Refund"}
# Each warning's badge (words, class); the most urgent first, as the console sorts them.
WARNINGS: dict[LowBalanceReason, tuple[str, str]] = {
    LowBalanceReason.FUNDS_USED_UP: ("Funds used up", "bad"),
    LowBalanceReason.UNDER_DAYS_OF_SPEND: ("Low balance", "warn"),
}
URGENCY = list(WARNINGS)


# The formats a billing document is shown in: the page, or its PDF to download.
PageDocumentFormat = Annotated[DocumentFormat, served(DocumentFormat.HTML, DocumentFormat.PDF)]


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One advertiser's line on the console: its account, recent spend and any warning."""

    account: Account
    daily_spend_micros: int
    warning: LowBalance | None

    @property
    def mode(self) -> BillingMode:
        return BillingMode(self.account.advertiser.billing_mode)

    @property
    def urgency(self) -> int:
        return URGENCY.index(self.warning.reason) if self.warning else len(URGENCY)


def _tz(request: Request) -> ZoneInfo:
    return ZoneInfo(runtime_of(request).settings.timezone)


def warning_words(warning: LowBalance, currency: str) -> str:
    """The sentence beside a warning's badge: what happens, and how soon."""
    if warning.reason is LowBalanceReason.FUNDS_USED_UP:
        return "Delivery has stopped: nothing is left to spend."
    days = warning.days_left or 0
    rate = f"at {display(warning.daily_spend_micros, currency)} {currency} a day"
    if days >= 1:
        return f"About {days:.1f} days of spend left, {rate}."
    hours = int(days * 24)  # under a day, "0.3 days" reads as nothing: say the hours
    if hours < 1:
        return f"Less than an hour of spend left, {rate}: delivery stops soon."
    return f"About {hours} hour{'s' if hours > 1 else ''} of spend left, {rate}."


# --- a brand's funds on its campaign pages -------------------------------------------------


@dataclass(frozen=True, slots=True)
class FundsNotice:
    """What a brand's home and campaign pages say of its funds: the billing page's rule,
    worded with the campaigns' states (catalog/campaign_state.py), which know when delivery
    stopped, never "about 0.0 days of spend left"."""

    reason: LowBalanceReason
    title: str
    text: str

    @property
    def stopped(self) -> bool:
        return self.reason is LowBalanceReason.FUNDS_USED_UP


def funds_notice(
    request: Request, db: Session, advertiser_id: str, states: Iterable[CampaignState] = ()
) -> FundsNotice | None:
    """What a brand should know about its funds, if anything: the low-balance rule of the
    billing page, worded with the campaigns' states (which know when delivery stopped)."""
    rt = runtime_of(request)
    currency = rt.settings.currency
    advertiser = db.get(Advertiser, advertiser_id)
    if advertiser is None:
        return None
    found = accounts.account(db, advertiser, rt.counters)
    spend = daily_spend(db, today(request), [advertiser_id]).get(advertiser_id, 0)
    warning = low_balance(found.available_micros, spend, currency)
    if warning is None:
        return None
    if warning.reason is LowBalanceReason.UNDER_DAYS_OF_SPEND:
        return FundsNotice(
            warning.reason,
            "Low balance",
            f"{warning_words(warning, currency)} Top up before it runs out, or delivery stops.",
        )
    stopped = next((s for s in states if s.code is StateCode.OUT_OF_FUNDS), None)
    if stopped is not None:
        return FundsNotice(warning.reason, "Delivery stopped", f"{stopped.message} {stopped.action or ''}".strip())
    prepaid = BillingMode(advertiser.billing_mode) is BillingMode.PREPAID
    what = "The prepaid funds are used up" if prepaid else "The credit limit is reached"
    return FundsNotice(warning.reason, "Delivery stopped", f"{what}: no campaign can serve until funds are added.")


# --- the operator's page -------------------------------------------------------------------


def balance_rows(db: Session, counters: Counters, day: date, currency: str) -> list[BalanceRow]:
    """Every advertiser not archived, the warned ones first: three queries for all of them
    (where `accounts.account` takes two per advertiser) and the counters' figures."""
    spend = daily_spend(db, day)
    rows = []
    for found in accounts.every_account(db, counters):
        advertiser_id = found.advertiser.id
        rows.append(
            BalanceRow(
                found,
                spend.get(advertiser_id, 0),
                low_balance(found.available_micros, spend.get(advertiser_id, 0), currency),
            )
        )
    return sorted(rows, key=lambda row: row.urgency)  # stable: by name within each urgency


def balances_table(request: Request, rows: list[BalanceRow]) -> Table[BalanceRow]:
    """The balances as a table (dashboard/tables.py): warnings sort by urgency, the most
    urgent first until another order is asked; "no limit" (None) sorts last either way."""
    columns = [
        Column[BalanceRow]("advertiser", "Advertiser", lambda r: r.account.advertiser.name, searchable=True),
        Column[BalanceRow]("mode", "Mode", lambda r: MODES[r.mode], choices=True),
        Column[BalanceRow]("balance", "Balance", lambda r: r.account.balance_micros, numeric=True),
        Column[BalanceRow](
            "credit",
            "Credit limit",
            lambda r: r.account.advertiser.credit_limit_micros if r.mode is BillingMode.CREDIT else None,
            numeric=True,
        ),
        Column[BalanceRow]("available", "Available", lambda r: r.account.available_micros, numeric=True),
        Column[BalanceRow]("daily_spend", "Daily spend", lambda r: r.daily_spend_micros, numeric=True),
        Column[BalanceRow](
            "warning",
            "Warning",
            lambda r: WARNINGS[r.warning.reason][0] if r.warning else None,
            choices=True,
            order=lambda r: (r.urgency, r.account.advertiser.name.casefold()),
        ),
        Column[BalanceRow]("actions", "Actions", lambda r: None, sortable=False),
    ]
    return table(request, "balances", "balances", rows, columns, sort="warning")


def _console(
    request: Request, user: DashboardUser, values: dict[str, str], errors: FieldErrors, status_code: int = 200
) -> Response:
    rt = runtime_of(request)
    day = today(request)
    with session_scope(rt.db_sessions) as db:
        rows = balance_rows(db, rt.counters, day, rt.settings.currency)
        months = revenue.by_month(db, day, REVENUE_MONTHS)
        unpaid = invoices.unpaid(db, user.principal, day)
    names = {row.account.advertiser.id: row.account.advertiser.name for row in rows}
    chart = monthly_chart(
        months,
        [
            ("revenue", "Revenue", Format.MONEY),
            ("charges", "Charges", Format.MONEY),
            ("credits", "Credits", Format.MONEY),
            ("paid_in", "Paid in", Format.MONEY),
        ],
    )
    return render(
        request,
        "billing/console.html",
        status_code=status_code,
        title="Billing",
        rows=rows,
        balances=balances_table(request, rows),
        months=months,
        this_month=months[0],
        chart=chart,
        unpaid=unpaid,
        names=names,
        outstanding=sum((out.outstanding for out in unpaid), Decimal(0)),
        warned=sum(1 for row in rows if row.warning),
        modes=MODES,
        warnings=WARNINGS,
        warning_words=warning_words,
        badges=STATUS_BADGES,
        BillingMode=BillingMode,
        values=values,
        errors=errors,
        advertisers=[
            (row.account.advertiser.id, f"{row.account.advertiser.name} · {MODES[row.mode]}")
            for row in sorted(rows, key=lambda r: r.account.advertiser.name.lower())
        ],
    )


@router.get("/console/billing")
def console_billing(
    request: Request, user: OperatorUser, advertiser: Annotated[str | None, Query(max_length=40)] = None
) -> Response:
    """`?advertiser=` picks the advertiser in the top-up form (the balances' "Top up" links)."""
    return _console(request, user, {"advertiser_id": advertiser or ""}, {})


@router.post("/console/billing/top-ups")
def record_top_up(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    """A bank transfer seen on the statement, recorded with its reference (accounts.top_up):
    delivery may spend it within a second."""
    values = {field: text(form, field) for field in TOP_UP_REQUIRED}
    blank = {field: message for field, message in TOP_UP_REQUIRED.items() if not values[field]}
    try:
        spec = TopUpIn.model_validate({"amount": decimal_or_text(form, "amount"), "reference": values["reference"]})
    except ValidationError as exc:
        wrong = errors_of(exc) | blank
        in_form_order = {field: wrong[field] for field in TOP_UP_REQUIRED if field in wrong}  # the first is focused
        return _console(request, user, values, in_form_order | wrong, 422)
    if blank:
        return _console(request, user, values, blank, 422)
    rt = runtime_of(request)
    currency = rt.settings.currency
    try:
        with session_scope(rt.db_sessions) as db:
            entry = accounts.top_up(db, user.principal, values["advertiser_id"], spec, rt.clock.now(), _tz(request))
            advertiser = advertisers.get(db, user.principal, entry.advertiser_id)
            name, amount, balance = advertiser.name, entry.amount_micros, ledger.balance(db, advertiser.id)
    except ShelfspaceError as exc:
        return _console(request, user, values, errors_of(exc) or {GENERAL: "The top-up was not recorded."}, 422)
    return redirect_with(
        request,
        "/console/billing",
        f"Top-up of {display(amount, currency)} {currency} recorded for {name}: its balance is now "
        f"{display(balance, currency)} {currency}.",
    )


# --- a brand's page ------------------------------------------------------------------------


def _history(entries: list[LedgerEntryOut]) -> list[LedgerEntryOut]:
    """Top-ups and refunds, newest first."""
    return [entry for entry in reversed(entries) if entry.kind in HISTORY_KINDS]


def history_table(request: Request, history: list[LedgerEntryOut]) -> Table[LedgerEntryOut]:
    """A brand's top-ups and refunds as a table (dashboard/tables.py), newest first."""
    columns = [
        Column[LedgerEntryOut]("date", "Date", lambda e: e.day, order=lambda e: (e.day, e.time, e.id)),
        Column[LedgerEntryOut]("kind", "Kind", lambda e: HISTORY_KINDS[e.kind], choices=True),
        Column[LedgerEntryOut]("reference", "Reference", lambda e: e.reference, searchable=True),
        Column[LedgerEntryOut]("amount", "Amount", lambda e: e.amount, numeric=True),
        Column[LedgerEntryOut]("balance_after", "Balance after", lambda e: e.balance_after, numeric=True),
    ]
    return table(request, "history", "top-ups and refunds", history, columns, sort="date", descending=True)


def documents_table(request: Request, docs: list[InvoiceOut]) -> Table[InvoiceOut]:
    """A brand's invoices, receipts and credit notes as a table (dashboard/tables.py), the
    last issued first (`docs` come by sequence, newest first: the order among those issued at once)."""
    later = {d.id: -i for i, d in enumerate(docs)}
    columns = [
        Column[InvoiceOut]("number", "Number", lambda d: d.number, searchable=True),
        Column[InvoiceOut]("document", "Document", lambda d: documents.TITLES[d.kind], choices=True),
        Column[InvoiceOut]("period", "Period", lambda d: d.period_start),
        Column[InvoiceOut]("issued", "Issued", lambda d: d.issued_at, order=lambda d: (d.issued_at, later[d.id])),
        Column[InvoiceOut]("total", "Total", lambda d: d.total, numeric=True),
        Column[InvoiceOut]("status", "Status", lambda d: d.status, choices=True),
        Column[InvoiceOut]("due", "Due", lambda d: d.due_on),
        Column[InvoiceOut]("links", "Files", lambda d: None, sortable=False),
    ]
    return table(request, "documents", "documents", docs, columns, sort="issued", descending=True)


@router.get("/brand/billing")
def brand_billing(request: Request, user: AdvertiserUser) -> Response:
    rt = runtime_of(request)
    currency = rt.settings.currency
    day = today(request)
    assert user.advertiser_id is not None  # AdvertiserUser guarantees it
    with session_scope(rt.db_sessions) as db:
        advertiser = advertisers.get(db, user.principal, user.advertiser_id)
        found = accounts.account(db, advertiser, rt.counters)
        spend = daily_spend(db, day, [advertiser.id]).get(advertiser.id, 0)
        history = _history(accounts.entries(db, user.principal, advertiser.id, None, None, currency).entries)
        issued = list(db.scalars(invoices.query(user.principal).order_by(Invoice.sequence.desc())))
        docs = invoices.outs(db, issued, day)
    warning = low_balance(found.available_micros, spend, currency)
    settings = rt.settings
    return render(
        request,
        "billing/brand.html",
        title="Billing",
        account=found,
        mode=BillingMode(advertiser.billing_mode),
        modes=MODES,
        BillingMode=BillingMode,
        warning=warning,
        warning_text=warning_words(warning, currency) if warning else "",
        warnings=WARNINGS,
        history=history_table(request, history),
        kinds=HISTORY_KINDS,
        docs=documents_table(request, docs),
        titles=documents.TITLES,
        badges=STATUS_BADGES,
        payee=settings.company_name or settings.network_name,
    )


# --- documents -----------------------------------------------------------------------------


@router.get("/console/billing/documents/{invoice_id}")
@router.get("/brand/billing/documents/{invoice_id}")
def document(
    request: Request,
    user: SideUser,
    invoice_id: Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)],
    format: PageDocumentFormat = DocumentFormat.HTML,
) -> Response:
    """An invoice, receipt or credit note as the API renders it: the page, or its PDF to
    download. A brand asking for another brand's reads "not found"."""
    with session_scope(runtime_of(request).db_sessions) as db:
        invoice = invoices.get(db, user.principal, invoice_id)
        [out] = invoices.outs(db, [invoice], today(request))
        html, name = documents.render_html(invoice, out, csp_nonce(request.scope)), documents.filename(out)
    if format is DocumentFormat.HTML:
        return HTMLResponse(html)
    return documents.pdf_document(html, name, "attachment")

"""Routes of billing (api.md, "Billing"): balances, the ledger, top-ups, credits, refunds,
invoices with their credit notes and payments.

(No `from __future__ import annotations`: FastAPI reads these annotations.)
"""

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import HTMLResponse, Response

from shelfspace.accounts.caller import Caller
from shelfspace.billing import accounts, documents, invoices, ledger, revenue, terms
from shelfspace.billing.models import Invoice, LedgerEntry
from shelfspace.billing.schemas import (
    BalanceOut,
    CreditIn,
    CreditNoteIn,
    InvoiceIn,
    InvoiceOut,
    LedgerEntryOut,
    LedgerOut,
    PaymentIn,
    RefundIn,
    RevenueOut,
    TermsIn,
    TopUpIn,
)
from shelfspace.catalog.schemas import AdvertiserOut
from shelfspace.core.formats import DocumentFormat, served
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.pagination import Page, PageParams, fetch_page, page_params
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.http.security_headers import csp_nonce
from shelfspace.runtime import runtime_of

router = APIRouter(tags=["billing"], responses=ERROR_RESPONSES)
AdvertiserId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN, description="The advertiser's id.")]
InvoiceId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN, description="The document's id.")]
DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/html": {}, "application/pdf": {}}}
}


InvoiceFormat = Annotated[
    DocumentFormat,
    Query(description="json, html, or pdf to download."),
    served(DocumentFormat.JSON, DocumentFormat.HTML, DocumentFormat.PDF),
]


def _tz(request: Request) -> ZoneInfo:
    return ZoneInfo(runtime_of(request).settings.timezone)


def _entry(db: Db, entry: LedgerEntry) -> JsonBody:
    return JsonBody(
        accounts.entry_out(entry, ledger.balance(db, entry.advertiser_id)),
        status_code=201,
    )


@router.get("/v1/advertisers/{id}/balance", response_model=BalanceOut, summary="An advertiser's balance")
def balance(request: Request, db: Db, by: Caller, id: AdvertiserId) -> JsonBody:
    """The ledger's balance, and what delivery may still spend (`available`): prepaid, the
    wallet less charges not yet posted and what served ads hold; on credit, the same plus
    the credit limit. Delivery stops when `available` reaches zero."""
    rt = runtime_of(request)
    return JsonBody(accounts.balance_out(db, by, id, rt.counters, rt.settings.currency))


@router.get("/v1/advertisers/{id}/ledger", response_model=LedgerOut, summary="An advertiser's ledger entries")
def read_ledger(
    request: Request,
    db: Db,
    by: Caller,
    id: AdvertiserId,
    start: Annotated[date | None, Query(alias="from", description="First day, included.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, included.")] = None,
) -> JsonBody:
    """Top-ups, charges (per campaign and delivery day, as the reports count them),
    credits and refunds; charges and refunds are negative. Append-only: a charge that a
    later event changed is followed by a correcting entry, never edited."""
    return JsonBody(accounts.entries(db, by, id, start, end, runtime_of(request).settings.currency))


@router.post(
    "/v1/advertisers/{id}/top-ups", response_model=LedgerEntryOut, status_code=201, summary="Record a top-up (operator)"
)
def top_up(request: Request, db: Db, by: Caller, id: AdvertiserId, body: TopUpIn) -> JsonBody:
    """Money received for the advertiser (a bank transfer, recorded with its reference):
    added to its balance, and delivery may spend it within a second."""
    return _entry(db, accounts.top_up(db, by, id, body, runtime_of(request).clock.now(), _tz(request)))


@router.post(
    "/v1/advertisers/{id}/credits", response_model=LedgerEntryOut, status_code=201, summary="Give a credit (operator)"
)
def give_credit(request: Request, db: Db, by: Caller, id: AdvertiserId, body: CreditIn) -> JsonBody:
    """Money given back on the account: invalid traffic found after the fact, goodwill.
    The next invoice shows it as a line of its own."""
    return _entry(db, accounts.credit(db, by, id, body, runtime_of(request).clock.now(), _tz(request)))


@router.post(
    "/v1/advertisers/{id}/refunds", response_model=LedgerEntryOut, status_code=201, summary="Record a refund (operator)"
)
def refund(request: Request, db: Db, by: Caller, id: AdvertiserId, body: RefundIn) -> JsonBody:
    """Money paid back out of the account, at most what it has available."""
    rt = runtime_of(request)
    return _entry(db, accounts.refund(db, by, id, body, rt.clock.now(), _tz(request), rt.counters))


@router.post("/v1/advertisers/{id}/terms", response_model=AdvertiserOut, summary="Set an advertiser's terms (finance)")
def set_terms(db: Db, by: Caller, id: AdvertiserId, body: TermsIn) -> JsonBody:
    """Prepaid, or on credit up to `credit_limit`, with the reason: both kept in the audit
    log with the terms before. Needs the billing right (an operator's admin or finance). A
    brand waiting for approval gets no credit; delivery applies new terms within a second."""
    advertiser = terms.set_terms(db, by, id, body.billing_mode, body.credit_limit, body.reason)
    return JsonBody(AdvertiserOut.model_validate(advertiser))


@router.get("/v1/billing/revenue", summary="The network's revenue by month (operator)", response_model=RevenueOut)
def read_revenue(
    request: Request,
    db: Db,
    by: Caller,
    months: Annotated[int, Query(ge=1, le=36, description="How many months back.")] = 12,
) -> JsonBody:
    """Charges less credits, by month of delivery, with what was paid in: from the ledger."""
    by.require_operator("read the network's revenue")
    rt = runtime_of(request)
    return JsonBody(
        {
            "currency": rt.settings.currency,
            "data": revenue.by_month(db, rt.clock.now().astimezone(_tz(request)).date(), months),
        }
    )


def _today(request: Request) -> date:
    now: datetime = runtime_of(request).clock.now()
    return now.astimezone(_tz(request)).date()


@router.get("/v1/invoices", response_model=Page[InvoiceOut], summary="List invoices, receipts and credit notes")
def list_invoices(
    request: Request,
    db: Db,
    by: Caller,
    page: Annotated[PageParams, Depends(page_params)],
    advertiser_id: Annotated[str | None, Query(max_length=40, pattern=KEY_PATTERN)] = None,
) -> JsonBody:
    """A brand sees its own; an operator every advertiser's, or one's with `advertiser_id`."""
    rows, cursor = fetch_page(db, invoices.query(by, advertiser_id), Invoice.id, page)
    return JsonBody(
        {"data": invoices.outs(db, rows, _today(request)), "has_more": cursor is not None, "next_cursor": cursor}
    )


@router.post("/v1/invoices", response_model=InvoiceOut, status_code=201, summary="Issue an invoice")
def issue_invoice(request: Request, db: Db, by: Caller, body: InvoiceIn) -> JsonBody:
    """For a month that has ended (`month`), or on demand for everything not yet billed up
    to a day that has ended (`through`, default yesterday). A brand may ask for its own."""
    rt = runtime_of(request)
    invoice = invoices.issue(db, by, body, rt.settings, rt.clock.now())
    [out] = invoices.outs(db, [invoice], _today(request))
    return JsonBody(out, status_code=201)


@router.get("/v1/invoices/{id}", response_model=InvoiceOut, responses=DOCUMENT, summary="Get an invoice")
def read_invoice(
    request: Request,
    id: InvoiceId,
    by: Caller,
    db: Db,
    format: InvoiceFormat = DocumentFormat.JSON,
) -> Response:
    invoice = invoices.get(db, by, id)
    [out] = invoices.outs(db, [invoice], _today(request))
    if format is DocumentFormat.JSON:
        return JsonBody(out)
    html = documents.render_html(invoice, out, csp_nonce(request.scope))
    if format is DocumentFormat.HTML:
        return HTMLResponse(html)
    return documents.pdf_document(html, documents.filename(out))


@router.post(
    "/v1/invoices/{id}/credit-notes",
    response_model=InvoiceOut,
    status_code=201,
    summary="Correct an invoice with a credit note (operator)",
)
def issue_credit_note(request: Request, db: Db, by: Caller, id: InvoiceId, body: CreditNoteIn) -> JsonBody:
    """Issued documents never change: a correction is a credit note of its own number, for
    part or all of the net amount at the same tax rate, credited to the advertiser."""
    rt = runtime_of(request)
    note = invoices.credit_note(db, by, id, body, rt.settings, rt.clock.now())
    [out] = invoices.outs(db, [note], _today(request))
    return JsonBody(out, status_code=201)


@router.post(
    "/v1/invoices/{id}/payments",
    response_model=InvoiceOut,
    status_code=201,
    summary="Record an invoice's payment (operator)",
)
def record_payment(request: Request, db: Db, by: Caller, id: InvoiceId, body: PaymentIn) -> JsonBody:
    """The invoice's outstanding total, received: the invoice reads paid, and its net amount
    enters the ledger as a top-up, so the credit line has that room again."""
    rt = runtime_of(request)
    invoice = invoices.pay(db, by, id, body, rt.settings, rt.clock.now())
    [out] = invoices.outs(db, [invoice], _today(request))
    return JsonBody(out, status_code=201)

"""Billing's request and response bodies (api.md, "Billing"). Money is decimal at the edge."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from shelfspace.billing.models import DocumentKind, EntryKind
from shelfspace.billing.providers import ProviderName
from shelfspace.catalog.enums import BillingMode
from shelfspace.core.inputs import InputModel
from shelfspace.core.jsonbody import ExactDecimal
from shelfspace.core.money import MoneyFromMicros, PositiveMoney


class TopUpIn(InputModel):
    amount: PositiveMoney = Field(description="Added to the advertiser's balance, in the network currency.")
    reference: str = Field(min_length=1, max_length=200, description="The bank statement's or provider's reference.")
    provider: ProviderName = ProviderName.MANUAL


class CreditIn(InputModel):
    amount: PositiveMoney
    reason: str = Field(min_length=1, max_length=200, description="Why: invalid traffic found later, goodwill, ...")
    campaign_id: str | None = Field(default=None, max_length=40, description="The campaign it is for, if one.")


class RefundIn(InputModel):
    amount: PositiveMoney = Field(description="Paid back out of the wallet; at most what is available.")
    reference: str = Field(min_length=1, max_length=200)
    provider: ProviderName = ProviderName.MANUAL


class TermsIn(InputModel):
    """An advertiser's new terms (billing/terms.py), with why: the audit history keeps both."""

    billing_mode: BillingMode = Field(
        description="`prepaid`: delivery stops when the wallet is used up; `credit`: "
        "invoiced monthly, and delivery stops at minus `credit_limit`."
    )
    credit_limit: PositiveMoney | None = Field(
        default=None,
        description=(
            "Required on credit, in the network currency: how far the balance may go below zero. Absent for prepaid."
        ),
    )
    reason: str = Field(min_length=1, max_length=500, description="Why the terms change, kept in the audit log.")


class InvoiceIn(InputModel):
    """Issue an invoice now: for a month that has ended, or everything not yet invoiced up
    to a day that has ended (on demand)."""

    advertiser_id: str = Field(max_length=40)
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, ended.")
    through: date | None = Field(default=None, description="On demand: the last day to bill, ended.")


class CreditNoteIn(InputModel):
    amount: PositiveMoney = Field(description="Net, before tax; at most what the document still bills.")
    reason: str = Field(min_length=1, max_length=200)


class PaymentIn(InputModel):
    amount: PositiveMoney = Field(description="What arrived: the invoice's total still due.")
    reference: str = Field(min_length=1, max_length=200)
    provider: ProviderName = ProviderName.MANUAL


class BalanceOut(BaseModel):
    advertiser_id: str
    mode: BillingMode
    currency: str
    balance: MoneyFromMicros = Field(description="The ledger's sum: paid in, less charges (negative: owed).")
    credit_limit: MoneyFromMicros | None = Field(description="On credit; null: no limit (and for prepaid).")
    available: MoneyFromMicros | None = Field(
        description="What delivery may still spend: funds less every charge so far, including those not yet "
        "posted to the ledger, and less what served ads hold. Null: no limit."
    )
    reserved: MoneyFromMicros = Field(description="Held by ads served and not yet billed.")
    unposted: MoneyFromMicros = Field(description="Charged by delivery, not yet in the ledger (seconds behind).")


class LedgerEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    time: datetime
    day: date
    kind: EntryKind
    amount: MoneyFromMicros = Field(validation_alias="amount_micros", description="Charges and refunds negative.")
    campaign_id: str | None = None
    reference: str | None = None
    provider: str | None = None
    balance_after: MoneyFromMicros = Field(description="The balance once this entry is counted.")


class LedgerOut(BaseModel):
    advertiser_id: str
    currency: str
    start: date | None = Field(description="`from`, as asked: the first day of the entries.")
    end: date | None = Field(description="`to`, as asked: the last day, included.")
    opening_balance: MoneyFromMicros
    closing_balance: MoneyFromMicros
    entries: list[LedgerEntryOut]


class InvoiceLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    description: str
    campaign_id: str | None
    amount: MoneyFromMicros = Field(validation_alias="amount_micros")


class InvoiceOut(BaseModel):
    id: str
    number: str
    kind: DocumentKind
    advertiser_id: str
    period_start: date
    period_end: date
    issued_at: datetime
    due_on: date | None
    currency: str
    subtotal: MoneyFromMicros
    tax_label: str
    tax_rate: str
    tax: MoneyFromMicros
    total: MoneyFromMicros
    paid: MoneyFromMicros = Field(description="Received against it, plus credit notes.")
    outstanding: MoneyFromMicros
    status: str = Field(description="`paid`, `unpaid`, `overdue`, or `credited` for a credit note.")  # a Status
    corrects: str | None = Field(description="A credit note: the number of the document it corrects.")
    note: str | None
    lines: list[InvoiceLineOut]


class RevenueMonthOut(BaseModel):
    month: str = Field(description="YYYY-MM, in the network's time zone.")
    charges: ExactDecimal
    credits: ExactDecimal
    revenue: ExactDecimal = Field(description="Charges less credits.")
    paid_in: ExactDecimal = Field(description="Top-ups less refunds.")


class RevenueOut(BaseModel):
    currency: str
    data: list[RevenueMonthOut]

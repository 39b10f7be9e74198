"""Billing's tables. The ledger is append-only: rows are inserted, never updated or deleted
(the database refuses both, see migration 0017); balances are sums over it.

Double entry: each `ledger_entries` row is one movement of money, and its two
`ledger_postings` rows move the same amount out of one account and into another, so the
postings of the whole ledger always sum to zero. An account's sum is what it holds: an
advertiser's account is its balance; `revenue` holds what was earned from charges, less
`allowances` given back as credits; `bank` is money received, less money paid out (its sum
is negative: cash the network holds on the advertisers' behalf or as revenue).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base


class EntryKind(StrEnum):
    TOP_UP = "top_up"  # money in: a wallet top-up, or a payment on a credit account
    CHARGE = "charge"  # billable delivery, per campaign and day (negative)
    CREDIT = "credit"  # given back: invalid traffic found later, goodwill, a credit note
    REFUND = "refund"  # money paid back out of a wallet (negative)


class LedgerAccount(StrEnum):
    """The network's own accounts; each advertiser also has one, named `advertiser:<id>`."""

    BANK = "bank"
    REVENUE = "revenue"
    ALLOWANCES = "allowances"


def advertiser_account(advertiser_id: str) -> str:
    return f"advertiser:{advertiser_id}"


# Where the other side of each kind of entry goes.
COUNTER_ACCOUNT = {
    EntryKind.TOP_UP: LedgerAccount.BANK,
    EntryKind.REFUND: LedgerAccount.BANK,
    EntryKind.CHARGE: LedgerAccount.REVENUE,
    EntryKind.CREDIT: LedgerAccount.ALLOWANCES,
}


class LedgerEntry(Base):
    """One movement of an advertiser's money. `amount_micros` is signed as the advertiser
    sees it (charges and refunds negative); `day` is the network day it belongs to (a
    charge's delivery day; the day a payment or credit was recorded)."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    time: Mapped[datetime]
    day: Mapped[date] = mapped_column(Date, index=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    kind: Mapped[EntryKind]
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[str | None] = mapped_column(String(40), index=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(40))  # the payment provider of a top-up or refund
    actor: Mapped[str] = mapped_column(String(200))  # who recorded it: a user, a key, "rollup"


class LedgerPosting(Base):
    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(80), index=True)
    amount_micros: Mapped[int] = mapped_column(BigInteger)


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # a credit account's bill for delivery: due, then paid
    RECEIPT = "receipt"  # a prepaid account's statement of delivery already paid from its wallet
    CREDIT_NOTE = "credit_note"  # corrects an issued invoice or receipt (negative amounts)


class Invoice(Base):
    """An issued document: never changed after it is written. Seller and buyer are copied
    in as they were at issue, so a later change of address does not rewrite history."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)  # the network's running count, 1, 2, 3, ...
    kind: Mapped[DocumentKind]
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime]
    due_on: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_micros: Mapped[int] = mapped_column(BigInteger)
    tax_rate: Mapped[str] = mapped_column(String(12))  # a decimal percentage, as text: "20", "7.5"
    tax_label: Mapped[str] = mapped_column(String(40))
    tax_micros: Mapped[int] = mapped_column(BigInteger)
    total_micros: Mapped[int] = mapped_column(BigInteger)
    corrects_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    seller: Mapped[dict[str, Any]]
    buyer: Mapped[dict[str, Any]]


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300))
    campaign_id: Mapped[str | None] = mapped_column(String(40))
    amount_micros: Mapped[int] = mapped_column(BigInteger)  # net, rounded to the currency's minor unit


class InvoicedEntry(Base):
    """Which document took each ledger entry: every charge and credit is billed once."""

    __tablename__ = "invoiced_entries"

    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)


class InvoicePayment(Base):
    """A payment received for an invoice; its money enters the ledger as a top-up."""

    __tablename__ = "invoice_payments"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime]


class InvoiceCounter(Base):
    """The network's last invoice number: one row, incremented in the issuing transaction."""

    __tablename__ = "invoice_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)

"""The terms fields of the console's forms: approving a brand, and changing its terms later.

Both read the same three fields (`billing_mode`, `credit_limit`, `reason`) into the API's
own shape (billing/schemas.py `TermsIn`), so a page can never set terms the API would
refuse, and both word the mistakes the same way, beside the field that caused them.
billing/terms.py `set_terms` does the rest (the right, the pending rule, the audit).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from pydantic import ValidationError
from starlette.datastructures import FormData

from shelfspace.billing.currency import display
from shelfspace.billing.schemas import TermsIn
from shelfspace.catalog.enums import BillingMode
from shelfspace.catalog.models import Advertiser
from shelfspace.core.errors import ShelfspaceError
from shelfspace.core.money import to_micros
from shelfspace.core.money_words import typed_amount
from shelfspace.dashboard.forms import GENERAL, FieldErrors, decimal_or_text, errors_of, text

FIELDS = ("billing_mode", "credit_limit", "reason")
MODES = ((BillingMode.PREPAID.value, "Prepaid"), (BillingMode.CREDIT.value, "On credit, up to a limit"))
APPROVAL_REASON = "Terms set when the brand was approved in the review queue."


class TermsForm(NamedTuple):
    """What was typed (shown again on a mistake) and, when it reads, the terms."""

    typed: dict[str, str]
    terms: TermsIn | None
    errors: FieldErrors


def plain(field: str, message: str, currency: str) -> str:
    """A validation message in the words of the form."""
    if field == "credit_limit":
        return (
            f"A positive amount in {currency}, e.g. 5000."
            if "Input should" in message or "decimal" in message
            else message[:1].upper() + message[1:]
        )
    if field == "reason" and ("at least" in message or "say why" in message):
        return "Say why the terms change: the audit history keeps it."
    if field == "reason" and "at most" in message:
        return "At most 500 characters."
    if field == "billing_mode" and "Input should" in message:
        return "Choose prepaid or on credit."
    return message[:1].upper() + message[1:]


def errors_in_words(exc: ValidationError | ShelfspaceError, currency: str) -> FieldErrors:
    """A refusal's errors beside the terms fields; one no field owns goes above the form."""
    found: FieldErrors = {}
    for field, message in errors_of(exc).items():
        found.setdefault(field if field in FIELDS else GENERAL, plain(field, message, currency))
    return found


def read(form: FormData, currency: str, approval: bool = False) -> TermsForm:
    """The terms fields of `form`. An approval has no reason field (its reason is said for
    it), and a brand approved without a mode chosen stays prepaid, as it signed up."""
    typed = {name: text(form, name) for name in FIELDS}
    if approval:
        typed["reason"] = APPROVAL_REASON
        typed["billing_mode"] = typed["billing_mode"] or BillingMode.PREPAID.value
    limit = decimal_or_text(form, "credit_limit")
    if typed["billing_mode"] == BillingMode.CREDIT and limit is None:
        return TermsForm(
            typed,
            None,
            {"credit_limit": f"Required on credit: how far the balance may go below zero, in {currency}, e.g. 5000."},
        )
    try:
        terms = TermsIn.model_validate(
            {"billing_mode": typed["billing_mode"] or None, "credit_limit": limit, "reason": typed["reason"]}
        )
    except ValidationError as exc:
        return TermsForm(typed, None, errors_in_words(exc, currency))
    return TermsForm(typed, terms, {})


def current(advertiser: Advertiser) -> dict[str, str]:
    """The form's fields as the advertiser's terms are now."""
    return {
        "billing_mode": BillingMode(advertiser.billing_mode).value,
        "credit_limit": typed_amount(advertiser.credit_limit_micros),
        "reason": "",
    }


def credit_now(advertiser: Advertiser) -> str:
    """The credit the advertiser has, for the form's check that asks before lowering it:
    0 when prepaid, empty when its credit has no limit."""
    if BillingMode(advertiser.billing_mode) is BillingMode.PREPAID:
        return "0"
    return typed_amount(advertiser.credit_limit_micros)


def described(mode: BillingMode, limit: Decimal | None, currency: str) -> str:
    if mode is BillingMode.PREPAID:
        return "prepaid (it spends what it tops up)"
    if limit is None:
        return "on credit with no limit"
    return f"on credit up to {display(to_micros(limit), currency)} {currency}"

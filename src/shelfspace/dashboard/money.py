"""Money on pages: the Jinja filters that write it in the network's currency and locale
(core/money_words.py, which the e-mails use too), from the settings of the app rendering.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import HTTPConnection

from shelfspace.core.money_words import amount, micros_amount, micros_price, network_locale, price
from shelfspace.runtime import runtime_of


def _network(context: Context) -> tuple[str, Locale]:
    """The network's currency and locale, from the settings of the app rendering the page."""
    request = context.get("request")
    if not isinstance(request, HTTPConnection):  # a template rendered outside an app
        return str(context.get("currency") or "USD"), network_locale(None, "US")
    settings = runtime_of(request).settings
    return settings.currency, network_locale(settings.locale, settings.country)


@pass_context
def amount_filter(context: Context, value: Any) -> str:
    """`{{ report.spend | amount }}`: a decimal amount in the network's currency."""
    return amount(value, *_network(context))


@pass_context
def micros_amount_filter(context: Context, micros: int | None) -> str:
    """`{{ campaign.budget_total_micros | micros_amount }}`."""
    return micros_amount(micros, *_network(context))


@pass_context
def price_filter(context: Context, value: Any) -> str:
    """`{{ row.cpc | price }}`: a CPM, CPC or bid."""
    return price(value, *_network(context))


@pass_context
def micros_price_filter(context: Context, micros: int | None) -> str:
    return micros_price(micros, *_network(context))


FILTERS = {
    "amount": amount_filter,
    "micros_amount": micros_amount_filter,
    "price": price_filter,
    "micros_price": micros_price_filter,
}

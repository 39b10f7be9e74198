"""The campaign forms' mistakes in a marketer's words.

The wizard, the campaign edit page and the live forecast validate with the API's models and
services, whose messages are written for developers ("String should have at least 1
character", "300x600 fits none of the line item's placements"). `plain` rewrites them for
the person at the form, naming the field in the form's own words and saying what to do.
A message it does not know passes through unchanged (the API's messages are sentences).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from shelfspace.dashboard.forms import GENERAL, FieldErrors

# The form's fields as the form labels them.
LABELS = {
    "goal": "The goal",
    "name": "The campaign name",
    "budget_total": "The total budget",
    "budget_daily": "The daily budget",
    "start": "The first day",
    "end": "The last day",
    "pacing": "Pacing",
    "placements": "Placements",
    "keywords": "Keywords",
    "categories": "Categories",
    "countries": "Countries",
    "devices": "Devices",
    "audiences": "Audiences",
    "cap_count": "The frequency cap",
    "cap_period": "The cap's period",
    "pricing": "How you pay",
    "bid": "The bid",
    "image": "The image",
    "title": "The headline",
    "body": "The text",
    "click_url": "Where clicks go",
    "video": "The video file",
    "media_url": "The video file's address",
    "duration_seconds": "The video's length",
    "products": "Products",
}

# What a step needs before the next, said the same by the page's script and the server.
REQUIRED = {
    "name": "Give the campaign a name, e.g. Spring launch.",
    "budget_total": "How much may the campaign spend in all?",
    "start": "Choose the first day.",
    "placements": "Choose at least one placement.",
    "bid": "Your bid: what you pay per thousand impressions (CPM) or per click (CPC).",
}

# A video creative with neither a file nor an address (said beside the file).
NO_VIDEO = "Upload your video file, or give the address of an MP4 on your site."

# (field or "*", a pattern of the developer's message, what the person reads). A template
# may use the pattern's groups ({1}) and {label}; the first match wins.
Rule = tuple[str, re.Pattern[str], str | Callable[[re.Match[str]], str]]


def _sizes(match: re.Match[str]) -> str:
    wanted = match.group(2).split(", ")
    listed = ", ".join(wanted[:-1]) + f" or {wanted[-1]}" if len(wanted) > 1 else wanted[0]
    return (
        f"This image is {match.group(1)} pixels, and the placements you chose show {listed}. "
        "Upload an image of one of those sizes."
    )


def _floor(match: re.Match[str]) -> str:
    return (
        f"Your bid is below the floor of {match.group(3)}: bid at least {_amount(match.group(2))}, the lowest "
        "price per thousand impressions it accepts."
    )


def _amount(raw: str) -> str:
    """`4.000000` → `4.00`, as money is typed."""
    whole, _, cents = raw.partition(".")
    cents = cents.rstrip("0")
    return f"{whole}.{cents.ljust(2, '0')}"


def _r(field: str, pattern: str, says: str | Callable[[re.Match[str]], str]) -> Rule:
    return field, re.compile(pattern), says


RULES: tuple[Rule, ...] = (
    _r("name", r"^String should have at least 1 character", REQUIRED["name"]),
    _r("*", r"^String should have at least 1 character", "{label} can't be empty."),
    _r("*", r"^String should have at most (\d+) characters", "{label} is too long: at most {1} characters."),
    _r("*", r"^List should have at most (\d+) items", "{label}: at most {1}."),
    _r("budget_total", r"^Input should be greater than 0", "Enter a total budget above zero."),
    _r("budget_daily", r"^Input should be greater than 0", "Enter a daily budget above zero, or leave it empty."),
    _r("bid", r"^Input should be greater than 0", "Enter a bid above zero."),
    _r("*", r"^Input should be less than or equal to 1000000000000", "{label} is larger than any budget can be."),
    _r("*", r"^Decimal input should have no more than (\d+) decimal places", "{label}: at most {1} decimals."),
    _r("cap_count", r"^Input should be greater than or equal to 1", "Allow at least 1 impression per person."),
    _r("cap_count", r"^Input should be less than or equal to (\d+)", "At most {1} impressions per person."),
    _r("*", r"^Input should be a valid integer", "{label}: a whole number, e.g. 3."),
    _r("*", r"^Input should be a valid decimal", "{label}: a number, e.g. 250 or 0.45."),
    _r("*", r"^Input should be a valid (date|datetime)", "{label}: a date, e.g. 2026-12-01."),
    _r("*", r"^Input should be '", "Choose one of the options offered."),
    _r(
        "*",
        r"must be an absolute http:// or https:// URL",
        "{label}: a full web address, starting with https:// (e.g. https://your-site.example/offer).",
    ),
    _r(
        "countries",
        r"^'(.*)' is not an ISO 3166-1 alpha-2 country code",
        "'{1}' is not a country code: use the two-letter code (ISO 3166-1), e.g. GB for the United Kingdom, "
        "IE for Ireland.",
    ),
    _r(
        "categories",
        r"has an empty level",
        "Write categories as the shop names them, e.g. beverages/coffee: no empty part between slashes.",
    ),
    _r("keywords", r"a keyword cannot be blank", "Remove the empty keyword between two commas."),
    _r("end", r"^must be after start", "The last day can't be before the first day."),
    _r("budget_daily", r"^must not be above budget_total", "The daily budget can't be more than the total budget."),
    _r(
        "pacing",
        r"^even pacing needs",
        "Even pacing spreads your budget over time: give a last day or a daily budget, or choose "
        "'As fast as possible'.",
    ),
    _r(
        "pricing",
        r"^cpc needs clickable placements; (.*) sell by cpm only",
        "{1}: can't be bought per click. Pay per thousand impressions (CPM), or choose other placements.",
    ),
    _r("bid", r"^(\S+) is below the floor (\S+) of placement (.*)$", _floor),
    _r("products", r"^sponsored-product placements need the SKUs", "Pick at least one product to promote."),
    _r("products", r"^not in the product catalogue: (.*)", "No longer in the shop's catalogue: {1}. Untick them."),
    _r("products", r"^a SKU is listed twice", "A product is picked twice."),
    _r("placements", r"^no placement (.*)", "No longer on offer: {1}. Choose other placements."),
    _r("placements", r"^placement (.*) is archived", "No longer on offer: {1}. Choose other placements."),
    _r("placements", r"^a placement is listed twice", "A placement is picked twice."),
    _r("image", r"^(\S+) fits none of the line item's placements \((.*)\)$", _sizes),
    _r("image", r"^a banner needs an image_url or its html", "Upload your ad's image."),
    _r("image", r"^required for a ", "Upload your ad's image."),
    _r("click_url", r"^required for a ", "Where should clicks take shoppers? Enter the page's address."),
    _r("title", r"^required for a ", "Write a headline."),
    _r("media_url", r"^required for a ", NO_VIDEO),
    _r("video", r"^not an MP4 or WebM video", "This file is not a video we can show: upload an MP4 or WebM file."),
    _r(
        "video",
        r"^the video is over (\d+) MB",
        "This video is larger than {1} MB: upload a shorter or more compressed file of at most {1} MB.",
    ),
    _r("video", r"^choose a video file", "This file is empty: choose your video file again."),
    _r("duration_seconds", r"^required for a ", "Give the video's length in seconds."),
    _r("duration_seconds", r"^Input should be greater than or equal to 1", "A video lasts at least 1 second."),
    _r("duration_seconds", r"^Input should be less than or equal to (\d+)", "A video lasts at most {1} seconds."),
    _r(
        "audiences",
        r"has fewer users than the network's minimum",
        "This audience is too small to target yet: choose a larger one.",
    ),
    _r("audiences", r"is still being counted", "This audience is still being counted: try again in a minute."),
    _r("audiences", r"^no audience ", "This audience is no longer available: untick it."),
)


def plain(field: str, message: str) -> str:
    """`message` about the form's `field`, in the words of the person filling it in."""
    label = LABELS.get(field, field.replace("_", " ").capitalize())
    for where, pattern, says in RULES:
        if where not in ("*", field):
            continue
        match = pattern.search(message)
        if match is None:
            continue
        if callable(says):
            return says(match)
        return says.replace("{label}", label).format(None, *match.groups())
    return message


def plain_errors(errors: FieldErrors) -> FieldErrors:
    """Every error of a form in plain words (the form-wide one as it is)."""
    return {field: message if field == GENERAL else plain(field, message) for field, message in errors.items()}

"""Field types the catalogue's schemas share: slugs, sizes, URLs, domains, countries.

Each type validates one thing and says what was expected, so a 422 tells an ad ops team
how to fix the field, not only that it is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

import pycountry
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_SIZE = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_SLUG = re.compile(SLUG_PATTERN)


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"{value[:70]!r} is not an id: use 1 to 64 lower-case letters, digits, - and _, "
            "starting with a letter or digit, e.g. checkout-banner"
        )
    return value


Slug = Annotated[
    str,
    AfterValidator(_slug),
    Field(
        description="Lower-case letters, digits, `-` and `_`; starts with a letter or digit.",
        json_schema_extra={"pattern": SLUG_PATTERN},  # the document says it; `_slug` words the refusal
    ),
]
Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN)]


def _size(value: str) -> str:
    if not _SIZE.match(value):
        raise ValueError(f"size {value!r} must be WIDTHxHEIGHT in pixels, e.g. 300x250")
    return value


Size = Annotated[str, AfterValidator(_size), Field(examples=["300x250"])]


def size_area(size: str) -> int:
    width, height = size.split("x")
    return int(width) * int(height)


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


WebUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_web_url)]


def _domain(value: str) -> str:
    host = value.strip().lower().rstrip(".")
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"{value!r} is not a domain name such as brand.example")
    return host


Domain = Annotated[str, AfterValidator(_domain)]


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[str, AfterValidator(_country)]


def normalise_category(value: str) -> str:
    """`Outdoor / Camping ` → `outdoor/camping`: categories are paths, compared exactly."""
    parts = [p.strip().lower() for p in value.split("/")]
    if not all(parts):
        raise ValueError(f"category {value!r} has an empty level; use a path like outdoor/camping")
    return "/".join(parts)


Category = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(normalise_category)]


def _keyword(value: str) -> str:
    word = unicodedata.normalize("NFC", " ".join(value.split()))
    if not word:
        raise ValueError("a keyword cannot be blank")
    return word


Keyword = Annotated[str, StringConstraints(max_length=100), AfterValidator(_keyword)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    Field(description="ISO 8601 with an offset; stored and returned in UTC."),
]

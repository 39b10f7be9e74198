"""The file formats a document or report is downloaded in: the `?format=` of every route
that offers more than one (reports, invoices, case studies, the billing pages).

One list, so a format has one name and one spelling everywhere; each route accepts only
the ones it can answer (`served`), and says which in its 422 and in its OpenAPI parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema


class DocumentFormat(StrEnum):
    """A format a document is answered in; the values are the public `?format=` words."""

    JSON = "json"
    CSV = "csv"  # a report's rows, the header first (its disclosure beside it: TERMS)
    TERMS = "terms"  # a report's disclosure alone, in words (text/plain)
    HTML = "html"
    PDF = "pdf"


@dataclass(frozen=True, slots=True)
class Served:
    """Pydantic metadata narrowing a `DocumentFormat` parameter to the formats one route
    serves: `Annotated[DocumentFormat, served(HTML, PDF)]`. Any other word is a 422 naming
    the allowed ones ("Input should be 'html' or 'pdf'"), and the OpenAPI document lists
    only these; the route still receives a `DocumentFormat` member."""

    formats: tuple[DocumentFormat, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        allowed = core_schema.literal_schema([f.value for f in self.formats])
        return core_schema.no_info_after_validator_function(DocumentFormat, allowed)


def served(*formats: DocumentFormat) -> Served:
    """The formats a route answers in, in the order its 422 and its documentation list them."""
    if not formats:
        raise ValueError("a route serves at least one format")
    return Served(formats)

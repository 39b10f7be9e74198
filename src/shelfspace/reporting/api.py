"""`GET /v1/reports`: JSON or CSV. An advertiser key sees only its own advertiser's rows."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from shelfspace.accounts.caller import Caller
from shelfspace.core.errors import FieldProblem, InvalidInput
from shelfspace.core.formats import DocumentFormat, served
from shelfspace.core.jsonbody import ExactDecimal, JsonBody
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.reporting.metrics import METRICS
from shelfspace.reporting.report import ReportQuery, build_report, parse_groupings
from shelfspace.runtime import runtime_of

MAX_DAYS = 400

router = APIRouter(tags=["reports"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 422)})


# CSV: the header row first; its disclosure at format=terms (the answer's `Link` header).
ReportFormat = Annotated[DocumentFormat, served(DocumentFormat.JSON, DocumentFormat.CSV, DocumentFormat.TERMS)]


# A row's groupings are text (ids, `day`, `hour`); its metrics counts, exact decimals
# (money and ratios) or null (a ratio over zero).
Row = dict[str, str | int | ExactDecimal | None]


class ReportOut(BaseModel):
    rows: list[Row] = Field(description="One per group: its groupings, then every metric: " + ", ".join(METRICS) + ".")
    totals: dict[str, int | ExactDecimal | None] = Field(description="Every metric, over the whole report.")
    disclosure: dict[str, Any] = Field(description="Attribution, viewability, invalid traffic, time zone.")


def report_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The header on the first line, then a row per group: what a spreadsheet opens as is.
    The disclosure is not in the file; it is served beside it (`report_terms`, a `Link`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = columns + list(METRICS)
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(n) is None else row[n] for n in names])
    return out.getvalue()


def _lines(fields: dict[str, Any], indent: str = "") -> list[str]:
    """`{"post_click_days": 14, "invalid_traffic": {...}}` → "Post click days: 14", then the
    nested fields indented under "Invalid traffic:"."""
    lines = []
    for key, value in fields.items():
        label = f"{indent}{str(key).replace('_', ' ').capitalize()}:"
        if isinstance(value, dict):
            lines += [label, *_lines(value, indent + "  ")]
        else:
            text = "none" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            lines.append(f"{label} {text}")
    return lines


def report_terms(disclosure: dict[str, Any], title: str) -> str:
    """The disclosure of a report in words, as plain text: what its numbers were counted under."""
    terms = str(disclosure.get("attribution", {}).get("terms", ""))
    return "\n".join([title, "", terms, "", *_lines(disclosure), ""])


def terms_link(url: str) -> dict[str, str]:
    """The header pointing from a CSV to its disclosure (RFC 8288 `describedby`)."""
    return {"Link": f'<{url}>; rel="describedby"; type="text/plain"'}


@router.get(
    "/v1/reports",
    response_model=ReportOut,
    summary="Delivery, spend and sales, grouped",
    responses={200: {"content": {"text/csv": {}, "text/plain": {}}}},
)
def reports(
    request: Request,
    db: Db,
    caller: Caller,
    start: Annotated[date, Query(alias="from", description="First day, in the network's time zone.")],
    end: Annotated[date, Query(alias="to", description="Last day, included.")],
    group_by: Annotated[
        str,
        Query(
            description="Comma-separated: day, hour, advertiser, campaign, line_item, "
            "creative, placement, channel, sku."
        ),
    ] = "day",
    format: ReportFormat = DocumentFormat.JSON,
    advertiser_id: Annotated[str | None, Query(max_length=40)] = None,
    campaign_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    problems = []
    if end < start:
        problems.append(FieldProblem("to", "must not be before `from`"))
    elif (end - start).days >= MAX_DAYS:
        problems.append(FieldProblem("to", f"a report covers at most {MAX_DAYS} days"))
    try:
        groupings = parse_groupings(group_by)
    except ValueError as bad:
        problems.append(FieldProblem("group_by", str(bad)))
        groupings = ()
    if problems:
        raise InvalidInput.collect(problems)
    if not caller.is_operator:
        advertiser_id = caller.advertiser_id  # an advertiser reads its own rows, whatever it asks
    rt = runtime_of(request)
    query = ReportQuery(start, end, groupings, advertiser_id, campaign_id)
    report = build_report(db, query, rt.attribution_windows, rt.settings.timezone)
    if format is DocumentFormat.CSV:
        terms = request.url.include_query_params(format=DocumentFormat.TERMS.value)
        return Response(
            report_csv(query.columns(), report.rows),
            media_type="text/csv",
            headers=terms_link(f"{terms.path}?{terms.query}"),
        )
    if format is DocumentFormat.TERMS:
        return Response(
            report_terms(report.disclosure, f"Report terms, {start} to {end} (days in {rt.settings.timezone})"),
            media_type="text/plain",
        )
    return JsonBody({"rows": report.rows, "totals": report.totals, "disclosure": report.disclosure})

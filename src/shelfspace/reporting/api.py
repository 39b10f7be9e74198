"""`GET /v1/reports`: JSON or CSV. An advertiser key sees only its own advertiser's rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from shelfspace.core.errors import FieldProblem, InvalidInput
from shelfspace.core.jsonbody import ExactDecimal, JsonBody
from shelfspace.http.deps import Caller, Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.reporting.metrics import METRICS
from shelfspace.reporting.report import ReportQuery, build_report, parse_groupings

MAX_DAYS = 400

router = APIRouter(tags=["reports"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 422)})


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


# A row's groupings are text (ids, `day`, `hour`); its metrics counts, exact decimals
# (money and ratios) or null (a ratio over zero).
Row = dict[str, str | int | ExactDecimal | None]


class ReportOut(BaseModel):
    rows: list[Row] = Field(description="One per group: its groupings, then every metric: " + ", ".join(METRICS) + ".")
    totals: dict[str, int | ExactDecimal | None] = Field(description="Every metric, over the whole report.")
    disclosure: dict[str, Any] = Field(description="Attribution, viewability, invalid traffic, time zone.")


def report_csv(columns: list[str], rows: list[dict[str, Any]], disclosure: dict[str, Any]) -> str:
    out = io.StringIO()
    # The disclosure travels with the numbers, as comment lines a spreadsheet shows on top.
    for line in json.dumps(disclosure, indent=1, default=str).splitlines():
        out.write(f"# {line}\n")
    writer = csv.writer(out, lineterminator="\n")
    names = columns + list(METRICS)
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(n) is None else row[n] for n in names])
    return out.getvalue()


@router.get("/v1/reports", response_model=ReportOut, summary="Delivery, spend and sales, grouped",
            responses={200: {"content": {"text/csv": {}}}})
def reports(
    request: Request,
    db: Db,
    caller: Caller,
    start: Annotated[date, Query(alias="from", description="First day, in the network's time zone.")],
    end: Annotated[date, Query(alias="to", description="Last day, included.")],
    group_by: Annotated[str, Query(description="Comma-separated: day, hour, advertiser, campaign, line_item, "
                                               "creative, placement, channel, sku.")] = "day",
    format: ReportFormat = ReportFormat.JSON,
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
    state = request.app.state
    query = ReportQuery(start, end, groupings, advertiser_id, campaign_id)
    report = build_report(db, query, state.attribution_windows, state.settings.timezone)
    if format is ReportFormat.CSV:
        return Response(report_csv(query.columns(), report.rows, report.disclosure), media_type="text/csv")
    return JsonBody({"rows": report.rows, "totals": report.totals, "disclosure": report.disclosure})

"""The backtest as tables: the same rows printed by `shelfspace backtest-forecasts` (rich)
and written into docs/forecasting.md (Markdown)."""

from __future__ import annotations

from rich.table import Table

from shelfspace.core.money_words import plain_number
from shelfspace.sim.backtest import TARGET_MDAPE, Accuracy, BacktestResult, Metric, by_campaign

Rows = tuple[list[str], list[list[str]]]  # headers, rows


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def _amount(metric: Metric, value: float) -> str:
    if metric is Metric.SPEND:
        return plain_number(round(value))  # forecast totals are estimates, in micros
    return f"{value:,.0f}" if metric is Metric.IMPRESSIONS else f"{value:,.1f}"


def summary_rows(result: BacktestResult) -> Rows:
    """Per metric: MdAPE per campaign-day (target for impressions), per line item-day, and
    the naive forecasts' (MdAPE too); the rows measured and those without delivery; totals
    and bias."""
    headers = [
        "metric",
        "MdAPE campaign-days",
        "MdAPE line item-days",
        "naive: day before",
        "naive: a week before",
        "campaign-days measured",
        "no delivery (forecast 0 too)",
        "forecast total",
        "actual total",
        "bias",
    ]
    rows = []
    for metric in Metric:
        campaigns: Accuracy = result.accuracy(metric)
        line_items = result.accuracy(metric, "line_items")
        naive_day = result.accuracy(metric, "naive_day")
        naive_week = result.accuracy(metric, "naive_week")
        target = f" (target < {TARGET_MDAPE:.0%})" if metric is Metric.IMPRESSIONS else ""
        rows.append(
            [
                metric.value,
                _pct(campaigns.mdape) + target,
                _pct(line_items.mdape),
                _pct(naive_day.mdape),
                _pct(naive_week.mdape),
                str(campaigns.measured),
                f"{campaigns.zero_actual} ({campaigns.zero_both})",
                _amount(metric, campaigns.forecast_total),
                _amount(metric, campaigns.actual_total),
                _signed(campaigns.bias),
            ]
        )
    return headers, rows


def campaign_rows(result: BacktestResult) -> Rows:
    """Per campaign over the days forecast: totals forecast / actual and the median daily error."""
    headers = [
        "campaign",
        "days",
        "impressions forecast / actual",
        "MdAPE",
        "clicks forecast / actual",
        "MdAPE",
        "spend forecast / actual",
        "MdAPE",
    ]
    rows = []
    for summary in by_campaign(result.campaigns):
        row = [summary.campaign, str(summary.days)]
        for metric in Metric:
            row += [
                f"{_amount(metric, summary.forecast.of(metric))} / {_amount(metric, summary.actual.of(metric))}",
                _pct(summary.mdape(metric)),
            ]
        rows.append(row)
    return headers, rows


def day_rows(result: BacktestResult) -> Rows:
    """Every campaign-day: forecast, actual and the error of each metric."""
    headers = ["day", "campaign"]
    for metric in Metric:
        headers += [f"{metric.value} forecast", "actual", "APE"]
    rows = []
    for row in result.campaigns:
        cells = [f"{row.day.isoformat()} {row.day.strftime('%a')}", row.campaign]
        for metric in Metric:
            cells += [
                _amount(metric, row.forecast.of(metric)),
                _amount(metric, row.actual.of(metric)),
                _pct(row.error(metric)),
            ]
        rows.append(cells)
    return headers, rows


def rich_table(title: str, rows: Rows) -> Table:
    headers, body = rows
    table = Table(title=title)
    for n, header in enumerate(headers):
        table.add_column(header, justify="left" if n == 0 or header in ("campaign", "day") else "right")
    for cells in body:
        table.add_row(*cells)
    return table


def markdown(rows: Rows) -> str:
    headers, body = rows
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" if n == 0 else "---:" for n in range(len(headers))) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines)

"""The case study's charts as inline SVG: drawn on the server, so the page needs no script
and the PDF printer draws exactly what the browser shows."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

INK, MUTED, ACCENT, CONTROL, GRID = "#1f2933", "#6b7785", "#0f766e", "#9aa5b1", "#e4e7eb"
WIDTH = 640


def _svg(height: int, body: str, label: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="11">{body}</svg>'
    )


def daily_chart(days: list[dict[str, Any]]) -> Markup:
    """Impressions a day, as bars, with the day's date under every few bars."""
    if not days:
        return Markup("")
    height, top, bottom, left = 180, 16, 28, 44
    peak = max(d["impressions"] for d in days) or 1
    step = (WIDTH - left - 8) / len(days)
    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - 8}" y2="{height - bottom}" stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{MUTED}">{peak:,}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end" fill="{MUTED}">0</text>',
    ]
    every = max(1, len(days) // 8)
    for n, day in enumerate(days):
        bar = (height - top - bottom) * day["impressions"] / peak
        x = left + n * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - bar:.1f}" width="{step * 0.7:.1f}" height="{bar:.1f}" '
            f'fill="{ACCENT}" rx="2"><title>{escape(day["day"])}: {day["impressions"]:,}</title></rect>'
        )
        if n % every == 0:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{height - 10}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(day['day'][5:])}</text>"
            )
    return _svg(height, "".join(parts), "Impressions a day")


def lift_chart(lift: dict[str, Any]) -> Markup:
    """Relative lift in buyers with its 95% interval, intent to treat and exposed, against zero."""
    rows = [("All eligible shoppers", lift), ("Shoppers reached", lift["exposed"])]
    intervals = [r["ci95"]["relative"] for _, r in rows if r["ci95"]["relative"]]
    if not intervals:
        return Markup("")
    low = min(-0.1, *(float(i[0]) for i in intervals))
    high = max(0.1, *(float(i[1]) for i in intervals))
    height, left, right = 40 + 44 * len(rows), 170, 24

    def x(value: float) -> float:
        return left + (WIDTH - left - right) * (value - low) / (high - low)

    parts = [
        f'<line x1="{x(0):.1f}" y1="10" x2="{x(0):.1f}" y2="{height - 18}" stroke="{MUTED}" stroke-dasharray="3 3"/>',
        f'<text x="{x(0):.1f}" y="{height - 4}" text-anchor="middle" fill="{MUTED}">no lift</text>',
    ]
    for n, (name, row) in enumerate(rows):
        y = 30 + 44 * n
        parts.append(f'<text x="0" y="{y + 4}" fill="{INK}">{escape(name)}</text>')
        interval, point = row["ci95"]["relative"], row["relative_lift"]
        if not interval or point is None:
            parts.append(f'<text x="{left}" y="{y + 4}" fill="{MUTED}">not enough data</text>')
            continue
        colour = ACCENT if row["readable"] and interval[0] > 0 else CONTROL
        parts.append(
            f'<line x1="{x(interval[0]):.1f}" y1="{y}" x2="{x(interval[1]):.1f}" y2="{y}" '
            f'stroke="{colour}" stroke-width="3" stroke-linecap="round"/>'
        )
        parts.append(f'<circle cx="{x(point):.1f}" cy="{y}" r="6" fill="{colour}"/>')
        parts.append(
            f'<text x="{x(point):.1f}" y="{y - 10}" text-anchor="middle" fill="{INK}">{point:+.0%} '
            f"({interval[0]:+.0%} to {interval[1]:+.0%})</text>"
        )
    return _svg(height, "".join(parts), "Relative lift in buyers with its 95% interval")


def bars_chart(results: dict[str, Any]) -> Markup:
    """A brand lift study: the share choosing the brand, control against exposed."""
    rows = [("Control", results["control"], CONTROL), ("Exposed", results["exposed"], ACCENT)]
    height, left = 110, 80
    parts = []
    for n, (name, group, colour) in enumerate(rows):
        y = 14 + 44 * n
        width = (WIDTH - left - 90) * group["share"]
        parts.append(f'<text x="0" y="{y + 17}" fill="{INK}">{name}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{width:.1f}" height="26" fill="{colour}" rx="3"/>')
        parts.append(
            f'<text x="{left + width + 8:.1f}" y="{y + 17}" fill="{INK}">{group["share"]:.0%} of '
            f"{group['responses']:,}</text>"
        )
    return _svg(height, "".join(parts), "Share choosing the brand, control and exposed")

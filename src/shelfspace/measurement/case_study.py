"""A campaign's case study: its results written up for the next deal, as a page and a PDF.

Everything quoted is recomputed on each view: delivery and sales from the rollups (as
`GET /v1/reports` reports them), incrementality from the lift study, brand lift from the
survey answers. Only the operator's words (headline, narrative) and the share link are
stored. Until the operator writes their own, both are drafted from the numbers (so they
follow the figures), saying no more than they support: a lift is called proven only when
its interval excludes zero and the minimum sample is reached.

A narrative is paragraphs separated by blank lines, whatever line ends sent it (a
browser's textarea sends CR LF); a single line break stays a line break.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from pydantic import field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shelfspace.catalog.models import Advertiser, Campaign, LineItem
from shelfspace.core.attribution import Windows
from shelfspace.core.errors import InvalidInput
from shelfspace.core.inputs import InputModel
from shelfspace.core.money_words import plain_units
from shelfspace.events.log import EventLog
from shelfspace.measurement import brand_lift
from shelfspace.measurement.campaign_lift import Verdict, campaign_lift, verdict
from shelfspace.measurement.case_study_charts import bars_chart, daily_chart, lift_chart
from shelfspace.measurement.models import BrandLiftStudy, CaseStudy
from shelfspace.reporting.report import Grouping, ReportQuery, build_report

TEMPLATE_DIR = Path(__file__).parent / "templates"
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=jinja2.StrictUndefined
)


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def plain_lines(text: str) -> str:
    """Every line end as one LF, as the narrative is stored and compared."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def paragraphs(text: str) -> list[str]:
    """The narrative's paragraphs: split at blank lines (one or several), each kept whole."""
    return [p for p in PARAGRAPH_BREAK.split(plain_lines(text).strip()) if p.strip()]


class CaseStudyEdit(InputModel):
    headline: str | None = None
    narrative: str | None = None
    published: bool | None = None

    @field_validator("headline", "narrative", mode="before")
    @classmethod
    def _plain_lines(cls, value: object) -> object:
        return plain_lines(value) if isinstance(value, str) else value

    def problems(self) -> None:
        if self.headline is not None and len(self.headline) > 200:
            raise InvalidInput.on("headline", "at most 200 characters")
        if self.narrative is not None and len(self.narrative) > 5000:
            raise InvalidInput.on("narrative", "at most 5,000 characters")


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    currency: str
    timezone: str
    windows: Windows


@dataclass(slots=True)
class CaseStudyView:
    network: Network
    campaign: Campaign
    brand: str
    period: tuple[date, date]
    audience: list[str]
    placements: list[str]
    totals: dict[str, Any]
    days: list[dict[str, Any]]
    lift: dict[str, Any]
    brand_lifts: list[dict[str, Any]]
    headline: str
    narrative: str
    drafted: bool  # the narrative is the draft, not the operator's words
    headline_drafted: bool  # and the headline
    share_token: str | None
    charts: dict[str, str] = field(default_factory=dict)

    def paragraphs(self) -> list[str]:
        return paragraphs(self.narrative)


def stored(db: Session, campaign_id: str) -> CaseStudy | None:
    return db.get(CaseStudy, campaign_id)


def edit(db: Session, campaign: Campaign, spec: CaseStudyEdit) -> CaseStudy:
    """The operator's words, and publishing (a new unguessable link) or unpublishing."""
    spec.problems()
    study = stored(db, campaign.id) or CaseStudy(campaign_id=campaign.id)
    if spec.headline is not None:
        study.headline = spec.headline.strip() or None
    if spec.narrative is not None:
        study.narrative = spec.narrative.strip() or None
    if spec.published is True and study.share_token is None:
        study.share_token = secrets.token_urlsafe(24)
    elif spec.published is False:
        study.share_token = None
    db.add(study)
    db.flush()
    return study


def by_share_token(db: Session, token: str) -> CaseStudy | None:
    return db.scalars(select(CaseStudy).where(CaseStudy.share_token == token)).first()


def build(db: Session, event_log: EventLog, campaign: Campaign, now: datetime, network: Network) -> CaseStudyView:
    advertiser = db.get(Advertiser, campaign.advertiser_id)
    assert advertiser is not None
    start = campaign.start.date()
    end = min(now, campaign.end).date() if campaign.end else now.date()
    end = max(start, end)
    report = build_report(
        db, ReportQuery(start, end, (Grouping.DAY,), campaign_id=campaign.id), network.windows, network.timezone
    )
    line_items = list(
        db.scalars(
            select(LineItem)
            .where(LineItem.campaign_id == campaign.id)
            .options(selectinload(LineItem.placements))
            .order_by(LineItem.id)
        )
    )
    lift = campaign_lift(db, event_log, campaign, now)
    studies = db.scalars(
        select(BrandLiftStudy).where(BrandLiftStudy.campaign_id == campaign.id).order_by(BrandLiftStudy.id)
    )
    brand_lifts = [brand_lift.results(db, event_log, s, now) for s in studies]
    mine = stored(db, campaign.id)
    view = CaseStudyView(
        network=network,
        campaign=campaign,
        brand=advertiser.name,
        period=(start, end),
        audience=_audience(line_items),
        placements=_placements(line_items),
        totals=report.totals,
        days=report.rows,
        lift=lift,
        brand_lifts=brand_lifts,
        headline=(
            mine.headline
            if mine and mine.headline
            else draft_headline(advertiser.name, network.name, lift, brand_lifts)
        ),
        narrative=(mine.narrative if mine and mine.narrative else ""),
        drafted=not (mine and mine.narrative),
        headline_drafted=not (mine and mine.headline),
        share_token=mine.share_token if mine else None,
    )
    if view.drafted:
        view.narrative = draft_narrative(view)
    view.charts = {
        "daily": daily_chart(view.days),
        "lift": lift_chart(lift),
        **{f"brand_lift_{n}": bars_chart(b["results"]) for n, b in enumerate(brand_lifts)},
    }
    return view


def _audience(line_items: list[LineItem]) -> list[str]:
    described = []
    for li in line_items:
        t = li.targeting or {}
        parts = [
            f"{label} {', '.join(map(str, t[key]))}"
            for key, label in (
                ("keywords", "searching for"),
                ("categories", "browsing"),
                ("audiences", "in the audiences"),
                ("countries", "in"),
                ("devices", "on"),
            )
            if t.get(key)
        ]
        if t.get("dayparts"):
            parts.append("at chosen times of the week")
        described.append(f"{li.name}: " + ("; ".join(parts) if parts else "every shopper"))
    return described


def _placements(line_items: list[LineItem]) -> list[str]:
    seen: dict[str, str] = {}
    for li in line_items:
        for p in li.placements:
            seen[p.id] = (
                f"{p.name} ({p.channel.value.replace('instore', 'in-store')}, {p.format.value.replace('_', ' ')})"
            )
    return [seen[k] for k in sorted(seen)]


def proven(lift: dict[str, Any]) -> bool:
    return verdict(lift) is Verdict.PROVEN


def _significant(brand_lifts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Brand lift studies that found a lift, largest first."""
    found = [b for b in brand_lifts if b["results"]["significant"] and b["results"]["absolute_lift"] > 0]
    return sorted(found, key=lambda b: -b["results"]["absolute_lift"])


def draft_headline(brand: str, network: str, lift: dict[str, Any], brand_lifts: list[dict[str, Any]]) -> str:
    """The draft leads with the figure the verdict proved: incremental purchases (purchases per
    user), never the share of buyers, whose own interval may hold zero when purchases do not."""
    if proven(lift):
        low, high = lift["ci95"]["incremental_conversions"]
        return (
            f"{brand} on {network}: {lift['incremental_conversions']:,.0f} purchases the ads added "
            f"(95% interval {low:,.0f} to {high:,.0f})"
        )
    if studies := _significant(brand_lifts):
        best = studies[0]
        return f"{brand} on {network}: {best['results']['absolute_lift'] * 100:+.1f} points in {best['metric']}"
    return f"{brand} on {network}: a measured test campaign"


def draft_narrative(view: CaseStudyView) -> str:
    t, lift = view.totals, view.lift
    first = (
        f"{view.brand} ran “{view.campaign.name}” on {view.network.name} from {view.period[0]:%d %B} to "
        f"{view.period[1]:%d %B %Y}, reaching {t['reach'] or 0:,} shoppers with {t['impressions']:,} "
        f"impressions across {len(view.placements)} placement{'s' if len(view.placements) != 1 else ''}."
    )
    if t["conversions"]:
        first += (
            f" Shoppers who saw or clicked the ads bought {t['conversions']:,} times, for "
            f"{plain_units(t['revenue'], view.network.currency)} in sales: a ROAS of {t['roas'] or 0:.2f}."
        )
    held = f"{lift['holdout_percent']}% of eligible shoppers were held out at random"
    if proven(lift):
        second = (
            f"{held}, and compared with them the campaign added an estimated "
            f"{lift['incremental_conversions']:,.0f} purchases (95% interval "
            f"{lift['ci95']['incremental_conversions'][0]:,.0f} to {lift['ci95']['incremental_conversions'][1]:,.0f}): "
            f"sales that would not have happened without it."
        )
    elif lift["interim"]:
        second = (
            f"{held}; the test is read on {lift['read_at'][:10]}, the date fixed when it started, and until "
            f"then its figures are interim."
        )
    elif lift["p_value"] is not None:
        second = (
            f"{held}. Against them the campaign's estimated effect was {lift['incremental_conversions']:+,.1f} "
            f"purchases, but the 95% interval includes zero, so the test did not prove a lift; a longer "
            f"or larger test would settle it."
        )
    else:
        second = f"{held}; the groups are still too small to declare a lift (the minimum sample is not reached)."
    paragraphs = [first, second]
    for study in _significant(view.brand_lifts):
        r = study["results"]
        low, high = r["ci95"]["absolute"]
        paragraphs.append(
            f"Asked “{study['question']}”, {r['exposed']['share']:.1%} of shoppers who saw the ads chose "
            f"{study['correct_answer']}, against {r['control']['share']:.1%} of shoppers held out: "
            f"{r['absolute_lift'] * 100:+.1f} points (95% interval {low * 100:+.1f} to {high * 100:+.1f}), from "
            f"{r['exposed']['responses']:,} and {r['control']['responses']:,} answers."
        )
    return "\n\n".join(paragraphs)


def render_html(view: CaseStudyView, share_url: str | None = None, nonce: str | None = None) -> str:
    """`nonce`: the response's CSP nonce (http/security_headers.py), which lets a browser
    apply the inline stylesheet; the PDF has no policy and needs none."""
    return _templates.get_template("case_study.html").render(v=view, share_url=share_url, fmt=_Formats, nonce=nonce)


def render_pdf(html: str, base_url: str) -> bytes:
    """The same page, printed by WeasyPrint (its own CSS `@page` rules set A4)."""
    import weasyprint

    return bytes(weasyprint.HTML(string=html, base_url=base_url).write_pdf())


class _Formats:
    """Number formats the template uses."""

    @staticmethod
    def count(value: Any) -> str:
        return "–" if value is None else f"{value:,.0f}"

    @staticmethod
    def estimate(value: Any) -> str:
        """An estimated count, signed, with a decimal while it is small: "-0.5", "+12"."""
        if value is None:
            return "–"
        return f"{float(value):+,.1f}" if abs(float(value)) < 10 else f"{float(value):+,.0f}"

    @staticmethod
    def money(value: Any, currency: str) -> str:
        return plain_units(value, currency)

    @staticmethod
    def percent(value: Any, places: int = 2) -> str:
        return "–" if value is None else f"{float(value) * 100:.{places}f}%"

    @staticmethod
    def signed_percent(value: Any) -> str:
        return "–" if value is None else f"{float(value) * 100:+.1f}%"

    @staticmethod
    def ratio(value: Any) -> str:
        return "–" if value is None else f"{float(value):,.2f}"

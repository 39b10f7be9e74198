"""Measurement pages, the same for the brand that owns a campaign and for the operator:
incrementality against the holdout, brand lift studies, the study planner, and the case
study (which only the operator edits and publishes).

Each page lives twice, under `/brand/campaigns/{id}/…` and `/console/campaigns/{id}/…`,
and goes through the same services with the signed-in user's principal, so a brand asking
for another brand's campaign gets "not found" exactly as in the API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from shelfspace.catalog.campaign_state import URGENCY, CampaignState
from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.catalog.schemas import CampaignUpdate
from shelfspace.catalog.services import campaigns
from shelfspace.catalog.services.campaigns import TEST_HOLDOUT_PERCENT
from shelfspace.core.errors import ShelfspaceError
from shelfspace.core.formats import DocumentFormat
from shelfspace.dashboard.campaign_states import page_states
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AnyUser, DashboardUser, OperatorUser, WrongRole
from shelfspace.dashboard.tables import Column, Table, table
from shelfspace.db.session import session_scope
from shelfspace.decisioning.holdout import StudyGroup
from shelfspace.http.security_headers import frame_by_own_pages
from shelfspace.measurement import brand_lift, case_study, planner
from shelfspace.measurement.brand_lift import LiftMetric, StudyCreate, StudyStatus, StudyUpdate
from shelfspace.measurement.campaign_lift import Verdict, campaign_lift, verdict
from shelfspace.measurement.case_study import CaseStudyEdit
from shelfspace.measurement.case_study_api import CaseStudyFormat, campaign_case_study, network_of, share_url
from shelfspace.measurement.case_study_charts import bars_chart, lift_chart
from shelfspace.measurement.models import LiftStudyUser
from shelfspace.measurement.planner import PlanIn
from shelfspace.measurement.stats import RepeatBuying
from shelfspace.reporting.report import Grouping, ReportQuery, build_report
from shelfspace.runtime import runtime_of

router = page_router()

# How each verdict reads on the page, and the badge it wears.
VERDICTS: dict[Verdict, tuple[str, str]] = {
    Verdict.PROVEN: ("Proven lift", "good"),
    Verdict.NOT_PROVEN: ("No proven lift", "warn"),
    Verdict.NEGATIVE: ("Fewer buyers than the holdout", "bad"),
    Verdict.TOO_FEW: ("Too few shoppers to read", "warn"),
    Verdict.INTERIM: ("Interim: not read yet", "warn"),
}
PLAN_FIELDS = ("baseline_rate", "expected_rate", "users_per_day", "days", "holdout_percent")


def _user_of_this_side(request: Request, user: AnyUser) -> DashboardUser:
    """The operator on /console/… pages, a brand's person on /brand/… ones; anyone else
    finds no such page (as with OperatorUser and AdvertiserUser)."""
    operator_page = request.url.path.startswith("/console/")
    if operator_page != user.is_operator or (not user.is_operator and user.advertiser_id is None):
        raise WrongRole()
    return user


SideUser = Annotated[DashboardUser, Depends(_user_of_this_side)]


def base_path(user: DashboardUser, campaign_id: str) -> str:
    return f"/console/campaigns/{campaign_id}" if user.is_operator else f"/brand/campaigns/{campaign_id}"


# --- the measurement page ------------------------------------------------------------------


def _users_per_day(db: Session, campaign: Campaign, now_ts: float) -> int | None:
    """Eligible users a day so far: what the planner starts from for this campaign."""
    first, users = db.execute(
        select(func.min(LiftStudyUser.eligible_at), func.count()).where(LiftStudyUser.campaign_id == campaign.id)
    ).one()
    if not users or first is None:
        return None
    return max(1, round(users / max(1.0, (now_ts - first) / 86_400)))


def _plan(
    query: dict[str, str],
    lift: dict[str, Any] | None,
    users_per_day: int | None,
    holdout: int,
    history: Callable[[], tuple[RepeatBuying, int]],
) -> tuple[dict[str, str], dict[str, Any] | None, FieldErrors]:
    """The planner's form values (typed ones, else the campaign's own figures) and its answer,
    with the network's repeat buying (read only when a plan is asked for)."""
    control_rate = (lift or {}).get("control", {}).get("conversion_rate")
    values = {
        "baseline_rate": f"{control_rate * 100:.2f}" if control_rate else "2.00",
        "users_per_day": str(users_per_day or 1000),
        "days": "14",
        "holdout_percent": str(min(max(holdout, 1), 50) if holdout else TEST_HOLDOUT_PERCENT),
        "expected_rate": "",
    }
    if not any(query.get(f"plan_{name}") for name in PLAN_FIELDS):
        return values, None, {}
    values |= {name: query.get(f"plan_{name}", "").strip() for name in PLAN_FIELDS}
    try:
        spec = PlanIn.model_validate(
            {
                "baseline_rate": _percent(values["baseline_rate"]),
                "expected_rate": _percent(values["expected_rate"]),
                "users_per_day": values["users_per_day"] or None,
                "days": values["days"] or None,
                "holdout_percent": values["holdout_percent"] or TEST_HOLDOUT_PERCENT,
            }
        )
    except ValidationError as exc:
        return values, None, errors_of(exc)
    return values, planner.plan(spec, *history()), {}


def _percent(typed: str) -> float | str | None:
    """What people type in a percent field ("2.5" or "2.5%") as a rate; text stays text so
    validation names the field."""
    if not typed:
        return None
    try:
        return float(typed.rstrip("% ")) / 100
    except ValueError:
        return typed


def _measurement(
    request: Request,
    user: DashboardUser,
    campaign_id: str,
    status_code: int = 200,
    study_form: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    rt = runtime_of(request)
    now = rt.clock.now()
    with session_scope(rt.db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        advertiser = db.get(Advertiser, campaign.advertiser_id)
        lift = campaign_lift(db, rt.event_log, campaign, now) if campaign.holdout_percent else None
        studies = [
            brand_lift.results(db, rt.event_log, s, now) for s in brand_lift.listed(db, user.principal, campaign.id)
        ]
        users_per_day = _users_per_day(db, campaign, now.timestamp())
        totals = build_report(
            db,
            ReportQuery(campaign.start.date(), now.date(), (), campaign_id=campaign.id),
            rt.attribution_windows,
            rt.settings.timezone,
        ).totals
        stored = case_study.stored(db, campaign.id)
        published = share_url(request, stored.share_token) if stored else None
        campaign_state = page_states(request, db, [campaign])[campaign.id]
    values, plan, plan_errors = _plan(
        dict(request.query_params),
        lift,
        users_per_day,
        campaign.holdout_percent,
        lambda: planner.repeat_buying(rt.event_log, now),
    )
    verdicts = {
        name: VERDICTS[verdict(part)]
        for name, part in (("intent_to_treat", lift), ("exposed", lift["exposed"] if lift else None))
        if part
    }
    return render(
        request,
        "measurement/campaign.html",
        status_code=status_code,
        title=f"{campaign.name}: measurement",
        campaign=campaign,
        state=campaign_state,
        brand=advertiser.name if advertiser else "",
        base=base_path(user, campaign.id),
        back="/console/campaigns" if user.is_operator else f"/brand/campaigns/{campaign.id}",
        lift=lift,
        verdicts=verdicts,
        lift_chart=lift_chart(lift) if lift else "",
        totals=totals,
        studies=[(s, bars_chart(s["results"])) for s in studies],
        metrics=[(m.value, m.value) for m in LiftMetric],
        study_form=study_form
        or {
            "metric": LiftMetric.AWARENESS.value,
            "question": "Which of these brands have you heard of?",
            "answers": "",
            "correct_answer": advertiser.name if advertiser else "",
        },
        errors=errors or {},
        plan=plan,
        plan_values=values,
        plan_errors=plan_errors,
        users_per_day=users_per_day,
        published=published,
        StudyGroup=StudyGroup,
        StudyStatus=StudyStatus,
        holdout_fixed=campaigns.holdout_locked(campaign, user.principal),
    )


@router.get("/brand/campaigns/{campaign_id}/measurement")
@router.get("/console/campaigns/{campaign_id}/measurement")
def measurement_page(request: Request, campaign_id: str, user: SideUser) -> Response:
    return _measurement(request, user, campaign_id)


# --- holdout and brand lift studies --------------------------------------------------------


@router.post("/brand/campaigns/{campaign_id}/holdout")
@router.post("/console/campaigns/{campaign_id}/holdout")
def set_holdout(request: Request, campaign_id: str, user: SideUser, form: CheckedForm) -> Response:
    typed = text(form, "holdout_percent")
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            campaigns.update(db, user.principal, campaign_id, CampaignUpdate.model_validate({"holdout_percent": typed}))
    except (ValidationError, ShelfspaceError) as exc:
        return _measurement(
            request, user, campaign_id, 400, errors={"holdout_percent": next(iter(errors_of(exc).values()))}
        )
    return redirect_with(
        request,
        f"{base_path(user, campaign_id)}/measurement",
        f"{typed}% of eligible shoppers are held out from now on; the ads reach the rest.",
    )


def _study_form(form: FormData) -> dict[str, str]:
    return {name: text(form, name) for name in ("metric", "question", "answers", "correct_answer")}


@router.post("/brand/campaigns/{campaign_id}/brand-lift")
@router.post("/console/campaigns/{campaign_id}/brand-lift")
def create_study(request: Request, campaign_id: str, user: SideUser, form: CheckedForm) -> Response:
    typed = _study_form(form)
    answers = [line.strip() for line in typed["answers"].splitlines() if line.strip()]
    try:
        spec = StudyCreate.model_validate(
            {
                "campaign_id": campaign_id,
                "metric": typed["metric"],
                "question": typed["question"],
                "answers": answers,
                "correct_answer": typed["correct_answer"],
            }
        )
        with session_scope(runtime_of(request).db_sessions) as db:
            brand_lift.create(db, user.principal, spec)
    except (ValidationError, ShelfspaceError) as exc:
        errors = {name.split(".")[0]: message for name, message in errors_of(exc).items()}  # answers.2 -> answers
        return _measurement(request, user, campaign_id, 400, study_form=typed, errors=errors)
    return redirect_with(
        request,
        f"{base_path(user, campaign_id)}/measurement#brand-lift",
        "The study is live: shoppers the campaign reached, and control shoppers it would have "
        "reached, are asked where your pages make room for a question.",
    )


@router.post("/brand/campaigns/{campaign_id}/brand-lift/{study_id}/status")
@router.post("/console/campaigns/{campaign_id}/brand-lift/{study_id}/status")
def study_status(request: Request, campaign_id: str, study_id: str, user: SideUser, form: CheckedForm) -> Response:
    wanted = StudyStatus.CLOSED if form.get("status") == StudyStatus.CLOSED else StudyStatus.LIVE
    with session_scope(runtime_of(request).db_sessions) as db:
        study = brand_lift.get(db, user.principal, study_id)
        if study.campaign_id != campaign_id:
            campaigns.get(db, user.principal, campaign_id)  # not found for others; else a mismatched link
        brand_lift.set_status(db, user.principal, study_id, StudyUpdate(status=wanted))
    done = (
        "The study is closed: nobody else is asked, and its results stay."
        if wanted is StudyStatus.CLOSED
        else "The study is asking again."
    )
    return redirect_with(request, f"{base_path(user, campaign_id)}/measurement#brand-lift", done)


# --- the case study ------------------------------------------------------------------------


@router.get("/brand/campaigns/{campaign_id}/case-study")
@router.get("/console/campaigns/{campaign_id}/case-study")
def case_study_document(
    request: Request, campaign_id: str, user: SideUser, format: CaseStudyFormat = DocumentFormat.HTML
) -> Response:
    # Framed by the case-study editor's preview (and by no other site).
    return frame_by_own_pages(campaign_case_study(request, user.principal, campaign_id, format))


WORDS = ("headline", "narrative")


def draft_mark(drafted: str) -> str:
    """What the editor's form carries of a drafted text it shows (`<name>_draft`): sent back
    with the same text, the words are still the draft, however the figures moved since."""
    return hashlib.sha256(case_study.plain_lines(drafted).strip().encode()).hexdigest()[:32]


def _editor(
    request: Request,
    user: DashboardUser,
    campaign_id: str,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    marks: dict[str, str] | None = None,
) -> Response:
    rt = runtime_of(request)
    with session_scope(rt.db_sessions) as db:
        campaign = campaigns.get(db, user.principal, campaign_id)
        view = case_study.build(db, rt.event_log, campaign, rt.clock.now(), network_of(request))
    values = typed or {"headline": view.headline, "narrative": view.narrative}
    if marks is None:
        marks = {
            "headline": draft_mark(view.headline) if view.headline_drafted else "",
            "narrative": draft_mark(view.narrative) if view.drafted else "",
        }
    return render(
        request,
        "measurement/case_study_editor.html",
        status_code=status_code,
        title=f"{campaign.name}: case study",
        campaign=campaign,
        view=view,
        values=values,
        marks=marks,
        errors=errors or {},
        share=share_url(request, view.share_token),
        own=[name for name, drafted in zip(WORDS, (view.headline_drafted, view.drafted), strict=True) if not drafted],
        base=base_path(user, campaign.id),
    )


@router.get("/console/campaigns/{campaign_id}/case-study/edit")
def case_study_editor(request: Request, campaign_id: str, user: OperatorUser) -> Response:
    return _editor(request, user, campaign_id)


class EditAction(StrEnum):
    """The buttons of the editor form."""

    SAVE = "save"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    REDRAFT = "redraft"  # back to the drafted words, computed from the figures


@router.post("/console/campaigns/{campaign_id}/case-study/edit")
def save_case_study(request: Request, campaign_id: str, user: OperatorUser, form: CheckedForm) -> Response:
    try:
        action = EditAction(text(form, "action") or EditAction.SAVE)
    except ValueError:
        action = EditAction.SAVE
    typed = {name: text(form, name) for name in WORDS}
    marks = {name: text(form, f"{name}_draft") for name in WORDS}
    # A drafted text sent back as it was shown stays the draft (stored as nothing, so its
    # figures keep following the events); only changed words are the operator's own.
    words = {name: "" if marks[name] and marks[name] == draft_mark(typed[name]) else typed[name] for name in WORDS}
    try:
        if action == EditAction.UNPUBLISH:  # withdraws the link and stores nothing else
            spec = CaseStudyEdit(published=False)
        elif action == EditAction.REDRAFT:
            spec = CaseStudyEdit(headline="", narrative="")
        else:
            spec = CaseStudyEdit(
                headline=words["headline"],
                narrative=words["narrative"],
                published=True if action == EditAction.PUBLISH else None,
            )
        with session_scope(runtime_of(request).db_sessions) as db:
            campaign = campaigns.get(db, user.principal, campaign_id)
            stored = case_study.edit(db, campaign, spec)
            link = share_url(request, stored.share_token)
            own = [name for name in WORDS if getattr(stored, name)]
    except (ValidationError, ShelfspaceError) as exc:
        return _editor(request, user, campaign_id, 400, typed, errors_of(exc), marks)
    kept = (
        f"The {' and '.join(own)} {'is' if len(own) == 1 else 'are'} now your own words."
        if own
        else "The words are still the generated draft: they follow the figures."
    )
    done = {
        EditAction.PUBLISH: f"Published: anyone with the link can read it, {link}. {kept}",
        EditAction.UNPUBLISH: "Unpublished: the old link no longer opens the case study. Nothing else changed.",
        EditAction.REDRAFT: "Back to the generated draft, written from the figures.",
    }.get(action, f"Saved. {kept}")
    return redirect_with(request, f"/console/campaigns/{campaign_id}/case-study/edit", done)


# --- the operator's list of campaigns ------------------------------------------------------


class Measured(StrEnum):
    """What a campaign measures, as the operator's list filters it."""

    TEST = "test"
    HOLDOUT = "holdout"
    NONE = "no holdout"


def measured(c: Campaign) -> Measured:
    if c.is_test:
        return Measured.TEST
    return Measured.HOLDOUT if c.holdout_percent else Measured.NONE


def _measurement_first(c: Campaign) -> tuple[bool, int, str]:
    """Tests, then the largest holdouts, then by name: where measurement starts."""
    return not c.is_test, -(c.holdout_percent or 0), c.name.casefold()


ListRow = dict[str, Any]


def campaigns_table(
    request: Request,
    found: list[tuple[Campaign, str]],
    results: dict[str, dict[str, Any]],
    states: dict[str, CampaignState],
) -> Table[ListRow]:
    """The operator's campaigns as a table (dashboard/tables.py); states sort by urgency."""
    rows = [
        {"campaign": c, "advertiser": advertiser, "state": states[c.id], "results": results.get(c.id, {})}
        for c, advertiser in found
    ]

    def result(key: str) -> Callable[[ListRow], Any]:
        return lambda r: r["results"].get(key)

    columns = [
        Column[ListRow]("name", "Campaign", lambda r: r["campaign"].name, searchable=True),
        Column[ListRow]("advertiser", "Advertiser", lambda r: r["advertiser"], searchable=True, choices=True),
        Column[ListRow](
            "state",
            "State",
            lambda r: r["state"].label,
            choices=True,
            order=lambda r: (URGENCY.index(r["state"].code), r["campaign"].name.casefold()),
        ),
        Column[ListRow](
            "measurement",
            "Measurement",
            lambda r: measured(r["campaign"]).value,
            choices=True,
            order=lambda r: _measurement_first(r["campaign"]),
        ),
        Column[ListRow]("impressions", "Impressions", result("impressions"), numeric=True),
        Column[ListRow]("spend", "Spend", result("spend"), numeric=True),
        Column[ListRow]("conversions", "Conversions", result("conversions"), numeric=True),
        Column[ListRow]("roas", "ROAS", result("roas"), numeric=True),
        Column[ListRow]("actions", "Actions", lambda r: None, sortable=False),
    ]
    return table(request, "campaigns", "campaigns", rows, columns, sort="measurement")


@router.get("/console/campaigns")
def console_campaigns(request: Request, user: OperatorUser) -> Response:
    """Every campaign on the network, tests and holdouts first: where measurement starts."""
    rt = runtime_of(request)
    now = rt.clock.now()
    with session_scope(rt.db_sessions) as db:
        rows = list(
            db.execute(
                select(Campaign, Advertiser.name).join(Advertiser).where(Campaign.status != DeliveryStatus.ARCHIVED)
            )
        )
        found = [(c, name) for c, name in rows]
        earliest = min((c.start.date() for c, _ in found), default=now.date())
        results = {
            r["campaign_id"]: r
            for r in build_report(
                db,
                ReportQuery(earliest, now.date(), (Grouping.CAMPAIGN,)),
                rt.attribution_windows,
                rt.settings.timezone,
            ).rows
        }
        states = page_states(request, db, [c for c, _ in found])
    return render(
        request,
        "measurement/console_campaigns.html",
        title="Campaigns",
        count=len(found),
        table=campaigns_table(request, found, results, states),
    )

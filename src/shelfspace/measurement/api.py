"""Routes of measurement: a campaign's lift, and the planner of lift studies.

An advertiser key reads the lift of its own campaigns only (another's reads as not found,
as everywhere in the API).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from shelfspace.accounts.caller import Caller
from shelfspace.catalog.services import campaigns
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.measurement import brand_lift, planner
from shelfspace.measurement.brand_lift import StudyCreate, StudyUpdate
from shelfspace.measurement.campaign_lift import campaign_lift
from shelfspace.measurement.planner import PlanIn
from shelfspace.measurement.schemas import BrandLiftStudyList, BrandLiftStudyOut, CampaignLiftOut, PlanOut
from shelfspace.runtime import runtime_of

router = APIRouter(tags=["measurement"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 422)})
NOT_FOUND: dict[int | str, dict[str, Any]] = {k: v for k, v in ERROR_RESPONSES.items() if k == 404}

CampaignId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN, description="The campaign's id.")]
StudyId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN, description="The study's id.")]


@router.get(
    "/v1/campaigns/{campaign_id}/lift",
    summary="Incrementality against the campaign's holdout",
    responses=NOT_FOUND,
    response_model=CampaignLiftOut,
)
def lift(request: Request, db: Db, caller: Caller, campaign_id: CampaignId) -> JsonBody:
    """Treatment against control, intent to treat (every user the campaign's targeting
    matched) and exposed against would-have-been-exposed (ghost ads): conversions and
    revenue per user, absolute and relative lift with 95% intervals, incremental
    conversions and revenue, iROAS and iCPA. `method` says how each number is made.

    Read once, at `read_at` (fixed when the campaign starts): before it the answer is
    `interim`, the groups' counts with no lift, interval, p-value or verdict; after it every
    look gives the same answer. `read_rule` says so in words."""
    campaign = campaigns.get(db, caller, campaign_id)
    rt = runtime_of(request)
    return JsonBody(campaign_lift(db, rt.event_log, campaign, rt.clock.now()))


@router.post(
    "/v1/brand-lift-studies",
    status_code=201,
    summary="Start a brand lift study for a campaign",
    responses=NOT_FOUND,
    response_model=BrandLiftStudyOut,
)
def create_study(request: Request, db: Db, caller: Caller, body: StudyCreate) -> JsonBody:
    """A question put to the campaign's exposed users and to its control users who would
    have been exposed. The campaign must hold users out (`holdout_percent`)."""
    study = brand_lift.create(db, caller, body)
    return JsonBody(
        brand_lift.results(db, runtime_of(request).event_log, study, runtime_of(request).clock.now()), status_code=201
    )


@router.get("/v1/brand-lift-studies", summary="List brand lift studies", response_model=BrandLiftStudyList)
def list_studies(
    request: Request,
    db: Db,
    caller: Caller,
    campaign_id: Annotated[str | None, Query(max_length=40, pattern=KEY_PATTERN)] = None,
) -> JsonBody:
    rt = runtime_of(request)
    now = rt.clock.now()
    return JsonBody(
        {"data": [brand_lift.results(db, rt.event_log, s, now) for s in brand_lift.listed(db, caller, campaign_id)]}
    )


@router.get(
    "/v1/brand-lift-studies/{study_id}",
    summary="A brand lift study and its results",
    responses=NOT_FOUND,
    response_model=BrandLiftStudyOut,
)
def get_study(request: Request, db: Db, caller: Caller, study_id: StudyId) -> JsonBody:
    """Answers per group, the share choosing the brand, absolute and relative lift with 95%
    intervals, cost per lifted user, and whether the minimum sample is reached. Answers are
    counted up to the campaign's read date (`results.read_at`) and the lift is shown only
    after it (`results.interim` until then)."""
    rt = runtime_of(request)
    return JsonBody(brand_lift.results(db, rt.event_log, brand_lift.get(db, caller, study_id), rt.clock.now()))


@router.patch(
    "/v1/brand-lift-studies/{study_id}",
    summary="Close or reopen a brand lift study",
    responses=NOT_FOUND,
    response_model=BrandLiftStudyOut,
)
def update_study(request: Request, db: Db, caller: Caller, study_id: StudyId, body: StudyUpdate) -> JsonBody:
    rt = runtime_of(request)
    study = brand_lift.set_status(db, caller, study_id, body)
    return JsonBody(brand_lift.results(db, rt.event_log, study, rt.clock.now()))


@router.post(
    "/v1/lift/plan",
    summary="Plan a lift study: users and days needed, minimum detectable effect",
    response_model=PlanOut,
    response_model_exclude_unset=True,
    responses=NOT_FOUND,
)  # campaign_id
def plan(request: Request, db: Db, caller: Caller, body: PlanIn) -> dict[str, Any]:
    """The sample size for purchases per user, the statistic the verdict reads (two-sided
    `alpha`, `power`), with the network's repeat buying of the last 28 days: users per group
    to tell `expected_rate` from `baseline_rate`, and the days of traffic that takes. With
    `days`, `mde` is the smallest absolute lift that traffic can detect; without it, the mde
    of the days needed (the effect asked about, by construction). With `campaign_id` and
    no `holdout_percent`, the campaign's own holdout share."""
    if body.campaign_id is not None and "holdout_percent" not in body.model_fields_set:
        campaign = campaigns.get(db, caller, body.campaign_id)
        body = body.model_copy(update={"holdout_percent": max(1, campaign.holdout_percent)})
    rt = runtime_of(request)
    buying, buyers = planner.repeat_buying(rt.event_log, rt.clock.now())
    return planner.plan(body, buying, buyers)

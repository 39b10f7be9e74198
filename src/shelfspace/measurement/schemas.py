"""The shapes of the measurement answers, for `/openapi.json`.

The answers are built as plain data by the modules that compute them (`campaign_lift.py`,
`brand_lift.py`, `planner.py`: their figures and what hides them are one rule there);
these models are the routes' `response_model=` so that integrators see each field and its
type. The schemathesis walk (`tests/http/test_openapi_conformance.py`) checks that the
answers sent match them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shelfspace.core.jsonbody import ExactDecimal
from shelfspace.measurement.brand_lift import LiftMetric, StudyStatus

Interval = list[float] | None  # [low, high] of a 95% interval; null while the study may not be read


class LiftGroup(BaseModel):
    users: int
    converters: int
    conversions: int
    revenue: ExactDecimal
    conversion_rate: float | None
    conversions_per_user: float | None
    revenue_per_user: float | None


class LiftIntervals(BaseModel):
    absolute: Interval
    relative: Interval
    incremental_conversions: Interval
    incremental_revenue: Interval
    iroas: Interval


class LiftEstimate(BaseModel):
    """The groups always; the lift and its test only after the read date, with a readable sample."""

    treatment: LiftGroup
    control: LiftGroup
    interim: bool = Field(description="Before the read date: the counts only, no lift, interval or verdict.")
    readable: bool
    absolute_lift: float | None
    relative_lift: float | None
    ci95: LiftIntervals
    p_value: float | None
    significant: bool
    incremental_conversions: float | None
    incremental_revenue: ExactDecimal | None
    iroas: float | None
    icpa: ExactDecimal | None


class LiftWindow(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="ISO 8601, UTC.")
    to: str = Field(description="ISO 8601, UTC.")


class CampaignLiftOut(LiftEstimate):
    """Intent to treat at the top level; the exposed users' comparison in `exposed`."""

    campaign_id: str
    method: str
    minimum_sample: str
    population: Literal["intent_to_treat"]
    holdout_percent: int
    window: LiftWindow
    read_at: str = Field(description="ISO 8601, UTC: when the study is read, fixed when the campaign started.")
    read_rule: str = Field(description="The read rule in words: read once, at `read_at`.")
    spend: ExactDecimal
    exposed: LiftEstimate


class AnswerGroup(BaseModel):
    responses: int
    chose_brand: int
    share: float
    by_answer: list[int]


class BrandLiftIntervals(BaseModel):
    absolute: Interval
    relative: Interval


class BrandLiftResults(BaseModel):
    exposed: AnswerGroup
    control: AnswerGroup
    interim: bool = Field(description="Before the read date: the counts only, no lift or interval.")
    read_at: str = Field(description="ISO 8601: the campaign's read date; answers after it count nowhere.")
    minimum_sample_reached: bool
    exposed_users: int
    spend: ExactDecimal
    absolute_lift: float | None
    relative_lift: float | None
    ci95: BrandLiftIntervals
    p_value: float | None
    significant: bool
    direction: Literal["lift", "drop"] | None
    lifted_users: float | None
    cost_per_lifted_user: ExactDecimal | None


class BrandLiftStudyOut(BaseModel):
    id: str
    campaign_id: str
    advertiser_id: str
    metric: LiftMetric
    question: str
    answers: list[str]
    correct_answer: str
    status: StudyStatus
    created_at: datetime
    updated_at: datetime
    results: BrandLiftResults
    minimum_sample: str
    read_rule: str
    method: str


class BrandLiftStudyList(BaseModel):
    data: list[BrandLiftStudyOut]


class RepeatBuyingOut(BaseModel):
    purchases_per_buyer: float
    purchases_per_buyer_squared: float
    buyers: int
    days: int
    from_history: bool


class UsersPerGroup(BaseModel):
    treatment: int
    control: int


class PlanOut(BaseModel):
    """`users_per_group`, `users_total` and `days` only when `expected_rate` was given."""

    alpha: float
    power: float
    holdout_percent: int
    repeat_buying: RepeatBuyingOut
    users_per_group: UsersPerGroup | None = None
    users_total: int | None = None
    days: int | None = None
    mde: float | None
    mde_relative: float | None
    days_for_mde: int | None
    method: str


class SurveyAnswer(BaseModel):
    text: str
    url: str = Field(description="Call it (GET) when the user picks this answer.")


class SurveyOut(BaseModel):
    study_id: str
    question: str
    answers: list[SurveyAnswer]


class CaseStudyWords(BaseModel):
    campaign_id: str
    headline: str | None
    narrative: str | None
    published: bool
    share_url: str | None

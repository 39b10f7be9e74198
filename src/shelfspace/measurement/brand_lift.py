"""Brand lift: does seeing the campaign make people remember, know or consider the brand?

A study is one question with a few answers, one of them the brand. It is put to two
samples of the campaign's lift study, asked the same way: treatment users who were served
the campaign's ad, and control users who would have been (a ghost). The share choosing the
brand in each group gives the lift.

Who is asked: a page asks `GET /v1/surveys?user=…` where it has room for a question. The
user gets the oldest live study of a campaign that exposed them (or would have, in
control) and that they have not answered; each user answers a study once (the answer's
event key is the study and the user).

Minimum sample: no lift is declared before each group has `MIN_RESPONSES` answers. Below
that, the shares are shown and marked as not yet readable.

Cost per lifted user: the campaign's spend divided by the users it moved, that is the
absolute lift times the treatment users it exposed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import Principal
from shelfspace.catalog.models import Campaign
from shelfspace.catalog.ownership import get_visible, only_visible
from shelfspace.catalog.services import campaigns
from shelfspace.core.errors import InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.core.inputs import InputModel
from shelfspace.decisioning.holdout import StudyGroup, group_of
from shelfspace.events.log import EventLog
from shelfspace.events.model import Event, EventType, InvalidReason, invalid_key
from shelfspace.measurement.campaign_lift import READ_RULE, campaign_spend_micros, study_read_date
from shelfspace.measurement.models import BrandLiftStudy, LiftStudyUser
from shelfspace.measurement.stats import compare_proportions
from shelfspace.reporting.metrics import money

KIND = "brand lift study"
LIFT, DROP = "lift", "drop"
MIN_RESPONSES = 100
MINIMUM_SAMPLE_RULE = (
    f"A lift is shown only when both the exposed and the control group have at least {MIN_RESPONSES} answers."
)
METHOD = (
    "Exposed users (served the campaign's ad) and control users (held out, with a ghost: the ad they would "
    "have been served) are asked the same question. Lift is the difference in the share choosing the brand, "
    "with the Agresti-Caffo 95% interval (one answer for and one against added to each group) and the p-value "
    "of the same statistic; relative lift by a 95% interval for the log of the ratio, mapped back (so never below -100%). "
    "Answers are counted up to the campaign's read date and shown after it. Cost per lifted user, only for a significant rise: spend divided by absolute "
    "lift times the exposed users."
)


class LiftMetric(StrEnum):
    RECALL = "recall"  # "Which of these brands have you seen advertised recently?"
    AWARENESS = "awareness"  # "Which of these brands have you heard of?"
    CONSIDERATION = "consideration"  # "Which of these would you consider buying?"


class StudyStatus(StrEnum):
    LIVE = "live"  # asking
    CLOSED = "closed"  # results kept, no more questions


class StudyCreate(InputModel):
    campaign_id: str = Field(max_length=40)
    metric: LiftMetric = LiftMetric.AWARENESS
    question: str = Field(min_length=5, max_length=300)
    answers: list[str] = Field(min_length=2, max_length=8, description="Shown in this order; one is the brand.")
    correct_answer: str = Field(max_length=120, description="The answer that is the brand.")

    @model_validator(mode="after")
    def _the_brand_is_an_answer(self) -> StudyCreate:
        cleaned = [a.strip() for a in self.answers]
        if any(not a or len(a) > 120 for a in cleaned):
            raise ValueError("answers: each must be 1 to 120 characters")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("answers: each must be different")
        if self.correct_answer.strip() not in cleaned:
            raise ValueError("correct_answer must be one of the answers")
        self.answers, self.correct_answer = cleaned, self.correct_answer.strip()
        return self


class StudyUpdate(InputModel):
    status: StudyStatus


def create(db: Session, by: Principal, spec: StudyCreate) -> BrandLiftStudy:
    try:
        campaign = campaigns.get(db, by, spec.campaign_id)
    except NotFound:
        raise InvalidInput.on("campaign_id", f"no campaign {spec.campaign_id!r}") from None
    if campaign.holdout_percent < 1:
        raise InvalidInput.on(
            "campaign_id",
            "the campaign holds no users out: set its holdout_percent first, or there is no control group to ask",
        )
    study = BrandLiftStudy(
        id=new_id("bls"),
        campaign_id=campaign.id,
        advertiser_id=campaign.advertiser_id,
        metric=spec.metric.value,
        question=spec.question,
        answers=spec.answers,
        correct_answer=spec.correct_answer,
        status=StudyStatus.LIVE.value,
    )
    db.add(study)
    db.flush()
    return study


def get(db: Session, by: Principal, study_id: str) -> BrandLiftStudy:
    return get_visible(db, BrandLiftStudy, study_id, by, KIND)


def listed(db: Session, by: Principal, campaign_id: str | None = None) -> list[BrandLiftStudy]:
    stmt = only_visible(select(BrandLiftStudy), BrandLiftStudy.advertiser_id, by).order_by(BrandLiftStudy.id)
    if campaign_id:
        stmt = stmt.where(BrandLiftStudy.campaign_id == campaign_id)
    return list(db.scalars(stmt))


def set_status(db: Session, by: Principal, study_id: str, spec: StudyUpdate) -> BrandLiftStudy:
    study = get(db, by, study_id)
    study.status = spec.status.value
    db.flush()
    return study


# --- asking ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    study: BrandLiftStudy
    group: StudyGroup


def answer_key(study_id: str, user_id: str) -> str:
    return f"survey:{study_id}:{user_id}"


def next_question(
    db: Session, event_log: EventLog, user_id: str, unwritten: Mapping[str, StudyGroup], now: datetime
) -> Question | None:
    """The oldest live study whose campaign exposed this user (or would have), not yet
    answered, and not yet read (an answer after the read date would count nowhere).
    `unwritten`: the user's exposures this process has not written yet."""
    met = {
        campaign: StudyGroup(group)
        for campaign, group in db.execute(
            select(LiftStudyUser.campaign_id, LiftStudyUser.study_group).where(
                LiftStudyUser.user_id == user_id, LiftStudyUser.exposed_at.is_not(None)
            )
        )
    }
    met |= unwritten
    if not met:
        return None
    studies = list(
        db.scalars(
            select(BrandLiftStudy)
            .where(BrandLiftStudy.campaign_id.in_(met), BrandLiftStudy.status == StudyStatus.LIVE.value)
            .order_by(BrandLiftStudy.id)
        )
    )
    campaigns = {c.id: c for c in db.scalars(select(Campaign).where(Campaign.id.in_({s.campaign_id for s in studies})))}
    studies = [study for study in studies if now < study_read_date(campaigns[study.campaign_id])]
    answered = event_log.contains([answer_key(study.id, user_id) for study in studies])
    for study in studies:
        if answer_key(study.id, user_id) not in answered:
            return Question(study, met[study.campaign_id])
    return None


def answer_event(
    study_id: str,
    user_id: str,
    group: StudyGroup,
    answer: int,
    now: datetime,
    invalid: InvalidReason | None = None,
    source: str | None = None,
) -> Event:
    """An answer; `source` is the pseudonym of the address it came from (floods are counted
    by it), `invalid` why it counts nowhere (a declared bot, a prefetch)."""
    key = invalid_key(answer_key(study_id, user_id), invalid)
    data: dict[str, Any] = {"study_id": study_id, "group": group.value, "answer": answer}
    if source is not None:
        data["from"] = source
    return Event(key, EventType.SURVEY, now.timestamp(), None, user_id, data=data, invalid=invalid)


def respondent_group(db: Session, study_id: str, user_id: str) -> StudyGroup | None:
    """The group of a user asked this study, decided here and never by the answer URL
    (which must say nothing about it): the campaign's deterministic split. None: no such
    study."""
    study = db.get(BrandLiftStudy, study_id)
    campaign = db.get(Campaign, study.campaign_id) if study is not None else None
    if campaign is None:
        return None
    return group_of(campaign.id, user_id, campaign.holdout_percent)


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupAnswers:
    responses: int
    chose_brand: int
    by_answer: list[int]  # responses per answer, in the study's order

    @property
    def share(self) -> float:
        return self.chose_brand / self.responses if self.responses else 0.0


def tally(study: BrandLiftStudy, events: list[Event]) -> dict[StudyGroup, GroupAnswers]:
    """Answers per group, from the study's survey events."""
    brand = study.answers.index(study.correct_answer)
    counts = {g: [0] * len(study.answers) for g in StudyGroup}
    for event in events:
        data = event.data or {}
        if event.counted and data.get("study_id") == study.id and 0 <= data.get("answer", -1) < len(study.answers):
            counts[StudyGroup(data["group"])][data["answer"]] += 1
    return {g: GroupAnswers(sum(c), c[brand], c) for g, c in counts.items()}


def results(db: Session, event_log: EventLog, study: BrandLiftStudy, now: datetime) -> dict[str, Any]:
    campaign = db.get(Campaign, study.campaign_id)
    assert campaign is not None
    # From the campaign's start: answers come after the study is created, but a replayed
    # (simulated) clock may date them before the row's wall-clock created_at.
    since = min(campaign.start.timestamp(), study.created_at.timestamp())
    read_at = study_read_date(campaign)
    interim = now < read_at
    events = event_log.between(since, min(now, read_at).timestamp() + 1e-6, EventType.SURVEY)
    groups = tally(study, events)
    exposed, control = groups[StudyGroup.TREATMENT], groups[StudyGroup.CONTROL]
    ready = min(exposed.responses, control.responses) >= MIN_RESPONSES
    reached = (
        db.scalar(
            select(func.count())
            .select_from(LiftStudyUser)
            .where(
                LiftStudyUser.campaign_id == campaign.id,
                LiftStudyUser.study_group == StudyGroup.TREATMENT.value,
                LiftStudyUser.exposed_at.is_not(None),
            )
        )
        or 0
    )
    spend = campaign_spend_micros(db, campaign.id)
    shown = {
        "exposed": _group(exposed),
        "control": _group(control),
        "interim": interim,
        "read_at": read_at.isoformat(),
        "minimum_sample_reached": ready,
        "exposed_users": reached,
        "spend": money(spend),
    }
    return {
        "id": study.id,
        "campaign_id": study.campaign_id,
        "advertiser_id": study.advertiser_id,
        "metric": study.metric,
        "question": study.question,
        "answers": study.answers,
        "correct_answer": study.correct_answer,
        "status": study.status,
        "created_at": study.created_at,
        "updated_at": study.updated_at,
        "results": shown | (hidden() if interim or not ready else lift_figures(exposed, control, reached, spend)),
        "minimum_sample": MINIMUM_SAMPLE_RULE,
        "read_rule": READ_RULE,
        "method": METHOD,
    }


def lift_figures(exposed: GroupAnswers, control: GroupAnswers, reached: int, spend: int) -> dict[str, Any]:
    """The comparison, once the study may be read."""
    comparison = compare_proportions(exposed.responses, exposed.chose_brand, control.responses, control.chose_brand)
    lifted = comparison.difference * reached
    significant = comparison.significant
    proven_lift = significant and comparison.difference > 0  # only then are users "lifted"
    return {
        "absolute_lift": round(comparison.difference, 6),
        "relative_lift": None if comparison.relative is None else round(comparison.relative, 6),
        "ci95": {
            "absolute": [round(comparison.difference_ci.low, 6), round(comparison.difference_ci.high, 6)],
            "relative": None
            if comparison.relative_ci is None
            else [round(comparison.relative_ci.low, 6), round(comparison.relative_ci.high, 6)],
        },
        "p_value": round(comparison.p_value, 6),
        "significant": significant,
        # What a significant result says: the brand's share rose or fell.
        "direction": (LIFT if comparison.difference > 0 else DROP) if significant else None,
        "lifted_users": round(lifted, 2) if proven_lift else None,
        "cost_per_lifted_user": money(round(spend / lifted)) if proven_lift else None,
    }


def hidden() -> dict[str, Any]:
    """What a study that may not be read shows in place of its lift (a new dict each time)."""
    return {
        "absolute_lift": None,
        "relative_lift": None,
        "ci95": {"absolute": None, "relative": None},
        "p_value": None,
        "significant": False,
        "direction": None,
        "lifted_users": None,
        "cost_per_lifted_user": None,
    }


def _group(group: GroupAnswers) -> dict[str, Any]:
    return {
        "responses": group.responses,
        "chose_brand": group.chose_brand,
        "share": round(group.share, 6),
        "by_answer": group.by_answer,
    }

"""Measurement tables: who is in each campaign's lift study; brand lift studies; case studies.

`lift_study_users` has one row per campaign that holds users out and user it met: the
group the stable hash gives the user, when the user first became eligible (the campaign's
targeting matched a request of theirs) and first exposed (served the campaign's ad in
treatment; a ghost, the ad they would have been served, in control). Written by
measurement/study_log.py from the decision route; several processes may write the same
row, so writes keep the earliest times and add the exposures.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base, Timestamps


class LiftStudyUser(Base):
    __tablename__ = "lift_study_users"

    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    study_group: Mapped[str] = mapped_column(String(16))  # decisioning.holdout.StudyGroup
    eligible_at: Mapped[float] = mapped_column(Float)  # epoch seconds
    exposed_at: Mapped[float | None] = mapped_column(Float)  # epoch seconds; None: never exposed
    exposures: Mapped[int] = mapped_column(Integer, default=0)  # requests that exposed the user


class BrandLiftStudy(Timestamps, Base):
    """A survey question about a campaign's brand, put to exposed and control users.

    The answers themselves are events (`EventType.SURVEY` in the event log): durable before
    they are acknowledged, one per study and user."""

    __tablename__ = "brand_lift_studies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    advertiser_id: Mapped[str] = mapped_column(ForeignKey("advertisers.id"), index=True)  # the campaign's
    metric: Mapped[str] = mapped_column(String(16))  # measurement.brand_lift.LiftMetric
    question: Mapped[str] = mapped_column(String(300))
    answers: Mapped[list[str]] = mapped_column(default=list)
    correct_answer: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16))  # measurement.brand_lift.StudyStatus


class CaseStudy(Timestamps, Base):
    """What the operator wrote about a campaign's results, and whether it is shared.

    The figures are never stored: every view recomputes them from the rollups, the study
    table and the event log, so a case study cannot drift from the data it quotes."""

    __tablename__ = "case_studies"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    headline: Mapped[str | None] = mapped_column(String(200))
    narrative: Mapped[str | None] = mapped_column(Text)
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # set while published

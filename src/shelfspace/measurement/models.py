"""Measurement tables: who is in each campaign's lift study.

`lift_study_users` has one row per campaign that holds users out and user it met: the
group the stable hash gives the user, when the user first became eligible (the campaign's
targeting matched a request of theirs) and first exposed (served the campaign's ad in
treatment; a ghost, the ad they would have been served, in control). Written by
measurement/study_log.py from the decision route; several processes may write the same
row, so writes keep the earliest times and add the exposures.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base


class LiftStudyUser(Base):
    __tablename__ = "lift_study_users"

    campaign_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    study_group: Mapped[str] = mapped_column(String(16))  # decisioning.holdout.StudyGroup
    eligible_at: Mapped[float] = mapped_column(Float)  # epoch seconds
    exposed_at: Mapped[float | None] = mapped_column(Float)  # epoch seconds; None: never exposed
    exposures: Mapped[int] = mapped_column(Integer, default=0)  # requests that exposed the user

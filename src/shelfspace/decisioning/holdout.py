"""Holdout groups: a stable split of users per campaign, the same on every request and server.

The bucket is a hash of (campaign id, user id), so the groups are fixed for the life of
the campaign without storing an assignment, and independent between campaigns. What the
engine saw of each group (who was eligible, who was or would have been exposed) leaves it
as `StudyMark`s, which `measurement/study_log.py` stores for lift studies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

BUCKETS = 10_000


def bucket(campaign_id: str, user_id: str) -> int:
    digest = hashlib.blake2b(f"{campaign_id}\x1f{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def held_out(campaign_id: str, user_id: str, holdout_percent: int) -> bool:
    return holdout_percent > 0 and bucket(campaign_id, user_id) < holdout_percent * BUCKETS // 100


class StudyGroup(StrEnum):
    TREATMENT = "treatment"
    CONTROL = "control"  # held out: never shown the campaign's ads


def group_of(campaign_id: str, user_id: str, holdout_percent: int) -> StudyGroup:
    return StudyGroup.CONTROL if held_out(campaign_id, user_id, holdout_percent) else StudyGroup.TREATMENT


@dataclass(frozen=True, slots=True)
class Ghost:
    """An ad a held-out user would have seen: the control group's side of a lift study."""

    request_id: str
    time: float
    user_id: str
    campaign_id: str
    line_item_id: str
    placement_id: str


@dataclass(frozen=True, slots=True)
class StudyMark:
    """A user met by a campaign that measures lift, on one request.

    Eligible: the campaign's targeting matched the request, so the user belongs to the
    intent-to-treat population whichever group the hash puts them in. Exposed: the
    campaign's bid won a slot (treatment: the ad was served) or would have won one
    (control: a ghost)."""

    campaign_id: str
    user_id: str
    group: StudyGroup
    time: float
    exposed: bool

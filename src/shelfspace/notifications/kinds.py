"""What a brand is told about, in plain words: each kind of notice, how the brand's people
see it named on their settings page, and who gets it by default.

Defaults (a person who never opened the settings page): every kind in the app; by e-mail
only what needs the brand to act or that it should not miss: a rejected creative, funds
used up (delivery stopped) and a campaign that ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NoticeKind(StrEnum):
    CREATIVE_APPROVED = "creative_approved"
    CREATIVE_REJECTED = "creative_rejected"
    BUDGET_LOW = "budget_low"  # the total or today's budget mostly spent
    BUDGET_SPENT = "budget_spent"  # the total or today's budget spent: delivery stopped or paused for the day
    FUNDS_LOW = "funds_low"  # a few days of spend left in the wallet or under the credit limit
    FUNDS_SPENT = "funds_spent"  # nothing left: delivery stopped
    CAMPAIGN_STARTED = "campaign_started"
    CAMPAIGN_ENDED = "campaign_ended"


@dataclass(frozen=True, slots=True)
class KindInfo:
    label: str  # the settings page's row
    hint: str  # what it is about, in a few words
    in_app: bool  # the defaults
    email: bool
    tone: str = ""  # the badge's colour (static/shelfspace.css): good, warn, bad
    action: str = "Open the campaign"  # the words of the notice's link


KINDS: dict[NoticeKind, KindInfo] = {
    NoticeKind.CREATIVE_APPROVED: KindInfo(
        "Creative approved", "The network approved a creative: it can serve.", True, False, "good"
    ),
    NoticeKind.CREATIVE_REJECTED: KindInfo(
        "Creative rejected",
        "The network rejected a creative, and why: replace it to serve.",
        True,
        True,
        "bad",
        "Replace the creative",
    ),
    NoticeKind.BUDGET_LOW: KindInfo(
        "Budget running low", "80% of a campaign's total or daily budget is spent.", True, False, "warn"
    ),
    NoticeKind.BUDGET_SPENT: KindInfo(
        "Budget spent",
        "A campaign's total budget is spent (it stopped), or today's (it resumes tomorrow).",
        True,
        False,
        "bad",
    ),
    NoticeKind.FUNDS_LOW: KindInfo(
        "Funds running low",
        "Fewer than three days of spend are left in the account.",
        True,
        False,
        "warn",
        "See billing",
    ),
    NoticeKind.FUNDS_SPENT: KindInfo(
        "Funds used up", "The account's funds are used up: delivery stopped.", True, True, "bad", "See billing"
    ),
    NoticeKind.CAMPAIGN_STARTED: KindInfo("Campaign started", "A campaign began to serve.", True, False, "good"),
    NoticeKind.CAMPAIGN_ENDED: KindInfo("Campaign ended", "A campaign reached its end date.", True, True),
}

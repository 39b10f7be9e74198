"""Why a line item did not serve: one named reason per rule, shown in `explain` and logs."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # Fixed at snapshot time: the line item cannot serve on this placement at all.
    NO_FITTING_CREATIVE = "no_fitting_creative"  # no approved creative of the format/size
    # Targeting: the request does not match.
    KEYWORD_MISMATCH = "keyword_mismatch"
    CATEGORY_MISMATCH = "category_mismatch"
    AUDIENCE_MISMATCH = "audience_mismatch"
    AUDIENCE_NEEDS_CONSENT = "audience_needs_consent"
    COUNTRY_MISMATCH = "country_mismatch"
    DEVICE_MISMATCH = "device_mismatch"
    OUTSIDE_DAYPART = "outside_daypart"
    NO_RELEVANT_PRODUCT = "no_relevant_product"  # sponsored products: nothing relevant and available
    # Flight and money.
    CAMPAIGN_NOT_STARTED = "campaign_not_started"
    CAMPAIGN_ENDED = "campaign_ended"
    TOTAL_BUDGET_SPENT = "total_budget_spent"
    DAILY_BUDGET_SPENT = "daily_budget_spent"
    PACING_THROTTLED = "pacing_throttled"
    FUNDS_SPENT = "funds_spent"  # the advertiser's prepaid wallet or credit limit is used up
    # The user.
    FREQUENCY_CAPPED = "frequency_capped"
    CAP_NEEDS_CONSENT = "cap_needs_consent"  # a capped line item cannot count an unconsented user
    HELD_OUT = "held_out"  # the user is in the campaign's holdout group
    # Operator rules.
    BLOCKED_CATEGORY = "blocked_category"
    COMPETITOR_ON_PAGE = "competitor_on_page"
    # The auction.
    BELOW_FLOOR = "below_floor"
    ADVERTISER_ALREADY_WON = "advertiser_already_won"  # one slot per advertiser per placement
    OUTBID = "outbid"

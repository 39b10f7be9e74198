"""What stops a proposed line item buying more, in words: each step of its forecast's
funnel that loses slots (targeting, floor, bid, holdout, cap, budget or funds), the share
lost, and what would change it (the narrowest targeting dimension, the bid that would win
three auctions in four, the daily budget that would buy everything the bid could win)."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date

from shelfspace.core.money_words import plain_number
from shelfspace.decisioning import auction
from shelfspace.decisioning.inventory import LiveLineItem, Pricing
from shelfspace.decisioning.reasons import Reason
from shelfspace.forecasting.replay_types import Funnel, Limit, LimitFound, Proposal, SampledDay

DIMENSION_WORDS = {
    Reason.KEYWORD_MISMATCH: "your keywords",
    Reason.CATEGORY_MISMATCH: "your categories",
    Reason.AUDIENCE_MISMATCH: "your audiences",
    Reason.AUDIENCE_NEEDS_CONSENT: "your audiences",
    Reason.COUNTRY_MISMATCH: "your countries",
    Reason.DEVICE_MISMATCH: "your devices",
    Reason.NO_RELEVANT_PRODUCT: "your products",
}


def _targeted(line_item: LiveLineItem, dimensions: Counter[Reason]) -> dict[Reason, int]:
    """The slots each dimension the line item targets lets through (one an empty list
    leaves open says nothing); a request's audiences pass under either audience reason."""
    t = line_item.targeting
    chosen = {
        Reason.KEYWORD_MISMATCH: t.keywords,
        Reason.CATEGORY_MISMATCH: t.categories,
        Reason.AUDIENCE_MISMATCH: t.audiences,
        Reason.COUNTRY_MISMATCH: t.countries,
        Reason.DEVICE_MISMATCH: t.devices,
        Reason.NO_RELEVANT_PRODUCT: line_item.products,
    }
    counts = dimensions.copy()
    counts[Reason.AUDIENCE_MISMATCH] += counts.pop(Reason.AUDIENCE_NEEDS_CONSENT, 0)
    return {reason: counts[reason] for reason, values in chosen.items() if values}


def limits_found(
    funnel: Funnel,
    proposal: Proposal,
    predicted_ctr: float,
    per_sampled: dict[date, SampledDay],
    dimensions: Counter[Reason],
    sampled_requests: int,
    wanted_micros: int,
    weight: float,
) -> list[LimitFound]:
    """Each step's loss, as a share of what reached it, with what to do about it
    (`predicted_ctr`, the proposal's highest, turns an eCPM into a bid per click)."""
    found: list[LimitFound] = []
    line_item = proposal.line_item

    def lost(before: int, after: int) -> float:
        return (before - after) / before if before else 0.0

    share = lost(funnel.requests, funnel.targeted)
    if share > 0:
        narrowest = min(
            (
                (n / sampled_requests, r)
                for r, n in _targeted(line_item, dimensions).items()
                if sampled_requests and n < sampled_requests
            ),
            default=None,
        )
        words = f"Your targeting matches {1 - share:.1%} of the requests on these placements"
        if narrowest is not None:
            words += f"; {DIMENSION_WORDS[narrowest[1]]} match {narrowest[0]:.1%} of them"
        found.append(LimitFound(Limit.TARGETING, share, words + "."))
    share = lost(funnel.targeted, funnel.above_floor)
    if share > 0:
        found.append(
            LimitFound(Limit.FLOOR, share, f"Your bid is under the floor on {share:.1%} of the requests it matches.")
        )
    share = lost(funnel.above_floor, funnel.won)
    if share > 0:
        lost_to = [n for s in per_sampled.values() for n in s.lost_to]
        words = f"Other line items rank above yours in {share:.1%} of the auctions it enters."
        if len(lost_to) >= 4:
            needed = statistics.quantiles(lost_to, n=4)[2] + auction.INCREMENT_MICROS
            ctr = predicted_ctr
            bid = needed if line_item.pricing is Pricing.CPM else needed / (ctr * auction.MICROS_PER_MILLE)
            unit = "per thousand impressions" if line_item.pricing is Pricing.CPM else "per click"
            words += f" A bid of about {plain_number(round(bid))} {unit} would win three in four of those."
        found.append(LimitFound(Limit.BID, share, words))
    share = funnel.held_out / funnel.won if funnel.won else 0.0
    if share > 0:
        found.append(
            LimitFound(
                Limit.HOLDOUT,
                share,
                f"Your campaign holds out {share:.1%} of the users it would "
                "reach, to measure its lift: they are shown nothing.",
            )
        )
    share = lost(funnel.won - funnel.held_out, funnel.within_cap)
    if share > 0:
        words = f"Your frequency cap stops {share:.1%} of the ads it would win"
        if line_item.frequency_cap is not None and not any(
            c.user_hash for s in per_sampled.values() for c in s.chances
        ):
            words = "A frequency cap needs a user id with consent: none of the requests it would win has one"
        found.append(LimitFound(Limit.CAP, share, words + "."))
    share = lost(funnel.within_cap, funnel.served)
    if share > 0:
        limit = (
            Limit.FUNDS
            if proposal.funds_left_micros is not None
            and proposal.funds_left_micros < proposal.campaign.budget_total_micros - proposal.spent_micros
            else Limit.BUDGET
        )
        per_day = plain_number(round(wanted_micros * weight / max(1, len(per_sampled))))  # an estimate: micros
        words = (
            (f"Your budget buys {1 - share:.1%} of what the bid could win; about {per_day} a day would buy all of it.")
            if limit is Limit.BUDGET
            else f"Your account's funds buy {1 - share:.1%} of what the bid could win: add funds to deliver more."
        )
        found.append(LimitFound(limit, share, words))
    return sorted(found, key=lambda f: -f.lost_share)

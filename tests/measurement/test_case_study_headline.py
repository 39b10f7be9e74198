"""The case study's draft headline quotes the statistic the verdict proved: incremental
purchases with their interval, not the share of buyers (which may not be proven)."""

from __future__ import annotations

from typing import Any

from shelfspace.measurement.case_study import draft_headline


def _lift(purchases: tuple[float, float], buyers_relative: tuple[float, float]) -> dict[str, Any]:
    return {
        "interim": False,
        "readable": True,
        "relative_lift": 0.12,
        "incremental_conversions": sum(purchases) / 2,
        "ci95": {"incremental_conversions": list(purchases), "relative": list(buyers_relative)},
    }


def test_a_proven_lift_is_headlined_by_its_purchases_even_when_buyers_are_not_proven() -> None:
    lift = _lift((120.4, 480.6), (-0.02, 0.26))  # purchases proven; the buyers' interval holds zero
    headline = draft_headline("Acme", "Freshmart", lift, [])
    assert headline == "Acme on Freshmart: 300 purchases the ads added (95% interval 120 to 481)"
    assert "buyers" not in headline


def test_an_unproven_lift_claims_nothing() -> None:
    assert draft_headline("Acme", "Freshmart", _lift((-40.0, 300.0), (0.01, 0.3)), []) == (
        "Acme on Freshmart: a measured test campaign"
    )

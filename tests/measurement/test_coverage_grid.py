"""Every interval the product shows covers the truth 93.5% to 96.5% of the time across the
audit's grid (seeded; the table in docs/measurement.md comes from the same code), and
what passes the minimum sample is not biased by it."""

from __future__ import annotations

import pytest

from tests.measurement.coverage_grid import (
    BRAND_ANSWERS,
    BRAND_SHARES,
    INTERVALS,
    LIFT,
    MEASURABLE,
    MEETS,
    POPULATIONS,
    Cell,
    Coverage,
    brand_lift_coverage,
    grid,
    simulate,
)

LOW, HIGH = 0.935, 0.965


@pytest.fixture(scope="module")
def results() -> list[Coverage]:
    return [simulate(cell) for cell in grid()]


def test_every_interval_shown_covers_the_truth_93_5_to_96_5_percent_of_the_time(results: list[Coverage]) -> None:
    outside = []
    for result in results:
        for population in POPULATIONS:
            for name in INTERVALS:
                if result.shown[(population, name)] >= MEASURABLE:
                    coverage = result.rate(population, name)
                    if not LOW <= coverage <= HIGH:
                        outside.append(f"{result.cell} {population} {name}: {coverage:.1%}")
    assert not outside, outside


def test_the_large_designs_show_every_interval(results: list[Coverage]) -> None:
    """The minimum sample hides figures only where they would not hold: from 200,000 users
    at 2% and up, everything is shown every time."""
    for result in results:
        if result.cell.users == 200_000 and result.cell.rate >= 0.02:
            assert all(
                result.shown[(p, name)] == result.shown[(p, "absolute")] > 0 for p in POPULATIONS for name in INTERVALS
            ), result.cell


def test_the_minimum_sample_does_not_bias_what_it_lets_through(results: list[Coverage]) -> None:
    """The audit found reads at low rates that passed a ten-buyers-a-group rule showing a
    -39% lift where the truth was +10%: the rule kept the reads where control happened to
    buy more. Judged on the pooled rate, the reads shown average the truth (a mean of
    thousands of differences: within three of its standard errors)."""
    low_rate = next(r for r in results if r.cell == Cell(0.005, 20_000, 0.10))
    assert MEASURABLE <= low_rate.shown[("intent_to_treat", "absolute")] < 5_000 * 0.9  # the rule does hide some
    for result in results:
        # (population, share of those who met the ads, share of the group in the comparison)
        for population, scale, size in (("intent_to_treat", MEETS, 1.0), ("exposed", 1.0, MEETS)):
            if result.shown[(population, "absolute")] >= MEASURABLE:
                truth = result.cell.rate * LIFT * scale
                treated = round(result.cell.users * (1 - result.cell.holdout) * size)
                control = round(result.cell.users * result.cell.holdout * size)
                spread = (result.cell.rate * (1 / treated + 1 / control)) ** 0.5  # one read's standard error
                margin = 3 * spread / result.shown[(population, "absolute")] ** 0.5
                assert result.mean_absolute_lift(population) == pytest.approx(truth, abs=margin), (
                    result.cell,
                    population,
                )


@pytest.mark.parametrize("share", BRAND_SHARES)
def test_brand_lift_intervals_cover_the_truth(share: float) -> None:
    for exposed_answers, control_answers in BRAND_ANSWERS:
        found = brand_lift_coverage(share, exposed_answers, control_answers)
        assert LOW <= found["absolute"] <= HIGH and LOW <= found["relative"] <= HIGH, (share, found)

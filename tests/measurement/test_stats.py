"""The statistics of lift studies against known answers, and the 95% intervals against the
truth of seeded simulations."""

from __future__ import annotations

import math
import random

import pytest

from shelfspace.measurement.stats import (
    Sample,
    compare,
    compare_proportions,
    minimum_detectable_effect,
    users_needed,
    z_for,
)


def test_the_critical_value_is_the_textbook_one() -> None:
    assert z_for(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_for(0.90) == pytest.approx(1.644854, abs=1e-6)


def test_the_p_value_is_the_wald_test_of_the_interval() -> None:
    # 120 of 1,000 against 100 of 1,000: se = sqrt(0.12 * 0.88 / 1000 + 0.10 * 0.90 / 1000)
    # = 0.013986, z = 0.02 / se = 1.4300, two-sided p = 0.15271 (the unpooled Wald test,
    # the statistic of the interval; a pooled test gives 0.15292).
    assert compare_proportions(1000, 120, 1000, 100).p_value == pytest.approx(0.152708, abs=5e-6)
    # 60 of 400 against 30 of 400: se = sqrt(0.15 * 0.85 / 400 + 0.075 * 0.925 / 400) = 0.022185,
    # z = 3.3806, p = 0.000723.
    assert compare_proportions(400, 60, 400, 30).p_value == pytest.approx(0.000723, abs=5e-6)


def test_significant_never_contradicts_the_interval() -> None:
    import random

    rng = random.Random(18)
    for _ in range(5_000):
        n_t, n_c = rng.randrange(20, 500), rng.randrange(20, 500)
        result = compare_proportions(n_t, rng.randrange(0, n_t + 1), n_c, rng.randrange(0, n_c + 1))
        excludes_zero = result.difference_ci.low > 0 or result.difference_ci.high < 0
        assert result.significant == excludes_zero, result
        if result.relative_ci is not None:
            assert result.relative_ci.low >= -1.0


def test_the_wald_interval_and_the_delta_method_by_hand() -> None:
    result = compare_proportions(1000, 120, 1000, 100)
    se = math.sqrt(0.12 * 0.88 / 1000 + 0.10 * 0.90 / 1000)  # 0.013986
    assert result.difference == pytest.approx(0.02)
    assert result.difference_ci.low == pytest.approx(0.02 - 1.959964 * se, abs=1e-6)  # -0.007411
    assert result.difference_ci.high == pytest.approx(0.047411, abs=1e-6)
    # Var(T/C) ≈ (T/C)² (Var T / T² + Var C / C²) = 1.44 (0.0001056 / 0.0144 + 0.00009 / 0.01)
    se_ratio = 1.2 * math.sqrt(0.0001056 / 0.0144 + 0.00009 / 0.01)  # 0.153356
    assert result.relative == pytest.approx(0.2)
    assert result.relative_ci is not None
    assert result.relative_ci.low == pytest.approx(0.2 - 1.959964 * se_ratio, abs=1e-6)  # -0.100585
    assert not result.significant and result.p_value == pytest.approx(0.152708, abs=5e-6)


def test_welchs_standard_error_on_means_by_hand() -> None:
    treatment = [3.0, 0.0, 5.0, 0.0, 2.0]  # mean 2, sample variance 4.5
    control = [1.0, 0.0, 0.0, 1.0]  # mean 0.5, sample variance 1/3
    result = compare(Sample(5, sum(treatment), sum(v * v for v in treatment)),
                     Sample(4, sum(control), sum(v * v for v in control)))
    se = math.sqrt(4.5 / 5 + (1 / 3) / 4)
    assert result.difference == pytest.approx(1.5)
    assert result.difference_ci.high - result.difference_ci.low == pytest.approx(2 * 1.959964 * se, abs=1e-6)
    assert result.relative == pytest.approx(3.0)


def test_no_control_conversions_means_no_relative_lift() -> None:
    result = compare_proportions(100, 5, 100, 0)
    assert result.relative is None and result.relative_ci is None


def test_sample_sizes_match_the_standard_formula() -> None:
    # p1 = 0.10 against p2 = 0.15, alpha 0.05 two-sided, power 0.8, equal groups: 686 per
    # group (Fleiss, Statistical Methods for Rates and Proportions, without continuity correction).
    assert users_needed(0.10, 0.15, 0.5) == (686, 686)
    # 2% against 2.2%: n = (1.96 √(2 · 0.021 · 0.979) + 0.8416 √(0.02 · 0.98 + 0.022 · 0.978))² / 0.002²
    assert users_needed(0.02, 0.022, 0.5) == (80682, 80682)
    # A 10% holdout needs fewer control users but many more in treatment.
    treatment, control = users_needed(0.02, 0.022, 0.1)
    assert control < 80682 < treatment and treatment == pytest.approx(9 * control, rel=1e-4)
    with pytest.raises(ValueError, match="no effect"):
        users_needed(0.02, 0.02, 0.5)


def test_the_minimum_detectable_effect_inverts_the_sample_size() -> None:
    assert minimum_detectable_effect(0.10, 686, 686) == pytest.approx(0.05, abs=2e-4)
    assert minimum_detectable_effect(0.02, 80682, 80682) == pytest.approx(0.002, abs=1e-5)
    assert minimum_detectable_effect(0.02, 0, 10) == math.inf


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def test_the_95_percent_intervals_cover_the_true_lift_in_about_95_percent_of_runs() -> None:
    """400 seeded experiments with a known truth: 4% converts in control, 5% in treatment."""
    rng = random.Random(20261125)
    runs, covered_absolute, covered_relative = 400, 0, 0
    p_control, p_treatment = 0.04, 0.05
    for _ in range(runs):
        result = compare_proportions(2000, _binomial(rng, 2000, p_treatment), 2000, _binomial(rng, 2000, p_control))
        covered_absolute += result.difference_ci.covers(p_treatment - p_control)
        assert result.relative_ci is not None
        covered_relative += result.relative_ci.covers(p_treatment / p_control - 1)
    # 95% of 400 is 380; the binomial standard deviation of the count is about 4.4.
    assert 365 <= covered_absolute <= 394, covered_absolute
    assert 365 <= covered_relative <= 394, covered_relative

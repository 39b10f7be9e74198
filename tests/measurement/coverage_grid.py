"""The coverage of every interval the product shows, on a grid of designs with a known truth.

Each replication draws a study's group sums (users, buyers, purchases and revenue with
their squares) with numpy, vectorised over replications, and hands them to the product's
own functions (`lift.estimate`, `campaign_lift.estimate_figures`, `brand_lift.lift_figures`)
exactly as `GET /v1/campaigns/{id}/lift` and the brand lift results do. An interval covers
when the truth lies inside it; only reads the product shows (readable, past the read
date) count, and the share shown is reported beside.

The grid is the one the audit asked for: buyers' rates 0.5%, 2% and 10%; 20,000 and
200,000 users; 10%, 20% and 50% held out. Revenue per buyer is lognormal with sigma 1.5
(a heavy right tail: the top 1% of buyers spend about 15 times the median), and a buyer
makes 1 + Poisson(0.5) purchases. 60% of each group meets the campaign (exposed, or
ghosted in control), and the ads raise the buyers' rate of those who meet it by 10%.

    .venv/bin/python -m tests.measurement.coverage_grid   # prints the table in docs/measurement.md
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from shelfspace.measurement.brand_lift import GroupAnswers, lift_figures
from shelfspace.measurement.campaign_lift import estimate_figures
from shelfspace.measurement.lift import GroupOutcome, estimate

SEED = 20261204
REPLICATIONS = 5_000
RATES = (0.005, 0.02, 0.10)
USERS = (20_000, 200_000)
HOLDOUTS = (0.10, 0.20, 0.50)
MEETS = 0.6  # share of a group the campaign reaches (or would have)
LIFT = 0.10  # relative rise in the buyers' rate of those it reaches
SIGMA = 1.5
MEAN_REVENUE = 30.0  # per buyer, in units
EXTRA_PURCHASES = 0.5  # a buyer makes 1 + Poisson(0.5) purchases
SPEND_MICROS = 5_000_000_000  # what the campaign spent: iROAS is incremental revenue over it
CHUNK = 250  # replications drawn at once, to bound memory on the largest cells

INTERVALS = ("absolute", "relative", "incremental_conversions", "incremental_revenue", "iroas")
POPULATIONS = ("intent_to_treat", "exposed")
MEASURABLE = 500  # reads shown below which a coverage is too noisy to hold to the band


@dataclass(frozen=True, slots=True)
class Cell:
    rate: float
    users: int
    holdout: float


@dataclass(frozen=True, slots=True)
class Coverage:
    """Per population (intent to treat, exposed) and interval: covered, above, below, of shown."""

    cell: Cell
    shown: dict[tuple[str, str], int]  # reads that showed the interval
    covered: dict[tuple[str, str], int]
    above: dict[tuple[str, str], int]  # the interval lies wholly above the truth
    below: dict[tuple[str, str], int]
    absolute_lifts: dict[str, float]  # population -> sum of the absolute lifts shown

    def mean_absolute_lift(self, population: str) -> float:
        shown = self.shown[(population, "absolute")]
        return self.absolute_lifts[population] / shown if shown else math.nan

    def rate(self, population: str, interval: str) -> float:
        shown = self.shown[(population, interval)]
        return self.covered[(population, interval)] / shown if shown else math.nan


def _groups(rng: np.random.Generator, n: np.ndarray, rate: float) -> dict[str, np.ndarray]:
    """Sums of one subgroup per replication: users `n` (an array), each buying at `rate`."""
    buyers = rng.binomial(n, rate)
    purchases = 1 + rng.poisson(EXTRA_PURCHASES, size=int(buyers.sum()))
    mu = math.log(MEAN_REVENUE) - SIGMA**2 / 2
    revenue = rng.lognormal(mu, SIGMA, size=purchases.size)
    replication = np.repeat(np.arange(n.size), buyers)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(replication, weights=values, minlength=n.size)

    return {
        "users": n,
        "buyers": buyers,
        "purchases": total(purchases),
        "purchases2": total(purchases**2.0),
        "revenue": total(revenue),
        "revenue2": total(revenue**2),
    }


def _outcome(parts: list[dict[str, np.ndarray]], i: int) -> GroupOutcome:
    def total(name: str) -> float:
        return float(sum(part[name][i] for part in parts))

    return GroupOutcome(
        int(total("users")),
        int(total("buyers")),
        int(total("purchases")),
        round(total("revenue") * 1_000_000),
        int(total("purchases2")),
        total("revenue2"),
    )


def _truths(rate: float, treated: int, scale: float) -> dict[str, float]:
    """What the ads added, for `treated` treatment users of whom a share `scale` met them."""
    rise = rate * LIFT * scale  # buyers' rate
    return {
        "absolute": rise,
        "relative": LIFT * scale,
        "incremental_conversions": rise * (1 + EXTRA_PURCHASES) * treated,
        "incremental_revenue": rise * MEAN_REVENUE * treated,
        "iroas": rise * MEAN_REVENUE * treated / (SPEND_MICROS / 1_000_000),
    }


def simulate(cell: Cell, replications: int = REPLICATIONS, seed: int = SEED) -> Coverage:
    rng = np.random.default_rng([seed, round(cell.rate * 1e4), cell.users, round(cell.holdout * 100)])
    control_users = round(cell.users * cell.holdout)
    sizes = {"treatment": cell.users - control_users, "control": control_users}
    covered: dict[tuple[str, str], int] = {(p, i): 0 for p in POPULATIONS for i in INTERVALS}
    shown, above, below = dict(covered), dict(covered), dict(covered)
    absolute_lifts = dict.fromkeys(POPULATIONS, 0.0)
    done = 0
    while done < replications:
        batch = min(CHUNK, replications - done)
        done += batch
        met = {g: rng.binomial(n, MEETS, size=batch) for g, n in sizes.items()}
        parts = {
            "treatment": (
                _groups(rng, met["treatment"], cell.rate * (1 + LIFT)),
                _groups(rng, sizes["treatment"] - met["treatment"], cell.rate),
            ),
            "control": (
                _groups(rng, met["control"], cell.rate),
                _groups(rng, sizes["control"] - met["control"], cell.rate),
            ),
        }
        for i in range(batch):
            reads = {
                "intent_to_treat": (_outcome(list(parts["treatment"]), i), _outcome(list(parts["control"]), i), MEETS),
                "exposed": (_outcome([parts["treatment"][0]], i), _outcome([parts["control"][0]], i), 1.0),
            }
            for population, (treatment, control, scale) in reads.items():
                figures = estimate_figures(estimate(treatment, control), SPEND_MICROS, interim=False)
                truth = _truths(cell.rate, treatment.users, scale)
                if figures["absolute_lift"] is not None:
                    absolute_lifts[population] += figures["absolute_lift"]
                for name in INTERVALS:
                    if figures["ci95"][name] is None:
                        continue  # not shown: below its minimum sample
                    low, high = figures["ci95"][name]
                    key = (population, name)
                    shown[key] += 1
                    covered[key] += low <= truth[name] <= high
                    above[key] += low > truth[name]
                    below[key] += high < truth[name]
    return Coverage(cell, shown, covered, above, below, absolute_lifts)


def grid() -> Iterator[Cell]:
    for rate in RATES:
        for users in USERS:
            for holdout in HOLDOUTS:
                yield Cell(rate, users, holdout)


# Brand lift: a share of each group picks the brand; the ads raise it by 5 points.
BRAND_SHARES = (0.10, 0.30, 0.50)
BRAND_ANSWERS = ((400, 100), (1_000, 250), (2_000, 2_000))  # (exposed, control) answers
BRAND_RISE = 0.05


def brand_lift_coverage(
    share: float, exposed_answers: int, control_answers: int, replications: int = REPLICATIONS, seed: int = SEED
) -> dict[str, float]:
    rng = np.random.default_rng([seed, round(share * 100), exposed_answers, control_answers])
    chose_exposed = rng.binomial(exposed_answers, share + BRAND_RISE, size=replications)
    chose_control = rng.binomial(control_answers, share, size=replications)
    covered = {"absolute": 0, "relative": 0}
    truth = {"absolute": BRAND_RISE, "relative": BRAND_RISE / share}
    for e, c in zip(chose_exposed, chose_control, strict=True):
        figures = lift_figures(
            GroupAnswers(exposed_answers, int(e), []),
            GroupAnswers(control_answers, int(c), []),
            reached=1_000,
            spend=1_000_000,
        )
        for name in covered:
            interval = figures["ci95"][name]
            covered[name] += interval is not None and interval[0] <= truth[name] <= interval[1]
    return {name: count / replications for name, count in covered.items()}


def table(results: list[Coverage]) -> str:
    """The markdown table docs/measurement.md prints."""
    head = (
        "| buyers' rate | users | held out | population | rate diff. | relative | incr. purchases | "
        "incr. sales and iROAS |"
    )
    lines = [head, "|" + "---|" * 8]

    def shown(result: Coverage, population: str, name: str) -> str:
        count = result.shown[(population, name)]
        if not count:
            return "not shown"
        share = (
            ""
            if count == REPLICATIONS
            else f" ({count / REPLICATIONS:.0%} shown)"
            if count >= MEASURABLE
            else f" ({count} of {REPLICATIONS:,} shown)"
        )
        return f"{result.rate(population, name):.1%}{share}"

    for result in results:
        c = result.cell
        for population in POPULATIONS:
            cells = [shown(result, population, name) for name in INTERVALS[:-1]]
            lines.append(
                f"| {c.rate:.1%} | {c.users:,} | {c.holdout:.0%} | {population.replace('_', ' ')} | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def brand_table() -> str:
    lines = ["| brand share in control | answers (exposed, control) | absolute | relative |", "|---|---|---|---|"]
    for share in BRAND_SHARES:
        for exposed_answers, control_answers in BRAND_ANSWERS:
            found = brand_lift_coverage(share, exposed_answers, control_answers)
            lines.append(
                f"| {share:.0%} | {exposed_answers:,}, {control_answers:,} | {found['absolute']:.1%} | "
                f"{found['relative']:.1%} |"
            )
    return "\n".join(lines)


def main() -> None:
    print(f"{REPLICATIONS:,} replications a cell, seed {SEED}\n")
    print(table([simulate(cell) for cell in grid()]))
    print()
    print(brand_table())


if __name__ == "__main__":
    main()

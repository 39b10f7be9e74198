"""Lift studies on real baskets: dunnhumby's Complete Journey, split by the study's own hash.

The synthetic grid (`coverage_grid.py`) draws outcomes from distributions it chooses; this
one takes the households' real purchases. Every household that shopped in an 8-week window
(weeks 10 to 17 of 2017) is a study user, eligible from its first basket of the window (the
campaign's targeting matched its first visit); the study is read at the window's last
basket. A replication is a new study: a new campaign id (`core/ids.py`'s format), so
`holdout.group_of(campaign_id, user_of(household), holdout_percent)`, the engine's split of
the demo's user id of a household (`sim/journey_replay.py`), splits the households afresh.
The outcome is a real brand's or category's purchases (a purchase is a basket holding any
of its products, its value what the household paid for them): repeat buying and
heavy-tailed baskets as they come.

Null case: nothing is injected; the "proven" verdict (`campaign_lift.verdict`: the interval
of incremental purchases lies above zero) should come at most 5% of the time (2.5% if the
interval is right). Effect case, on the same split, a lift of `LIFT` (10%) in both ways a
brand grows: each treatment household's outcome purchase is bought again in an extra basket
(the same lines) with probability 10%, and each treatment household that bought none of the
outcome, with probability 0.1 r / (1 - r) at the outcome's buyers' rate r, gains the lines of
one real outcome purchase drawn at random, in its last basket of the window.

The truth is the expected effect: per study user, 10% of the study's mean real purchases and
sales, plus 0.1 r new purchases of the mean purchase's value (times the treatment users for
incremental purchases and sales); 0.1 r on the buyers' rate, 10% relative. That is the
estimand the intervals target: their standard errors treat whether a household buys again
as part of its outcome's variance, so they bound the effect the ads have on average, not the
particular extra baskets one draw produced. What each replication injected (the purchases
and sales it added to the treatment arm; its new buyers over the arm's users, or over the
arm's buyers) is held to the same intervals beside it, and shows the difference: wider
than needed for purchases and sales, narrower for the rates of a brand most households buy.

Group sums are computed with numpy (`tests/measurement/test_journey_lift.py` checks that
they equal `lift.measure`'s on the product's own `StudyUser` and `Purchase` rows) and read
by `lift.estimate`, `campaign_lift.estimate_figures` and `campaign_lift.verdict`, as
`GET /v1/campaigns/{id}/lift` does. Only the intent-to-treat comparison: the data has no ads,
so nobody is exposed or ghosted.

    .venv/bin/python -m tests.measurement.journey_grid   # prints the table in docs/measurement.md
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np

from shelfspace.core.ids import IdSource
from shelfspace.decisioning.holdout import StudyGroup, group_of
from shelfspace.measurement.campaign_lift import Verdict, estimate_figures, verdict
from shelfspace.measurement.lift import GroupOutcome, estimate
from shelfspace.sim.journey_data import BrandKind, Line, Product
from shelfspace.sim.journey_replay import user_of

SEED = 20261205
REPLICATIONS = 4_000
WEEKS = range(10, 18)  # 8 weeks, from early March 2017
HOLDOUTS = (20, 50)  # percent held out
LIFT = 0.10  # the ads add 10% to the buyers' purchases and 10% more buyers
REPEAT = LIFT  # a treatment household's outcome purchase is bought again with this probability
SPEND_MICROS = 1_000_000_000  # only for iROAS, which is incremental sales over it (same coverage)
CAMPAIGN_PREFIX = "cmp"
FIRST_CAMPAIGN = datetime(2026, 12, 5, tzinfo=UTC)
MICROS_PER_CENT = 10_000
CENTS_PER_UNIT = 100
MEASURABLE = 500  # reads shown below which a coverage is too noisy to hold to the band
LOW, HIGH = 0.935, 0.965  # the band every interval's coverage must fall in
FALSE_PROVEN = 0.05  # at most this share of studies with no effect may say "proven"

INTERVALS = ("absolute", "relative", "incremental_conversions", "incremental_revenue")


class Truth(StrEnum):
    """Which truth an interval is held to (see the module's docstring)."""

    INJECTED = "injected"  # what this replication added to the treatment arm
    EXPECTED = "expected"  # its expectation over the injection, for every household of the study


TRUTHS = tuple(Truth)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the advertiser sells: a manufacturer's products, or a category of one brand kind."""

    name: str
    label: str
    brand: BrandKind
    manufacturer_id: int | None = None
    category: str | None = None

    def includes(self, product: Product) -> bool:
        return (
            product.brand is self.brand
            and (self.manufacturer_id is None or product.manufacturer_id == self.manufacturer_id)
            and (self.category is None or product.category == self.category)
        )


OUTCOMES = (
    Outcome("soft_drinks", "national soft-drinks maker (manufacturer 103)", BrandKind.NATIONAL, manufacturer_id=103),
    Outcome("private_milk", "the retailer's own fluid milk", BrandKind.PRIVATE, category="FLUID MILK PRODUCTS"),
    Outcome("baby_food", "national baby-food maker (manufacturer 177)", BrandKind.NATIONAL, manufacturer_id=177),
)


@dataclass(frozen=True, slots=True)
class Households:
    """The study's users: every household with a basket in the window, in id order."""

    ids: tuple[int, ...]
    user_ids: tuple[str, ...]
    entered: np.ndarray  # epoch seconds of the household's first basket in the window
    last_basket: np.ndarray  # epoch seconds of its last one (where a new buyer's purchase goes)
    until: float  # the read: the window's last basket

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class Purchases:
    """One outcome's real purchases in the window: a basket with any of its products."""

    household: np.ndarray  # index into Households, per purchase
    cents: np.ndarray  # what the household paid for the outcome's lines of the basket
    time: np.ndarray  # epoch seconds
    count_by_household: np.ndarray  # purchases per household
    cents_by_household: np.ndarray

    @property
    def buyers(self) -> np.ndarray:
        return self.count_by_household > 0


def households_of(lines: Iterable[Line]) -> Households:
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    for line in lines:
        at = line.at.timestamp()
        first[line.household_id] = min(first.get(line.household_id, at), at)
        last[line.household_id] = max(last.get(line.household_id, at), at)
    ids = tuple(sorted(first))
    return Households(
        ids,
        tuple(user_of(h) for h in ids),
        np.array([first[h] for h in ids]),
        np.array([last[h] for h in ids]),
        max(last.values()),
    )


def purchases_of(
    lines: Iterable[Line], products: Mapping[int, Product], outcome: Outcome, households: Households
) -> Purchases:
    """The outcome's purchases, one per basket (a line bought: quantity above zero; a product
    the catalogue lacks is nobody's)."""
    index = {h: i for i, h in enumerate(households.ids)}
    baskets: dict[int, list[float]] = {}  # basket -> [household index, cents, time]
    for line in lines:
        product = products.get(line.product_id)
        if product is None or line.quantity <= 0 or not outcome.includes(product):
            continue
        basket = baskets.setdefault(line.basket_id, [index[line.household_id], 0, line.at.timestamp()])
        basket[1] += line.sales_cents
    rows = np.array(list(baskets.values())).reshape(-1, 3)
    household = rows[:, 0].astype(np.int64)
    cents = rows[:, 1].astype(np.int64)
    return Purchases(
        household,
        cents,
        rows[:, 2],
        np.bincount(household, minlength=households.count),
        np.bincount(household, weights=cents, minlength=households.count).astype(np.int64),
    )


@dataclass(frozen=True, slots=True)
class Injection:
    """What one replication added to the treatment arm's baskets."""

    repeated: np.ndarray  # purchases bought again, in an extra basket
    new_buyers: np.ndarray  # households (indices) that gained a purchase
    copied: np.ndarray  # per new buyer, the purchase whose lines it gained

    def purchases(self) -> int:
        return int(self.repeated.size + self.new_buyers.size)

    def cents(self, purchases: Purchases) -> int:
        return int(purchases.cents[self.repeated].sum() + purchases.cents[self.copied].sum())


NOTHING = Injection(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))


def new_buyer_chance(purchases: Purchases) -> float:
    """A non-buyer's chance of becoming one: `LIFT` more buyers than the study's rate r gives,
    LIFT r / (1 - r) (a property of the data, the same for every split)."""
    rate = float(purchases.buyers.mean())
    return LIFT * rate / (1 - rate)


def inject(rng: np.random.Generator, treated: np.ndarray, purchases: Purchases) -> Injection:
    repeated = np.flatnonzero(treated[purchases.household] & (rng.random(purchases.household.size) < REPEAT))
    candidates = np.flatnonzero(treated & ~purchases.buyers)
    new_buyers = candidates[rng.random(candidates.size) < new_buyer_chance(purchases)]
    return Injection(repeated, new_buyers, rng.integers(purchases.household.size, size=new_buyers.size))


def per_household(purchases: Purchases, injection: Injection) -> tuple[np.ndarray, np.ndarray]:
    """(purchases, cents) per household, the injection included."""
    n = purchases.count_by_household.size
    extra = purchases.household[injection.repeated]
    counts = (
        purchases.count_by_household + np.bincount(extra, minlength=n) + np.bincount(injection.new_buyers, minlength=n)
    )
    cents = (
        purchases.cents_by_household
        + np.bincount(extra, weights=purchases.cents[injection.repeated], minlength=n).astype(np.int64)
        + np.bincount(injection.new_buyers, weights=purchases.cents[injection.copied], minlength=n).astype(np.int64)
    )
    return counts, cents


def group_outcome(counts: np.ndarray, cents: np.ndarray, members: np.ndarray) -> GroupOutcome:
    """The sums `lift.outcome` makes for the households in `members` (a mask)."""
    mine, paid = counts[members], cents[members]
    return GroupOutcome(
        int(members.sum()),
        int(np.count_nonzero(mine)),
        int(mine.sum()),
        int(paid.sum()) * MICROS_PER_CENT,
        int((mine * mine).sum()),
        float(((paid / CENTS_PER_UNIT) ** 2).sum()),
    )


def campaign_ids(seed: int, holdout: int) -> Iterator[str]:
    """A new campaign id per study, as the product makes them (a minute apart, seeded bits)."""
    start = int(FIRST_CAMPAIGN.timestamp() * 1000)
    minutes = itertools.count(start, 60_000)
    source = IdSource(lambda: next(minutes), random.Random(f"{seed}-{holdout}"))
    while True:
        yield source.new(CAMPAIGN_PREFIX)


def control_mask(campaign_id: str, households: Households, holdout: int) -> np.ndarray:
    return np.fromiter(
        (group_of(campaign_id, user, holdout) is StudyGroup.CONTROL for user in households.user_ids),
        dtype=bool,
        count=households.count,
    )


def truths(purchases: Purchases, injection: Injection, treated: np.ndarray) -> dict[Truth, dict[str, float | None]]:
    """Per truth, the value of each interval's figure (None: not defined for this read)."""
    n_t = int(treated.sum())
    buyers_t = int((purchases.buyers & treated).sum())
    new = injection.new_buyers.size
    everyone = purchases.count_by_household.size
    rate = float(purchases.buyers.mean())
    new_rate = new_buyer_chance(purchases) * (1 - rate)  # = LIFT * rate: new buyers per user
    per_user = REPEAT * purchases.count_by_household.mean() + new_rate
    sales_per_user = (
        REPEAT * purchases.cents_by_household.sum() / everyone + new_rate * float(purchases.cents.mean())
    ) / CENTS_PER_UNIT
    return {
        Truth.INJECTED: {
            "absolute": new / n_t,
            "relative": new / buyers_t if buyers_t else None,
            "incremental_conversions": float(injection.purchases()),
            "incremental_revenue": injection.cents(purchases) / CENTS_PER_UNIT,
        },
        Truth.EXPECTED: {
            "absolute": new_rate,
            "relative": new_rate / rate,
            "incremental_conversions": per_user * n_t,
            "incremental_revenue": sales_per_user * n_t,
        },
    }


@dataclass(slots=True)
class Cell:
    """One outcome at one holdout: the null reads' verdicts and the effect reads' coverage."""

    outcome: Outcome
    holdout: int
    users: int
    buyers_rate: float
    purchases_per_buyer: float
    replications: int = 0
    verdicts: Counter[Verdict] = field(default_factory=Counter)  # of the null reads
    shown: Counter[str] = field(default_factory=Counter)  # effect reads showing the interval
    covered: Counter[tuple[Truth, str]] = field(default_factory=Counter)  # (truth, interval)
    above: Counter[tuple[Truth, str]] = field(default_factory=Counter)  # interval wholly above the truth
    below: Counter[tuple[Truth, str]] = field(default_factory=Counter)
    # (interval, power): sums of (injected - expected truth) and of its square, every effect read
    gaps: defaultdict[tuple[str, int], float] = field(default_factory=lambda: defaultdict(float))

    def proven_rate(self) -> float:
        return self.verdicts[Verdict.PROVEN] / self.replications

    def coverage(self, interval: str, truth: Truth = Truth.EXPECTED) -> float:
        shown = self.shown[interval]
        return self.covered[(truth, interval)] / shown if shown else math.nan

    def tally(self, figures: dict[str, object], truth: dict[Truth, dict[str, float | None]]) -> None:
        intervals = figures["ci95"]
        assert isinstance(intervals, dict)
        for name in INTERVALS:
            injected, expected = truth[Truth.INJECTED][name], truth[Truth.EXPECTED][name]
            if injected is not None and expected is not None:
                self.gaps[(name, 1)] += injected - expected
                self.gaps[(name, 2)] += (injected - expected) ** 2
            interval = intervals[name]
            if interval is None or any(truth[t][name] is None for t in TRUTHS):
                continue
            self.shown[name] += 1
            low, high = interval
            for kind in TRUTHS:
                value = truth[kind][name]
                assert value is not None
                self.covered[(kind, name)] += low <= value <= high
                self.above[(kind, name)] += low > value
                self.below[(kind, name)] += high < value


def mc_se(rate: float, n: int) -> float:
    """The Monte Carlo standard error of a share seen `n` times."""
    return math.sqrt(rate * (1 - rate) / n) if n else math.nan


def simulate(
    households: Households,
    purchases: Mapping[str, Purchases],
    replications: int = REPLICATIONS,
    seed: int = SEED,
    holdouts: Iterable[int] = HOLDOUTS,
) -> list[Cell]:
    """Every outcome at every holdout; one split per (holdout, replication), read for every
    outcome with nothing injected and with the injection."""
    cells: list[Cell] = []
    for holdout in holdouts:
        mine = {
            o.name: Cell(
                o,
                holdout,
                households.count,
                float(purchases[o.name].buyers.mean()),
                float(purchases[o.name].count_by_household.sum() / purchases[o.name].buyers.sum()),
            )
            for o in OUTCOMES
            if o.name in purchases
        }
        rngs = {name: np.random.default_rng([seed, holdout, i]) for i, name in enumerate(mine)}
        ids = campaign_ids(seed, holdout)
        for _ in range(replications):
            control = control_mask(next(ids), households, holdout)
            treated = ~control
            for name, cell in mine.items():
                cell.replications += 1
                bought = purchases[name]
                counts, cents = per_household(bought, NOTHING)
                null = estimate(group_outcome(counts, cents, treated), group_outcome(counts, cents, control))
                cell.verdicts[verdict(estimate_figures(null, SPEND_MICROS, interim=False))] += 1
                injection = inject(rngs[name], treated, bought)
                counts, cents = per_household(bought, injection)
                lifted = estimate(group_outcome(counts, cents, treated), group_outcome(counts, cents, control))
                cell.tally(estimate_figures(lifted, SPEND_MICROS, interim=False), truths(bought, injection, treated))
        cells.extend(mine.values())
    return cells


def load(weeks: Iterable[int] = WEEKS) -> tuple[list[Line], Households, dict[str, Purchases]]:
    """The window's lines, its households and each outcome's purchases."""
    from shelfspace.sim import journey_data

    lines = journey_data.lines(weeks)
    products = journey_data.products()
    households = households_of(lines)
    return lines, households, {o.name: purchases_of(lines, products, o, households) for o in OUTCOMES}


def _share(rate: float, n: int) -> str:
    return f"{rate:.1%} ± {mc_se(rate, n):.1%}"


def _coverages(cell: Cell, truth: Truth) -> list[str]:
    entries = []
    for name in INTERVALS:
        shown = cell.shown[name]
        if shown < MEASURABLE:
            entries.append("not shown" if not shown else f"({shown:,} of {cell.replications:,} shown)")
            continue
        note = "" if shown == cell.replications else f" ({shown / cell.replications:.0%} shown)"
        entries.append(_share(cell.coverage(name, truth), shown) + note)
    return entries


def table(cells: list[Cell]) -> str:
    """The markdown table docs/measurement.md prints: the null reads' verdicts, and the
    effect reads' coverage of the expected effect, each with its Monte Carlo standard error."""
    head = (
        "| outcome | buyers, purchases a buyer | held out | no effect: proven | no effect: negative | "
        "rate diff. | relative | incr. purchases | incr. sales |"
    )
    lines = [head, "|" + "---|" * 9]
    for cell in cells:
        negative = cell.verdicts[Verdict.NEGATIVE] / cell.replications
        lines.append(
            f"| {cell.outcome.label} | {cell.buyers_rate:.1%}, {cell.purchases_per_buyer:.2f} | {cell.holdout}% | "
            f"{_share(cell.proven_rate(), cell.replications)} | {_share(negative, cell.replications)} | "
            + " | ".join(_coverages(cell, Truth.EXPECTED))
            + " |"
        )
    return "\n".join(lines)


def injected_table(cells: list[Cell]) -> str:
    """The same reads held to what each replication injected instead."""
    lines = ["| outcome | held out | rate diff. | relative | incr. purchases | incr. sales |", "|" + "---|" * 6]
    for cell in cells:
        lines.append(
            f"| {cell.outcome.label} | {cell.holdout}% | " + " | ".join(_coverages(cell, Truth.INJECTED)) + " |"
        )
    return "\n".join(lines)


def misses(cells: list[Cell], truth: Truth = Truth.EXPECTED) -> str:
    """Where the misses fell: the interval wholly above the truth, or wholly below it."""
    out = []
    for cell in cells:
        parts = [
            f"{name} above {cell.above[(truth, name)] / cell.shown[name]:.1%}, "
            f"below {cell.below[(truth, name)] / cell.shown[name]:.1%}"
            for name in INTERVALS
            if cell.shown[name] >= MEASURABLE
        ]
        out.append(f"{cell.outcome.name} {cell.holdout}% ({truth}): " + "; ".join(parts))
    return "\n".join(out)


def main() -> None:
    _, households, purchases = load()
    cells = simulate(households, purchases)
    print(
        f"{REPLICATIONS:,} replications a holdout, seed {SEED}, weeks {WEEKS.start}-{WEEKS.stop - 1}, "
        f"{households.count:,} households\n"
    )
    print(table(cells))
    print()
    print(injected_table(cells))
    print()
    print(misses(cells))
    print(misses(cells, Truth.INJECTED))


if __name__ == "__main__":
    main()

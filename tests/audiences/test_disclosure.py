"""The attacker's tests of audiences/disclosure.py: a brand tries to learn how many users
did something rare by differencing sizes, and by asking again and averaging.

The audit's attack: preview A ("bought X in 30 days") and "A and not B" (B: "bought the
rival's Y in 2 days"), both above the minimum, and subtract: 35 users bought both. Here
a network of 1,000 users holds 600 buyers of X, 35 of whom bought Y, and the brand sees
sizes as disclosure.py shows them. The brand knows the rule (docs/audiences.md), not the
secret.
"""

from __future__ import annotations

import hashlib
import statistics
from typing import Any

from shelfspace.audiences.disclosure import Noise, SizeView, canonical, coarse
from shelfspace.audiences.membership import AudienceIndex, ProductFacts
from shelfspace.audiences.rules import RULE, Rule
from shelfspace.events.model import Event, EventType

NOW = 1_790_000_000.0
DAY = 86_400.0
MIN_SIZE = 100
BOTH = 35  # bought X and the rival's Y: what the brand wants to learn
A: dict[str, Any] = {"event": "purchase", "sku": "X", "within_days": 30}
B: dict[str, Any] = {"event": "purchase", "sku": "Y", "within_days": 2}
A_NOT_B: dict[str, Any] = {"all": [A, {"not": B}]}
SECRETS = [hashlib.sha256(f"secret {n}".encode()).digest() for n in range(40)]


def _order(user: str, sku: str, days_ago: float) -> Event:
    items = [{"sku": sku, "quantity": 1, "price_micros": 5_000_000}]
    return Event(
        f"conversion:{user}:{sku}", EventType.CONVERSION, NOW - days_ago * DAY, user_id=user, data={"items": items}
    )


def _network() -> AudienceIndex:
    index = AudienceIndex(MIN_SIZE)
    index.set_audiences([], {"X": ProductFacts("Ours", "snacks"), "Y": ProductFacts("Rival", "snacks")}, NOW)
    events = [_order(f"u{n}", "X", 1 + n % 20) for n in range(600)]
    events += [_order(f"u{n}", "Y", 1) for n in range(BOTH)]
    events += [_order(f"v{n}", "Z", 3) for n in range(400)]  # the rest of the network
    index.add_events(events, NOW)
    return index


def _rule(raw: dict[str, Any]) -> Rule:
    return RULE.validate_python(raw)


def _rewrites(base: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """Rules holding exactly the users `base` holds, each spelt differently: the attacker's
    way to fresh noise if the noise were keyed by the rule alone."""
    ghosts = [{"all": [base, {"not": {"event": "view", "sku": f"GHOST-{k}"}}]} for k in range(count // 2)]
    longer = [{"all": [base, {"event": "purchase", "sku": "X", "within_days": 31 + k}]} for k in range(count // 2)]
    return ghosts + longer


def _possible(shown: int, noise: Noise) -> tuple[float, float]:
    """The true sizes a brand knowing the rule (not the secret) finds consistent with `shown`."""
    step = max(1, MIN_SIZE // 10, 10 ** (len(str(shown)) - 2))
    return shown - noise.spread - step / 2, shown + noise.spread + step / 2


def test_the_audits_pair_leaves_the_small_group_unknown() -> None:
    index = _network()
    assert index.count(_rule(A), NOW) - index.count(_rule(A_NOT_B), NOW) == BOTH  # the truth the brand is after
    differences = []
    for secret in SECRETS:
        view = SizeView(MIN_SIZE, Noise(MIN_SIZE, secret), index)
        (a, _), (a_not_b, _) = view.preview(_rule(A), NOW), view.preview(_rule(A_NOT_B), NOW)
        assert a is not None and a_not_b is not None
        differences.append(a - a_not_b)
        low_a, high_a = _possible(a, view.noise)  # type: ignore[arg-type]
        low_b, high_b = _possible(a_not_b, view.noise)  # type: ignore[arg-type]
        low, high = low_a - high_b, high_a - low_b
        assert low <= BOTH <= high
        # Every count from "nobody" to twice the minimum fits what the brand saw, or more:
        assert high - low >= 4 * MIN_SIZE
    # The same truth (35) shows as differences from below zero to above the minimum: the
    # difference does not even tell whether the group is empty or bigger than the minimum.
    assert min(differences) <= 0 and max(differences) >= MIN_SIZE, differences


def test_asking_again_or_spelling_the_rule_otherwise_gives_the_same_answer() -> None:
    index = _network()
    view = SizeView(MIN_SIZE, Noise(MIN_SIZE, SECRETS[0]), index)
    first = view.preview(_rule(A_NOT_B), NOW)
    assert all(view.preview(_rule(A_NOT_B), NOW) == first for _ in range(20))
    reordered = {"all": [{"not": {"within_days": 2, "sku": "Y", "event": "purchase"}}, A]}
    assert canonical(_rule(reordered)) == canonical(_rule(A_NOT_B))
    assert view.preview(_rule(reordered), NOW) == first


def test_rewriting_the_rule_to_average_the_noise_away_does_not_converge() -> None:
    """Many rewrites of A and of A-and-not-B, averaged: the noise keyed by who is in the
    answer does not change between rewrites, so the average keeps it. Across 40 secrets the
    averaged estimate is as wrong as one pair is."""
    index = _network()
    truths = {}
    for base in (A, A_NOT_B):
        truths[str(base)] = [(index.matching(_rule(r), NOW), canonical(_rule(r))) for r in _rewrites(base, 60)]
    assert len({size for (size, _), _ in truths[str(A)]}) == 1  # the rewrites hold the same users
    averaged_errors, single_errors = [], []
    for secret in SECRETS:
        noise = Noise(MIN_SIZE, secret)
        means = []
        for base in (A, A_NOT_B):
            shown = [noise.shown(size, key, members) for (size, members), key in truths[str(base)]]
            assert None not in shown
            means.append(statistics.fmean(s for s in shown if s is not None))
            assert len(set(shown)) > 1  # each rewrite does get its own rule-keyed noise
        averaged_errors.append(means[0] - means[1] - BOTH)
        (a_size, a_members), a_key = truths[str(A)][0]
        (b_size, b_members), b_key = truths[str(A_NOT_B)][0]
        single_errors.append(
            (noise.shown(a_size, a_key, a_members) or 0) - (noise.shown(b_size, b_key, b_members) or 0) - BOTH
        )
    averaged, single = statistics.pstdev(averaged_errors), statistics.pstdev(single_errors)
    assert averaged >= MIN_SIZE / 4, (averaged, averaged_errors)  # still about +-40 users: no better than a guess
    assert averaged >= single / 2, (averaged, single)
    # Had the noise been keyed by the rule alone, 60 rewrites would have cut it by sqrt(60):
    assert averaged > 3 * single / 60**0.5


def test_small_groups_are_suppressed_and_the_operator_sees_exact_sizes() -> None:
    index = _network()
    brand = SizeView(MIN_SIZE, Noise(MIN_SIZE, SECRETS[0]), index)
    operator = SizeView(MIN_SIZE, None, index)
    both = _rule({"all": [A, B]})
    assert brand.preview(both, NOW) == (None, False) == operator.preview(both, NOW)  # 35: "fewer than 100"
    assert operator.preview(_rule(A), NOW) == (600, True)
    shown, targetable = brand.preview(_rule(A), NOW)
    assert targetable and shown is not None and abs(shown - 600) <= MIN_SIZE + 5 and shown % 10 == 0


def test_sizes_are_rounded_to_two_figures_and_never_shown_below_the_minimum() -> None:
    assert coarse(12_345, 100) == 12_000
    assert coarse(987, 100) == 990
    assert coarse(151, 100) == 150
    noise = Noise(MIN_SIZE, SECRETS[1])
    assert all(noise.shown(MIN_SIZE, f"{k}".encode(), k) >= MIN_SIZE for k in range(200))  # type: ignore[operator]
    assert noise.shown(MIN_SIZE - 1, b"rule", 0) is None

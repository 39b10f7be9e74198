"""The engine decides from what it is handed: its clock, its id source, its generator.

No process-wide clock or generator is read while deciding, so two engines handed the same
seeded sources give the same answer, ids included; and the explanation is recorded only
when the request asks for `debug`, without changing what serves.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from shelfspace.core import ids
from shelfspace.decisioning.engine import Decision, Engine
from shelfspace.decisioning.explain import NO_EXPLANATION, Reasons
from tests.decisioning.golden import CASES, load

CASE = CASES / "10_multi_slot_each_pays_next.yaml"  # three winners: a request id and three ad ids


def seeded_decision(path: Path, debug: bool = True) -> Decision:
    case = load(path)
    clock = case.engine.clock
    engine = Engine(case.counters, clock, rng=random.Random(7), ids=ids.IdSource.following(clock, random.Random(5)))
    return engine.decide(case.snapshot, replace(case.request, debug=debug))


def served(decision: Decision) -> list[tuple[str, str, int]]:
    return [(pid, ad.candidate.id, ad.price_micros) for pid, ads in decision.ads.items() for ad in ads]


class NoGlobalIds:
    """A default source that fails the test if anything draws from it."""

    def __call__(self) -> int:
        raise AssertionError("the engine read the process's id source")


def test_two_engines_handed_the_same_sources_decide_the_same_ids_included() -> None:
    with ids.drawn_from(ids.IdSource(NoGlobalIds(), random.Random(1))):
        first, second = seeded_decision(CASE), seeded_decision(CASE)
    ad_ids = [ad.ad_id for ads in first.ads.values() for ad in ads]
    assert len(ad_ids) == 3
    assert first.request_id == second.request_id
    assert ad_ids == [ad.ad_id for ads in second.ads.values() for ad in ads]
    assert ad_ids == sorted(set(ad_ids))  # made in rank order, one millisecond: counting up
    millis = f"{int(load(CASE).engine.clock.now().timestamp() * 1000):012x}"  # the case's clock, not the wall's
    assert first.request_id[4:16] == millis and all(i[3:15] == millis for i in ad_ids)


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_explaining_changes_nothing_that_serves(path: Path) -> None:
    if "error" in load(path).spec["expect"]:
        return
    explained, plain = seeded_decision(path, debug=True), seeded_decision(path, debug=False)
    assert plain.explain is None and explained.explain is not None
    assert served(plain) == served(explained)
    assert plain.request_id == explained.request_id
    assert sorted(g.line_item_id for g in plain.ghosts) == sorted(g.line_item_id for g in explained.ghosts)


def test_the_null_explanation_is_not_wanted_and_keeps_nothing() -> None:
    assert not NO_EXPLANATION.wanted and NO_EXPLANATION.recorded() is None
    assert Reasons().wanted and Reasons().recorded() == []

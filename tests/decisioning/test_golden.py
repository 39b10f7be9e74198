"""Every YAML case in tests/golden/decisioning: winners, prices, reasons and ghosts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shelfspace.decisioning.engine import UnknownPlacements
from tests.counters.conftest import CountersFactory
from tests.decisioning.golden import CASES, load

PATHS = sorted(CASES.glob("*.yaml"))


def money(micros: int) -> Decimal:
    return Decimal(micros) / 1_000_000


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_golden_case(path: Path, new_counters: CountersFactory) -> None:
    """On the in-process counters and on Redis: the engine must decide the same."""
    case = load(path, new_counters())
    expect = case.spec["expect"]
    if "error" in expect:
        with pytest.raises(UnknownPlacements) as raised:
            case.engine.decide(case.snapshot, case.request)
        assert raised.value.ids == expect["error"]["unknown_placements"]
        return
    campaigns = {c.campaign for index in case.snapshot.placements.values() for c in index.candidates}
    day = case.engine.clock.now().astimezone(case.snapshot.timezone).date().isoformat()
    before = {c.id: case.counters.budget_use(c.id, day) for c in campaigns}
    decision = case.engine.decide(case.snapshot, case.request)

    got = {
        pid: [
            {"line_item": ad.candidate.id, "price": money(ad.price_micros)}
            | ({"sku": ad.product.sku} if ad.product else {})
            for ad in ads
        ]
        for pid, ads in decision.ads.items()
    }
    wanted = {
        pid: [
            {"line_item": w["line_item"], "price": Decimal(str(w["price"]))} | ({"sku": w["sku"]} if "sku" in w else {})
            for w in winners
        ]
        for pid, winners in expect["ads"].items()
    }
    assert got == wanted, f"{path.name}: {case.spec.get('description', '')}"

    explain = decision.explain or []
    for pid, reasons in expect.get("reasons", {}).items():
        told = {c.line_item_id: c.reason for c in explain if c.placement_id == pid}
        assert {li: told.get(li) for li in reasons} == reasons, f"{path.name}: reasons on {pid}"
    assert sorted(g.line_item_id for g in decision.ghosts) == sorted(expect.get("ghosts", []))

    # Invariants of every answer. Only a served ad reserves: a ghost's "would reserve"
    # check, and every refused or held-out bid, leaves its campaign's budget as it was.
    reserved = {
        c.id: sum(ad.reserved_micros for ads in decision.ads.values() for ad in ads if ad.candidate.campaign.id == c.id)
        for c in campaigns
    }
    for c in campaigns:
        after = case.counters.budget_use(c.id, day)
        assert after.reserved_day - before[c.id].reserved_day == reserved[c.id], f"{path.name}: {c.id} reserved"
    skus = [ad.product.sku for ads in decision.ads.values() for ad in ads if ad.product]
    assert len(skus) == len(set(skus)), "a SKU twice in one answer"
    for ads in decision.ads.values():
        assert len({ad.candidate.advertiser.id for ad in ads}) == len(ads), "one advertiser, two slots"
        assert all(ad.price_micros <= ad.candidate.line_item.bid_micros for ad in ads), "paid above the bid"


def test_there_are_enough_golden_cases() -> None:
    assert len(PATHS) >= 40

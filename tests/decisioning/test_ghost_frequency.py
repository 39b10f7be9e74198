"""A ghost counts toward its line item's frequency cap as its ad would have: a held-out
user's control impressions stop where an exposed user's real ones would."""

from __future__ import annotations

from pathlib import Path

from tests.counters.conftest import CountersFactory
from tests.decisioning.golden import load

CASE = """
now: "2026-12-01T10:00:00+00:00"
placements: [{id: hero, floor: 1.00}]
campaigns:
  - {id: hc, advertiser: brand, holdout_percent: 50}
line_items:
  - {id: li-brand, campaign: hc, bid: 6.00, placements: [hero], frequency_cap: {count: 2, period: day}}
  - {id: li-next, bid: 4.00, placements: [hero]}
request: {user: u1, consent: true, placements: [{id: hero}]}
expect: {ads: {}}
"""


def test_ghosts_stop_at_the_cap(tmp_path: Path, new_counters: CountersFactory) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASE)
    case = load(path, new_counters())
    ghosts = [len(case.engine.decide(case.snapshot, case.request).ghosts) for _ in range(4)]
    assert ghosts == [1, 1, 0, 0], "u1 (held out of hc) has two ghosts of li-brand a day, as an exposed user two ads"

"""Why each line item won or lost a placement: recorded only when a decision asks for it.

The engine is handed one `Explanation` per request and tells it every line item's fate as
it goes. Serving asks for none and gets `NO_EXPLANATION`, whose methods do nothing and
whose `wanted` is false, so the engine also skips the work done only to explain (why the
bids never reached lost, which targeting rule turned a line item away). `debug` asks for
a `Reasons`, which keeps them all for the answer's `explain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from shelfspace.decisioning.index import Candidate
from shelfspace.decisioning.reasons import Reason


@dataclass(frozen=True, slots=True)
class Considered:
    """One line item's fate on one placement, for `explain`."""

    placement_id: str
    line_item_id: str
    advertiser_id: str
    ecpm_micros: int | None
    won: bool
    reason: Reason | None


class Explanation(Protocol):
    """What the engine tells about each line item it considered."""

    @property
    def wanted(self) -> bool:
        """Whether anyone reads the explanation: work done only to explain is skipped if not."""
        ...

    def note(
        self, placement_id: str, candidate: Candidate, ecpm: int | None, reason: Reason | None, won: bool = False
    ) -> None: ...

    def excluded(self, placement_id: str, line_items: Mapping[str, tuple[str, Reason]]) -> None:
        """Line items the snapshot ruled out of the placement (line item -> advertiser, reason)."""
        ...

    def recorded(self) -> list[Considered] | None:
        """What was noted, in order; None when nothing was asked for."""
        ...


class NoExplanation:
    """Nobody asked: every note is dropped, and nothing is done to find one."""

    __slots__ = ()
    wanted = False

    def note(
        self, placement_id: str, candidate: Candidate, ecpm: int | None, reason: Reason | None, won: bool = False
    ) -> None:
        return None

    def excluded(self, placement_id: str, line_items: Mapping[str, tuple[str, Reason]]) -> None:
        return None

    def recorded(self) -> list[Considered] | None:
        return None


NO_EXPLANATION = NoExplanation()


class Reasons:
    """Every line item's fate, kept in the order the engine told them (`debug`)."""

    __slots__ = ("considered",)
    wanted = True

    def __init__(self) -> None:
        self.considered: list[Considered] = []

    def note(
        self, placement_id: str, candidate: Candidate, ecpm: int | None, reason: Reason | None, won: bool = False
    ) -> None:
        self.considered.append(Considered(placement_id, candidate.id, candidate.advertiser.id, ecpm, won, reason))

    def excluded(self, placement_id: str, line_items: Mapping[str, tuple[str, Reason]]) -> None:
        self.considered.extend(
            Considered(placement_id, line_item, advertiser, None, False, reason)
            for line_item, (advertiser, reason) in line_items.items()
        )

    def recorded(self) -> list[Considered] | None:
        return self.considered

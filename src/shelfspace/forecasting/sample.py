"""Which decision requests are kept for forecasting, and in what form.

A forecast replays real requests, so the network keeps a sample of them: the setting
`request_sample_percent` (1 to 100). The sample is uniform over requests, drawn by user:
a request with a user id is kept when the keyed hash of that id falls in the sampled
share, so every request of a sampled user is kept and frequency caps and reach replay as
they happened; a request without one is kept at random with the same probability. Each
request therefore stands for `100 / percent` requests, and each sampled user for as many
users.

The user id itself is never kept: only its keyed hash (`user_hash`), which cannot be
turned back into the id without the network's key. Audiences are matched at forecast time
by hashing the members of each segment with the same key.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest

RETENTION_DAYS = 28  # how long a sampled request is kept
BUCKETS = 10_000  # the user hash's share is read to a hundredth of a percent


@dataclass(frozen=True, slots=True)
class SampledRequest:
    """One kept decision request: where it asked (its slots), what the page was about, the
    user's consent and keyed hash, and when (UTC; the daypart is its local time)."""

    at: datetime
    slots: tuple[SlotRequest, ...]
    context: Context
    consent: bool
    user_hash: str | None

    def decision_request(self) -> DecisionRequest:
        """The request as the engine takes it, the hash standing in for the user id."""
        return DecisionRequest(self.slots, self.context, self.user_hash, self.consent)


def user_hash(pseudonym: Callable[[str], str], user_id: str) -> str:
    """The keyed hash kept instead of the user id (and used to match audiences later)."""
    return pseudonym(f"forecast-user.{user_id}")


class RequestSampler:
    """Decides, per request, whether it is kept: cheap enough for the decision route
    (one keyed hash when there is a user id)."""

    def __init__(self, percent: int, pseudonym: Callable[[str], str], rng: random.Random | None = None) -> None:
        if not 1 <= percent <= 100:
            raise ValueError("the request sample is 1 to 100 percent")
        self.percent = percent
        self._pseudonym = pseudonym
        self._rng = rng or random.Random()

    @property
    def weight(self) -> float:
        """How many real requests (and users) one sampled request (and user) stands for."""
        return 100 / self.percent

    def sample(self, request: DecisionRequest, at: datetime) -> SampledRequest | None:
        hashed = user_hash(self._pseudonym, request.user_id) if request.user_id else None
        if hashed is not None:
            kept = int(hashed[:8], 16) % BUCKETS < self.percent * (BUCKETS // 100)
        else:
            kept = self.percent == 100 or self._rng.random() * 100 < self.percent
        if not kept:
            return None
        context = request.context
        return SampledRequest(
            at,
            request.slots,
            Context(
                keywords=context.keywords,
                category=context.category,
                query=context.query,
                skus=context.skus,
                device=context.device,
                country=context.country,
            ),
            request.consent,
            hashed,
        )

"""A decision request in the engine's terms, normalised once before any line item is looked at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shelfspace.decisioning.text import category_prefixes, phrase, phrases_in, words


@dataclass(frozen=True, slots=True)
class SlotRequest:
    placement_id: str
    count: int = 1
    floor_micros: int = 0  # a floor of the request's own (an OpenRTB imp's), above the placement's if higher


@dataclass(frozen=True, slots=True)
class Context:
    url: str | None = None
    keywords: tuple[str, ...] = ()
    category: str | None = None
    query: str | None = None
    skus: tuple[str, ...] = ()
    device: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    slots: tuple[SlotRequest, ...]
    context: Context = field(default_factory=Context)
    user_id: str | None = None
    consent: bool = False  # consent.targeting: may the user's own data be used?
    debug: bool = False


@dataclass(frozen=True, slots=True)
class Matchable:
    """The request as the indexes look it up: normalised phrases, category path prefixes."""

    phrases: frozenset[str]
    query_words: frozenset[str]
    categories: tuple[str, ...]
    skus: frozenset[str]
    country: str | None
    device: str | None
    segments: frozenset[str]
    local_time: datetime
    user_known: bool = False  # an id and consent: audiences apply (a user in none simply mismatches)

    @classmethod
    def of(cls, request: DecisionRequest, segments: frozenset[str], local_time: datetime) -> Matchable:
        ctx = request.context
        found = {phrase(k) for k in ctx.keywords} | (phrases_in(ctx.query) if ctx.query else set())
        found.discard("")
        return cls(
            phrases=frozenset(found),
            query_words=frozenset(words(ctx.query)) if ctx.query else frozenset(),
            categories=tuple(category_prefixes(ctx.category)) if ctx.category else (),
            skus=frozenset(ctx.skus),
            country=ctx.country.upper() if ctx.country else None,
            device=ctx.device.lower() if ctx.device else None,
            segments=segments if request.consent and request.user_id else frozenset(),
            local_time=local_time,
            user_known=bool(request.consent and request.user_id),
        )

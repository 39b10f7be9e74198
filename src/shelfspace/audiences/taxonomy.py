"""IAB Tech Lab Audience Taxonomy 1.1: the industry's names for segments.

A segment may carry one of its ids (`iab_segment`), so that a buyer, an exchange or an
offsite platform reads the segment in words it already knows ("Interest | Food & Drink
| Cooking"). The list ships with the package (`iab_audience_taxonomy_1_1.tsv`, the ids,
parents and tier names of the IAB's file, CC BY 3.0).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

FILE = "iab_audience_taxonomy_1_1.tsv"


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    parent: str | None
    name: str


@cache
def segments() -> dict[str, Segment]:
    text = files("shelfspace.audiences").joinpath(FILE).read_text(encoding="utf-8")
    rows = csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t")
    return {r["id"]: Segment(r["id"], r["parent"] or None, r["name"]) for r in rows}


def label(segment_id: str | None) -> str | None:
    found = segments().get(segment_id) if segment_id else None
    return found.name if found else None


def search(text: str, limit: int = 20) -> list[Segment]:
    """Segments whose name holds every word of `text` (case-insensitive), shortest first."""
    wanted = text.casefold().split()
    hits = [s for s in segments().values() if all(w in s.name.casefold() for w in wanted)]
    return sorted(hits, key=lambda s: (len(s.name), s.name))[:limit]

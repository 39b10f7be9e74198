"""Keyword normalisation: what a shopper types and what a brand bids on meet in one form.

Case and accents are dropped (`Café` → `cafe`, Vietnamese `Lều cắm trại` → `leu cam trai`,
with `đ` → `d`, which Unicode does not decompose), punctuation splits words, and simple
English plurals fold to the singular (`tents` → `tent`, `boxes` → `box`, `berries` → `berry`).
The same function runs when the snapshot is built and on every request.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")
_NOT_DECOMPOSED = str.maketrans({"đ": "d", "ð": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "þ": "th"})
# Words whose final s is not a plural.
_KEEP_S = frozenset(
    {
        "glass",
        "gas",
        "bus",
        "lens",
        "news",
        "series",
        "species",
        "chips",
        "crisps",
        "swiss",
        "hummus",
        "asparagus",
        "citrus",
        "couscous",
        "molasses",
        "jeans",
        "shorts",
        "trousers",
    }
)
MAX_PHRASE_WORDS = 4


def singular(word: str) -> str:
    if len(word) <= 3 or word in _KEEP_S or word.endswith("ss") or word.endswith("us"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "zes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """`Two-Person Tents!` → ('two', 'person', 'tent')."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_NOT_DECOMPOSED))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return tuple(singular(w) for w in _WORD.findall(plain))


def phrase(text: str) -> str:
    """The normalised form of a keyword: its words joined by single spaces."""
    return " ".join(words(text))


def phrases_in(text: str) -> set[str]:
    """Every run of up to MAX_PHRASE_WORDS consecutive words: a query matches a keyword
    when the keyword is one of these (`red dog food` matches `dog food`, not `red food`)."""
    ws = words(text)
    return {" ".join(ws[i:j]) for i in range(len(ws)) for j in range(i + 1, min(len(ws), i + MAX_PHRASE_WORDS) + 1)}


def category_prefixes(category: str) -> list[str]:
    """`outdoor/camping/tents` → ['outdoor', 'outdoor/camping', 'outdoor/camping/tents']."""
    parts = [p.strip().lower() for p in category.strip("/").split("/") if p.strip()]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def within(category: str | None, ancestors: frozenset[str]) -> bool:
    """Is `category` one of `ancestors` or below one of them?"""
    return category is not None and any(p in ancestors for p in category_prefixes(category))


def product_words(title: str, brand: str | None, category: str | None) -> frozenset[str]:
    """What a query is matched against: the words of the title, the brand and the category."""
    found = set(words(title)) | set(words(brand or ""))
    for level in (category or "").split("/"):
        found |= set(words(level))
    return frozenset(found)

"""An audience's rule: conditions on a user's first-party events, combined with all/any/not.

A condition (api.md, "Audiences and offsite"):
    {"event": "view|search|add_to_cart|purchase", "category"?, "sku"?, "brand"?,
     "query"?, "within_days": 30, "min_count"?: 1, "min_spend"?: 50.00}
matches a user with at least `min_count` such events in the last `within_days` days (or,
with `min_spend`, purchases of at least that much in the window). Combinations:
{"all": [rules]}, {"any": [rules]}, {"not": rule}.

Categories match by path prefix (`dairy` matches `dairy/milk`); a query matches a search
containing all its words (normalised as keywords are: case, accents and plurals folded);
brand and category come from the product catalogue when the event names only a SKU.
Purchases are the operator's orders (`POST /v1/events/conversions`, one purchase per
item, with what was paid) and behaviour events of type `purchase`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag, TypeAdapter, model_validator

from shelfspace.audiences.rule_limits import MAX_LIST_ITEMS
from shelfspace.catalog.fields import Category, Sku
from shelfspace.core.inputs import InputModel
from shelfspace.core.money import Money, to_micros
from shelfspace.decisioning.text import words
from shelfspace.events.model import BehaviourType

MAX_WITHIN_DAYS = 365
DAY = 86_400.0


class Condition(InputModel):
    event: BehaviourType
    category: Category | None = None
    sku: Sku | None = None
    brand: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    query: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    within_days: int = Field(default=30, ge=1, le=MAX_WITHIN_DAYS)
    min_count: int = Field(default=1, ge=1, le=10_000)
    min_spend: Money | None = Field(default=None, description="Purchases only: at least this much spent in the window.")

    @model_validator(mode="after")
    def _fits_the_event(self) -> Condition:
        if self.query is not None and self.event is not BehaviourType.SEARCH:
            raise ValueError("`query` applies to `search` events only")
        if self.query is not None and not words(self.query):
            raise ValueError("`query` has no words to match")
        if self.min_spend is not None and self.event is not BehaviourType.PURCHASE:
            raise ValueError("`min_spend` applies to `purchase` events only")
        if self.min_spend is not None and self.min_spend <= 0:
            raise ValueError("`min_spend` must be more than 0")
        return self


class AllOf(InputModel):
    all: list[Rule] = Field(min_length=1, max_length=MAX_LIST_ITEMS)


class AnyOf(InputModel):
    any: list[Rule] = Field(min_length=1, max_length=MAX_LIST_ITEMS)


class NotOf(InputModel):
    not_: Rule = Field(alias="not")


def _kind(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("event", "all", "any", "not"):
            if key in value:
                return key
        return None
    if isinstance(value, InputModel):
        return {Condition: "event", AllOf: "all", AnyOf: "any", NotOf: "not"}.get(type(value))
    return None


Rule = Annotated[
    Union[
        Annotated[Condition, Tag("event")],
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[NotOf, Tag("not")],
    ],
    Discriminator(
        _kind,
        custom_error_type="rule_kind",
        custom_error_message='a rule is a condition with `event`, or {"all": [...]}, {"any": [...]} or {"not": rule}',
    ),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()
RULE = TypeAdapter(Rule)


def depth(rule: Rule) -> int:
    if isinstance(rule, Condition):
        return 1
    if isinstance(rule, NotOf):
        return 1 + depth(rule.not_)
    return 1 + max(depth(r) for r in (rule.all if isinstance(rule, AllOf) else rule.any))


def conditions(rule: Rule) -> list[Condition]:
    if isinstance(rule, Condition):
        return [rule]
    if isinstance(rule, NotOf):
        return conditions(rule.not_)
    return [c for r in (rule.all if isinstance(rule, AllOf) else rule.any) for c in conditions(r)]


def as_json(rule: Rule) -> dict[str, Any]:
    """The rule as stored and answered: money as decimals, no empty fields."""
    dumped: dict[str, Any] = RULE.dump_python(rule, mode="json", by_alias=True, exclude_none=True)
    return dumped


# --- in words -------------------------------------------------------------------------

VERBS = {
    BehaviourType.VIEW: "viewed",
    BehaviourType.SEARCH: "searched",
    BehaviourType.ADD_TO_CART: "added to cart",
    BehaviourType.PURCHASE: "bought",
}


def _condition_words(c: Condition) -> str:
    what = [
        f"SKU {c.sku}" if c.sku else "",
        f"brand {c.brand}" if c.brand else "",
        f"in {c.category}" if c.category else "",
        f"“{c.query}”" if c.query else "",
    ]
    words = " ".join([VERBS[c.event], *[w for w in what if w]])
    if c.min_spend is not None:
        words += f", spending at least {c.min_spend}"
    elif c.min_count > 1:
        words += f" at least {c.min_count} times"
    return f"{words} in the last {c.within_days} day{'s' if c.within_days != 1 else ''}"


def describe(rule: Rule) -> str:
    """The rule in plain words, for the pages: "added to cart in dairy in the last 7 days,
    and not: bought in the last 7 days"."""
    if isinstance(rule, Condition):
        return _condition_words(rule)
    if isinstance(rule, NotOf):
        return f"not: {describe(rule.not_)}"
    parts = [describe(r) for r in (rule.all if isinstance(rule, AllOf) else rule.any)]
    joined = (", and " if isinstance(rule, AllOf) else ", or ").join(
        f"({p})" if ", and " in p or ", or " in p else p for p in parts
    )
    return joined


# --- matching --------------------------------------------------------------------------

Fact = tuple[float, BehaviourType, str | None, str | None, str | None, frozenset[str], int]
"""One thing a user did: (time, kind, sku, category, brand, query words, spend in micros)."""

FactsByKind = Mapping[BehaviourType, Sequence[Fact]]
"""A user's facts grouped by what they did: a condition reads only its own kind."""

Predicate = Callable[[FactsByKind, float], bool]


def by_kind(facts: Iterable[Fact]) -> dict[BehaviourType, list[Fact]]:
    grouped: dict[BehaviourType, list[Fact]] = {}
    for fact in facts:
        grouped.setdefault(fact[1], []).append(fact)
    return grouped


def _in_category(fact_category: str | None, wanted: str) -> bool:
    return fact_category is not None and (fact_category == wanted or fact_category.startswith(wanted + "/"))


def _condition(c: Condition) -> Predicate:
    window = c.within_days * DAY
    kind, sku, category, brand = c.event, c.sku, c.category, c.brand
    query = frozenset(words(c.query)) if c.query else None
    brand_key = brand.casefold() if brand else None
    min_spend = to_micros(c.min_spend) if c.min_spend is not None else None

    def matches(fact: Fact, since: float) -> bool:
        time, _, f_sku, f_category, f_brand, f_words, _ = fact
        return (
            time >= since
            and (sku is None or f_sku == sku)
            and (category is None or _in_category(f_category, category))
            and (brand_key is None or (f_brand is not None and f_brand.casefold() == brand_key))
            and (query is None or query <= f_words)
        )

    if min_spend is not None:

        def spent(facts: FactsByKind, now: float) -> bool:
            since = now - window
            return sum(f[6] for f in facts.get(kind, ()) if matches(f, since)) >= min_spend

        return spent

    def counted(facts: FactsByKind, now: float) -> bool:
        since, needed = now - window, c.min_count
        for fact in facts.get(kind, ()):
            if matches(fact, since):
                needed -= 1
                if needed == 0:
                    return True
        return False

    return counted


def compile_rule(rule: Rule) -> Predicate:
    """The rule as a function of a user's facts and the time now."""
    if isinstance(rule, Condition):
        return _condition(rule)
    if isinstance(rule, NotOf):
        inner = compile_rule(rule.not_)
        return lambda facts, now: not inner(facts, now)
    parts = [compile_rule(r) for r in (rule.all if isinstance(rule, AllOf) else rule.any)]
    if isinstance(rule, AllOf):
        return lambda facts, now: all(p(facts, now) for p in parts)
    return lambda facts, now: any(p(facts, now) for p in parts)

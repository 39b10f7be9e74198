"""How big an audience rule may be: the one place that says so, checked before the rule is
parsed or evaluated.

Why: a rule is evaluated for every user of the network, on every preview and, once saved,
for every user the refresher touches in every process. Before these limits a 10 MB rule
(combinations of 20 rules nested 6 deep hold 20**6 conditions) took 6.4 s to preview and,
saved, raised decision p99 from 17 to 170 ms. The check walks the raw JSON with a budget
and stops at the first limit passed, so a huge rule costs what the limit costs, never
what the rule would: it is refused (422 naming the limit) without being validated,
compiled or evaluated.

A condition names one SKU, one category, one brand and one query (`rules.Condition`); the
lists are the combinations' (`all`, `any`), each at most `MAX_LIST_ITEMS` rules.
"""

from __future__ import annotations

import json
from typing import Any

MAX_RULE_BYTES = 16 * 1024  # the rule as compact JSON
MAX_CONDITIONS = 50
MAX_DEPTH = 6  # a condition alone is depth 1; {"all": [condition]} is 2
MAX_LIST_ITEMS = 20  # rules in one `all` or `any`
COMBINATIONS = ("all", "any")


class RuleTooBig(ValueError):
    """The rule passes one of the limits; the message names it (a pydantic validator turns
    it into the API's 422 on the field `rule`)."""


def check(raw: Any) -> Any:
    """Refuse a raw (parsed JSON, not yet validated) rule over a limit; else return it as
    it came, for the rule's own validation. Walks at most the budget of the limits."""
    budget = MAX_RULE_BYTES  # approximate JSON bytes still allowed: a lower bound of the real size
    conditions = 0
    stack: list[tuple[Any, int]] = [(raw, 1)]
    while stack:
        value, level = stack.pop()
        if level > MAX_DEPTH:
            raise RuleTooBig(f"a rule nests at most {MAX_DEPTH} levels")
        if isinstance(value, dict):
            budget -= 2 + sum(len(str(k)) + 4 for k in value)
            if "event" in value:
                conditions += 1
                if conditions > MAX_CONDITIONS:
                    raise RuleTooBig(f"a rule holds at most {MAX_CONDITIONS} conditions")
            for key, inner in value.items():
                if key in COMBINATIONS and isinstance(inner, list):
                    if len(inner) > MAX_LIST_ITEMS:
                        raise RuleTooBig(f"`{key}` combines at most {MAX_LIST_ITEMS} rules")
                    budget -= len(inner)
                    stack.extend((rule, level + 1) for rule in inner)
                else:  # `not`'s rule is a level down; a condition's fields are on its level
                    stack.append((inner, level + 1 if key == "not" else level))
        elif isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                raise RuleTooBig(f"a list in a rule holds at most {MAX_LIST_ITEMS} items")
            budget -= 2 + len(value)
            stack.extend((item, level) for item in value)
        else:
            budget -= len(value) + 2 if isinstance(value, str) else 8
        if budget < 0:
            raise RuleTooBig(f"a rule is at most {MAX_RULE_BYTES // 1024} KB as JSON")
    if len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_RULE_BYTES:
        raise RuleTooBig(f"a rule is at most {MAX_RULE_BYTES // 1024} KB as JSON")
    return raw

"""The one rule on how deeply a JSON body may nest, and its check.

Why a rule at all: every parser the API uses recurses. Python's `json` (FastAPI's
bodies, the product feed) raised RecursionError on a body of 100,000 `[`, which surfaced
as a 500 (and a feed import spent 18 s on it); pydantic's and orjson's parsers stop at
their own limits with messages no integrator expects. No request of the API nests beyond
a dozen levels (an audience rule, the deepest, stops at 6), so 64 leaves room and keeps
every parser far from its own limit.

Every JSON route refuses a deeper body with the same 422 (`JsonTooDeep`):
- the raw-body routes (decisions, events, OpenRTB) check the bytes before pydantic parses
  them (`http/raw_body.py parse_body`);
- the product feed checks before `json.loads` (`loads` here);
- FastAPI-parsed routes: FastAPI's own parse fails with RecursionError on a body too deep
  for Python, which `http/errors.py` answers with this error instead of a 400.

The check runs in C-speed passes over the bytes (no Python loop per byte): a body with
no more than 64 opening brackets cannot be too deep and costs two `bytes.count` calls,
which is the hot path's case.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shelfspace.core.errors import FieldProblem, InvalidInput

MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


class JsonTooDeep(InvalidInput):
    """A JSON body nested deeper than `MAX_JSON_DEPTH` levels: refused before it is parsed."""

    def __init__(self, limit: int = MAX_JSON_DEPTH) -> None:
        message = f"the JSON body nests more than {limit} levels of arrays and objects; flatten it"
        super().__init__(f"body: {message}", [FieldProblem("body", message)])


def nests_deeper_than(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `raw`'s arrays and objects nest more than `limit` levels (brackets inside
    strings do not count). For a body that is not JSON the answer is only a guess; its
    parser refuses it anyway."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(_ONE_KIND, _NOT_BRACKETS)
    run = b"[" * (limit + 1)  # so many openers in a row: too deep at once (the attacker's body)
    if run in brackets:
        return True
    # Each pass removes the innermost pairs; after `limit` passes a pair still left was
    # nested inside `limit` others, and a run of `limit + 1` openers never closed is as deep.
    for _ in range(limit):
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            break
        brackets = shorter
    return b"[]" in brackets or run in brackets


def check(raw: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    if nests_deeper_than(raw, limit):
        raise JsonTooDeep(limit)


def loads(raw: bytes) -> Any:
    """`json.loads` under the depth rule (raises `JsonTooDeep`, or `json.JSONDecodeError`)."""
    check(raw)
    return json.loads(raw)


def is_too_deep_failure(error: BaseException | None) -> bool:
    """Whether a parser's failure was the recursion a too deep body causes (FastAPI wraps
    Python's RecursionError in a 400; `http/errors.py` asks this to answer 422 instead)."""
    return isinstance(error, RecursionError)

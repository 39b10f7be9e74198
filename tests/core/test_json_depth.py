"""The JSON depth rule (core/json_depth.py): what counts as nesting, and where it stops."""

from __future__ import annotations

import json

import pytest

from shelfspace.core.json_depth import MAX_JSON_DEPTH, JsonTooDeep, loads, nests_deeper_than


def _arrays(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _objects(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize("build", [_arrays, _objects])
def test_the_limit_is_exact(build: object) -> None:
    assert callable(build)
    assert not nests_deeper_than(build(MAX_JSON_DEPTH))
    assert nests_deeper_than(build(MAX_JSON_DEPTH + 1))
    assert nests_deeper_than(build(100_000))


def test_brackets_in_strings_do_not_count_and_escapes_are_read() -> None:
    text = json.dumps({"q": "[" * 500, "r": '\\"{' * 300, "list": [[1], [2, {"b": "]]]]"}]] * 100}).encode()
    assert not nests_deeper_than(text)
    assert nests_deeper_than(json.dumps({"q": "]" * 500, "deep": json.loads(_arrays(70))}).encode())


def test_wide_documents_are_not_deep_and_unclosed_openers_are() -> None:
    assert not nests_deeper_than(json.dumps([[{"a": [1, 2]}] for _ in range(10_000)]).encode())
    assert nests_deeper_than(b"[" * (MAX_JSON_DEPTH + 1))  # never closed: as deep for a recursive parser
    assert nests_deeper_than(b"[1," * 40 + b'{"a":' * 40)


def test_loads_refuses_with_the_api_error_and_parses_the_rest() -> None:
    with pytest.raises(JsonTooDeep) as refused:
        loads(_arrays(100_000))
    assert refused.value.status_code == 422 and refused.value.fields[0].field == "body"
    assert f"more than {MAX_JSON_DEPTH} levels" in refused.value.message
    assert loads(b'{"products": [[1]]}') == {"products": [[1]]}

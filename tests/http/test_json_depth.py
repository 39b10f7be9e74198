"""A deeply nested JSON body answers 422 on every kind of JSON route (core/json_depth.py):
the raw-body hot routes, the product feed, and the routes FastAPI parses, where Python's
`json` used to raise RecursionError (a 500, or FastAPI's 400)."""

from __future__ import annotations

from typing import Any

import pytest

from shelfspace.core.json_depth import MAX_JSON_DEPTH
from tests.support import Api

DEEP = b"[" * 100_000 + b"]" * 100_000


def _send(api: Api, method: str, path: str, body: bytes) -> Any:
    return api.client.request(method, path, content=body, headers={**api.headers, "content-type": "application/json"})


def _refused_for_depth(answer: Any) -> None:
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert f"nests more than {MAX_JSON_DEPTH} levels" in error["message"]
    assert [f["field"] for f in error["fields"]] == ["body"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/events/behaviour"),  # raw body (http/raw_body.py)
        ("POST", "/v1/events/conversions"),
        ("POST", "/openrtb2/auction"),
        ("POST", "/v1/products/import"),  # the feed: json.loads under the rule
        ("POST", "/v1/advertisers"),  # FastAPI-parsed bodies
        ("POST", "/v1/audiences"),
        ("POST", "/v1/audiences/preview"),
        ("POST", "/v1/lift/plan"),
        ("PATCH", "/v1/advertisers/adv_00000000000000000000"),
    ],
)
def test_a_body_100000_levels_deep_is_a_422(operator: Api, method: str, path: str) -> None:
    _refused_for_depth(_send(operator, method, path, DEEP))


def test_the_decision_route_refuses_deep_bodies_within_its_size_cap(operator: Api) -> None:
    levels = 20_000  # 40 KB: under the decision body's cap, far over the depth rule
    _refused_for_depth(_send(operator, "POST", "/v1/decisions", b"[" * levels + b"]" * levels))


def test_the_rule_is_exact_on_the_raw_body_routes(operator: Api) -> None:
    def nested(levels: int) -> bytes:
        return b'{"events": ' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"

    _refused_for_depth(_send(operator, "POST", "/v1/events/behaviour", nested(MAX_JSON_DEPTH + 1)))
    at_limit = _send(operator, "POST", "/v1/events/behaviour", nested(MAX_JSON_DEPTH))
    # Parsed: whatever the route makes of its shape (each event is judged alone), not the depth rule.
    assert at_limit.status_code in (202, 422) and "nests more than" not in at_limit.text

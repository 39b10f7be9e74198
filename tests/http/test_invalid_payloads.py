"""Random bodies, sent to every POST and PATCH the OpenAPI document lists, never make a 500.

Bodies are drawn three ways: any JSON at all; objects with the operation's own field
names holding hostile values (NUL bytes, NaN, huge numbers, deep nesting, wrong types);
and bytes that are not JSON at all. Whatever comes in, the answer is a 2xx, or an error
in the one documented shape, and a 422 names the field that is wrong.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Api, build_network

EXAMPLES = 300

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet="x", min_size=5001, max_size=5001),
    st.sampled_from(
        [
            "",
            "\x00",
            "2026-13-45T99:99:99Z",
            "-1",
            "1e400",
            "web",
            "banner",
            "cpm",
            "https://x.example/",
            "300x250",
            "approved",
            "rejected",
            "ssk_",
            "../../etc/passwd",
            "'; drop table campaigns; --",
            "Tiếng Việt có dấu",
            "🛒",
        ]
    ),
)
any_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def field_names(document: dict[str, Any], method: str, path: str) -> list[str]:
    """The top-level property names of the operation's JSON body, with `$ref` resolved."""
    content = document["paths"][path][method].get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return sorted(schema.get("properties", {}))


@pytest.fixture
def target(operator: Api, advertiser_api: Api) -> dict[str, Any]:
    """Existing objects, so PATCH bodies reach validation rather than a 404."""
    network = build_network(operator, advertiser_api.advertiser_id or "")
    return {
        "document": operator.get("/openapi.json"),
        "ids": {
            "placements": "home-hero",
            "products": "TENT-2P",
            "advertisers": advertiser_api.advertiser_id,
            "campaigns": network["campaign"]["id"],
            "line-items": network["line_item"]["id"],
            "creatives": network["creative"]["id"],
            "api-keys": "key_0000",
        },
    }


def writes(document: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((m, p) for p, item in document["paths"].items() for m in item if m in {"post", "patch"})


def check_answer(method: str, path: str, status: int, raw: bytes) -> None:
    where = f"{method.upper()} {path} -> {status}: {raw[:500]!r}"
    assert status < 500, where
    if status < 400:
        return
    body = json.loads(raw)
    if path == "/v1/products/import" and "rejected" in body:  # the import's own report, row by row
        assert status == 422 and body["rejected"] and all(r["field"] for r in body["rejected"]), where
        return
    error = body["error"]
    assert error["code"] and error["message"], where
    if status == 422:
        assert error["fields"] and all(f["field"] for f in error["fields"]), where


@st.composite
def requests(draw: st.DrawFn, document: dict[str, Any], ids: dict[str, str]) -> tuple[str, str, bytes, str]:
    method, path = draw(st.sampled_from(writes(document)))
    collection = path.split("/")[2] if path.startswith("/v1/") else ""
    url = path.replace("{id}", draw(st.sampled_from([ids.get(collection, "x"), "nope", "%00", "a" * 200])))
    kind = draw(st.sampled_from(["any", "fields", "fields", "raw"]))
    if kind == "raw":
        body = draw(
            st.one_of(st.binary(max_size=200), st.sampled_from([b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"a":1}{']))
        )
        content_type = draw(st.sampled_from(["application/json", "text/csv", "text/plain", "application/xml", ""]))
        return method, url, body, content_type
    if kind == "fields":
        names = field_names(document, method, path) or ["name"]
        fields = st.dictionaries(st.sampled_from(names), any_json, min_size=1, max_size=len(names))
        value = draw(fields)
        if path == "/v1/products/import":
            product_fields = field_names(document, "post", "/v1/products")
            rows = st.dictionaries(st.sampled_from(product_fields), any_json, min_size=1, max_size=len(product_fields))
            value = {"products": draw(st.lists(rows, max_size=3) | any_json)}
    else:
        value = draw(any_json)
    # allow_nan: a client may well send NaN or Infinity; the server must refuse them cleanly.
    return method, url, json.dumps(value, allow_nan=True).encode(), "application/json"


def test_random_writes_never_fail_with_a_server_error(operator: Api, target: dict[str, Any]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        method, url, body, content_type = data.draw(requests(target["document"], target["ids"]))
        headers = operator.headers | ({"Content-Type": content_type} if content_type else {})
        answer = operator.client.request(method.upper(), url, content=body, headers=headers)
        check_answer(method, url, answer.status_code, answer.content)

    run()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/advertisers", {"name": "Nul\x00 brand", "domain": "nul.example"}, "name"),
        ("/v1/placements", {"id": "p1", "name": "P", "channel": "web", "format": "native", "sizes": []}, None),
        ("/v1/products", {"sku": "NUL-1", "title": "Tent", "brand": "Ac\x00me"}, "brand"),
    ],
)
def test_a_nul_character_is_refused_naming_its_field(
    operator: Api, path: str, body: dict[str, Any], field: str | None
) -> None:
    """PostgreSQL cannot store NUL: it must be a 422 on every database, never a 500 on one."""
    if field is None:  # in the path and the query string instead
        operator.post(path, body)
        assert operator.call("GET", f"{path}/p%001").status_code == 422
        assert operator.call("GET", path, params={"cursor": "a\x00"}).status_code == 422
        return
    answer = operator.post(path, body, status=422)
    assert [f["field"] for f in answer["error"]["fields"]] == [field]

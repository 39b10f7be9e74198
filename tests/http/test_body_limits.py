"""Every route's body limit (http/body_limits.py), through the app: the refusal's status,
shape and message, for the API, the hot routes and the pages alike.

The real server, with 500 MB bodies and the server's memory measured, is in
test_server_limits.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from shelfspace.http.body_limits import _EXACT, _PREFIXES, DECISION_BYTES, DEFAULT_BYTES, OPENRTB_BYTES, limit_for
from tests.support import Api

KiB = 1024


def _refusal(message: str) -> dict[str, object]:
    return {"error": {"code": "payload_too_large", "message": message, "fields": []}}


def test_the_table_names_real_routes(client: TestClient) -> None:
    """A renamed route would silently fall back to the default limit: each path in the
    table answers a POST (a 401, 422 or a redirect to sign in; never a 404 or 405)."""
    paths = [*_EXACT, *(prefix.rstrip("/") + ("/token" if prefix.endswith("/") else "") for prefix, _ in _PREFIXES)]
    for path in paths:
        answer = client.post(path, content=b"{}", headers={"content-type": "application/json"}, follow_redirects=False)
        assert answer.status_code not in (404, 405), f"{path} is in the body limits' table but no route answers it"
    assert limit_for("/v1/placements").max_bytes == DEFAULT_BYTES
    assert limit_for("/v1/demand-partners/dp_1").max_bytes == OPENRTB_BYTES


def test_a_declared_length_over_the_default_is_refused_before_reading(operator: Api) -> None:
    body = b'{"name": "' + b"n" * DEFAULT_BYTES + b'"}'
    answer = operator.client.post(
        "/v1/placements", content=body, headers=operator.headers | {"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json() == _refusal("a request body is at most 1 MiB (1048576 bytes)")
    assert answer.headers["connection"] == "close"
    # Just under the limit is read and judged on its content.
    fits = operator.client.post(
        "/v1/placements",
        content=b'{"name": "' + b"n" * (DEFAULT_BYTES - 64) + b'"}',
        headers=operator.headers | {"content-type": "application/json"},
    )
    assert fits.status_code == 422


def test_a_streamed_decision_body_is_refused_past_its_own_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(DECISION_BYTES // (16 * KiB) + 1):
            yield b" " * (16 * KiB)

    answer = client.post("/v1/decisions", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json() == _refusal(f"a decision request is at most 64 KiB ({DECISION_BYTES} bytes)")
    assert answer.headers["connection"] == "close"
    # 64 KiB is the decision's limit, not the default 1 MiB: 100 KiB is already too much.
    assert client.post("/v1/decisions", content=b" " * (100 * KiB)).status_code == 413


def test_an_openrtb_body_is_refused_past_256_kib(client: TestClient) -> None:
    answer = client.post(
        "/openrtb2/auction", content=b" " * (OPENRTB_BYTES + 1), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["message"] == f"an OpenRTB bid request is at most 256 KiB ({OPENRTB_BYTES} bytes)"


def test_a_page_form_over_its_limit_gets_the_error_page(client: TestClient) -> None:
    answer = client.post(
        "/login",
        content=b"email=" + b"e" * DEFAULT_BYTES,
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "a request body is at most 1 MiB" in answer.text

"""CORS of `/openrtb2/auction`: a credentialed answer only for an origin the operator
listed (SHELFSPACE_PREBID_ORIGINS) or the network's own; any other page's browser request
is refused before an auction runs, and never gets an Access-Control header."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from shelfspace.config import Settings, SettingsError, load_settings

AUCTION = "/openrtb2/auction"
LISTED = "https://news.example"
OWN = "http://shelfspace.test"
STRANGERS = [
    "https://evil.example",
    "https://news.example.evil.example",
    "http://news.example",
    "null",
    "https://news.example:8443",
]
BODY = {"id": "req-1", "imp": [{"id": "1", "tagid": "nowhere", "banner": {"format": [{"w": 300, "h": 250}]}}]}


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        public_url=OWN,
        prebid_origins="https://News.example/, https://shop.example",
    )  # type: ignore[arg-type]


def auction(client: TestClient, body: Any, **headers: str) -> Response:
    return client.post(AUCTION, content=json.dumps(body).encode(), headers={"Content-Type": "text/plain"} | headers)


def preflight(client: TestClient, origin: str) -> Response:
    return client.options(
        AUCTION,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


@pytest.mark.parametrize("origin", [LISTED, OWN, "https://shop.example"])
def test_a_listed_origin_and_the_networks_own_are_echoed_with_credentials(client: TestClient, origin: str) -> None:
    answered = preflight(client, origin)
    assert answered.status_code == 204
    assert answered.headers["access-control-allow-origin"] == origin
    assert answered.headers["access-control-allow-credentials"] == "true"
    for body in (BODY, {}):  # a no-bid and a 422 alike: the page can read either
        answer = auction(client, body, Origin=origin)
        assert answer.status_code in (204, 422)
        assert answer.headers["access-control-allow-origin"] == origin
        assert answer.headers["access-control-allow-credentials"] == "true"
        assert answer.headers["vary"] == "Origin"


@pytest.mark.parametrize("origin", STRANGERS)
def test_any_other_origin_is_refused_without_cors_headers(client: TestClient, origin: str) -> None:
    answered = preflight(client, origin)
    assert answered.status_code == 403
    assert "access-control-allow-origin" not in answered.headers
    assert "access-control-allow-credentials" not in answered.headers
    for body in (BODY, {}):  # refused before the body is read: even a 422's body is a 403
        answer = auction(client, body, Origin=origin)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
        assert "SHELFSPACE_PREBID_ORIGINS" in answer.json()["error"]["message"]
        assert "access-control-allow-origin" not in answer.headers


def test_a_call_without_origin_is_a_servers_and_gets_no_cors_headers(client: TestClient) -> None:
    answer = auction(client, BODY)
    assert answer.status_code == 204  # no placement named `nowhere`: no bid, but the auction ran
    assert "access-control-allow-origin" not in answer.headers


def test_by_default_only_the_networks_own_origin_may(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHELFSPACE_PREBID_ORIGINS", raising=False)
    default = Settings(data_dir=tmp_path_factory.mktemp("data"), public_url="https://ads.shop.example/rmn")
    assert default.auction_origins() == {"https://ads.shop.example"}
    monkeypatch.setenv("SHELFSPACE_PREBID_ORIGINS", "https://a.example, https://b.example:8443/")
    assert load_settings().prebid_origins == ("https://a.example", "https://b.example:8443")
    monkeypatch.setenv("SHELFSPACE_PREBID_ORIGINS", "https://a.example/page")
    with pytest.raises(SettingsError, match="SHELFSPACE_PREBID_ORIGINS"):
        load_settings()

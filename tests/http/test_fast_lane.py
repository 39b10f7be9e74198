"""The hot routes go round FastAPI's router yet answer, validate and document as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.responses import Response

from shelfspace.http.fast_lane import HotRoute
from tests.support import HERO_ASK, Api, build_network, decide_until, field_errors


def test_hot_routes_never_reach_the_router(operator: Api, advertiser_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    [ad], _ = decide_until(operator, HERO_ASK, "home-hero", 1)
    client = operator.client

    routed: list[str] = []
    handle = APIRoute.handle

    async def noted(self: APIRoute, *args: Any) -> None:
        routed.append(self.path)
        await handle(self, *args)

    monkeypatch.setattr(APIRoute, "handle", noted)
    answer = client.post("/v1/decisions", json=HERO_ASK)
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
    assert client.get(urlsplit(ad["tracking"]["impression"]).path + "?img=1").headers["content-type"] == "image/gif"
    assert client.get(urlsplit(ad["tracking"]["click"]).path, follow_redirects=False).status_code == 302
    assert client.post("/openrtb2/auction", json={"id": "r1", "imp": []}).status_code in (200, 204, 422)
    assert routed == []
    client.get("/v1/placements", headers=operator.headers)
    assert routed == ["/v1/placements"]  # the rest still goes through the router


def test_bad_input_on_hot_routes_is_named_as_before(operator: Api) -> None:
    client = operator.client
    bad_img = client.get("/track/impression/k.x.y?img=maybe")
    assert bad_img.status_code == 422 and "img" in field_errors(bad_img.json())
    bad_event = client.get("/track/video/rewind/k.x.y")
    assert bad_event.status_code == 422 and "event" in field_errors(bad_event.json())
    long_code = client.get("/track/video/error/k.x.y?code=" + "9" * 11)
    assert long_code.status_code == 422 and "code" in field_errors(long_code.json())
    body = client.post("/v1/decisions", json={"placements": [{"id": "home-hero", "count": "many"}]})
    assert body.status_code == 422 and "placements.0.count" in field_errors(body.json())
    assert client.put("/v1/decisions", json={}).status_code == 405  # another method: FastAPI's answer
    forged = client.get("/track/click/k.x.y", follow_redirects=False)
    assert forged.status_code == 422 and "token" in field_errors(forged.json())


def test_hot_routes_are_documented_with_their_parameters(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    pixel = {p["name"]: p for p in paths["/track/impression/{token}"]["get"]["parameters"]}
    assert pixel["token"]["in"] == "path" and pixel["token"]["required"] is True
    assert pixel["img"]["in"] == "query" and pixel["img"]["schema"]["type"] == "boolean"
    assert pixel["img"]["required"] is False and pixel["img"]["schema"]["default"] is False
    video = {p["name"]: p for p in paths["/track/video/{event}/{token}"]["post"]["parameters"]}
    assert "complete" in video["event"]["schema"]["enum"] and set(video) == {"event", "token", "img", "code"}
    assert "requestBody" in paths["/v1/decisions"]["post"]


def test_hot_routes_are_counted_by_their_template(operator: Api) -> None:
    client = operator.client
    client.get("/track/impression/k.x.y")
    metrics = client.get("/metrics", headers=operator.headers).text
    assert 'route="/track/impression/{token}",status="204"' in metrics


def test_only_request_only_endpoints_can_be_hot() -> None:
    app = FastAPI()

    @app.get("/a/{token}")
    async def with_params(token: str, request: Request) -> Response:
        return Response()

    route = next(r for r in app.routes if isinstance(r, APIRoute) and r.path == "/a/{token}")
    with pytest.raises(TypeError, match="hot endpoint"):
        HotRoute.of(route)


def test_hot_bodies_are_capped(client: TestClient) -> None:
    huge = b'{"placements": [{"id": "' + b"x" * (1024 * 1024) + b'"}]}'
    answer = client.post("/v1/decisions", content=huge, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams
        for _ in range(20):
            yield b" " * 65536

    streamed = client.post("/openrtb2/auction", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413

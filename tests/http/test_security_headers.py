"""Security headers: pages get the full policy, what other sites load gets nosniff only.

The browser's side (no page breaks under the policy) is tests/browser/test_content_security_policy.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from shelfspace.http.security_headers import (
    CREATIVE_PREVIEW_POLICY,
    PLOTLY_STYLE_HASHES,
    HeaderPolicy,
    SecurityHeaders,
    creative_preview,
    csp_nonce,
    frame_by_own_pages,
)
from tests.support import HERO_ASK, Api, build_network, decide_until

PAGE_ONLY = ("content-security-policy", "x-frame-options", "referrer-policy")
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]{16,})'")


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    for kind in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[kind] and "'unsafe-eval'" not in policy[kind]
        assert policy[kind].startswith("'self' 'nonce-")
    assert "strict-transport-security" not in response.headers  # the test network is on http


def assert_cheap_headers_only(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    for name in PAGE_ONLY:
        assert name not in response.headers, f"{name} on {response.request.url.path}"


def test_every_page_gets_the_policy_with_a_fresh_nonce(client: TestClient) -> None:
    pages = [client.get(path) for path in ("/login", "/signup", "/media-kit", "/docs")]
    lost = client.get("/no/such/page", headers={"Accept": "text/html"})
    for response in [*pages, lost]:
        assert_page_headers(response)
    assert lost.status_code == 404
    nonces = [NONCE.search(r.headers["content-security-policy"]).group(1) for r in pages]  # type: ignore[union-attr]
    assert len(set(nonces)) == len(nonces), "a nonce used twice is no nonce"


def test_the_docs_page_has_no_inline_script(client: TestClient) -> None:
    page = client.get("/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert (
        client.get("/static/api-docs.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )


def test_api_answers_get_nosniff_and_no_page_policy(operator: Api) -> None:
    assert_cheap_headers_only(operator.client.get("/v1/placements", headers=operator.headers))
    assert_cheap_headers_only(operator.client.get("/v1/placements"))  # an error answer too (401)
    assert_cheap_headers_only(operator.client.get("/openapi.json"))
    assert_cheap_headers_only(operator.client.get("/healthz"))


def test_what_publishers_pages_load_keeps_working_cross_origin(operator: Api, advertiser_api: Api) -> None:
    """The tag, decisions, pixels, click redirects and VAST are loaded by other sites: no
    frame-ancestors, no referrer rule on the click's redirect, CORS as before."""
    build_network(operator, advertiser_api.advertiser_id or "")
    [ad], _ = decide_until(operator, HERO_ASK, "home-hero", 1)
    client = operator.client
    tag = client.get("/tag.js")
    assert tag.headers["content-type"].startswith("text/javascript")  # nosniff needs a script type
    assert tag.headers["access-control-allow-origin"] == "*"
    decision = client.post("/v1/decisions", json=HERO_ASK, headers={"Origin": "https://shop.example"})
    pixel = client.get(urlsplit(ad["tracking"]["impression"]).path + "?img=1")
    click = client.get(urlsplit(ad["tracking"]["click"]).path, follow_redirects=False)
    vast = client.get("/v1/vast", params={"placement": "ctv-preroll"})
    assert pixel.headers["content-type"] == "image/gif" and click.status_code == 302
    for response in (tag, decision, pixel, click, vast):
        assert_cheap_headers_only(response)


def test_a_case_study_styles_itself_with_the_responses_nonce(
    client: TestClient, operator: Api, advertiser_api: Api
) -> None:
    """(The dashboard's copy, framed by the case-study editor, is walked in the browser test.)"""
    network = build_network(operator, advertiser_api.advertiser_id or "")
    campaign_id = network["campaign"]["id"]
    shared = client.get(f"/v1/campaigns/{campaign_id}/case-study", headers=operator.headers)
    assert_page_headers(shared)
    nonce = NONCE.search(shared.headers["content-security-policy"]).group(1)  # type: ignore[union-attr]
    assert f'<style nonce="{nonce}">' in shared.text
    assert ' style="' not in shared.text  # attributes cannot carry a nonce


# --- the middleware alone ----------------------------------------------------------------


def _styled(request: Request) -> Response:
    return HTMLResponse(f'<style nonce="{csp_nonce(request.scope)}">p{{}}</style>')


def _own_headers(request: Request) -> Response:
    return HTMLResponse("<p>", headers={"Referrer-Policy": "no-referrer"})


def _app(public_url: str | None) -> Starlette:
    app = Starlette(
        routes=[
            Route("/page", _styled),
            Route("/own", _own_headers),
            Route("/framed", lambda request: frame_by_own_pages(HTMLResponse("<p>"))),
            Route("/banner", lambda request: creative_preview('<body style="margin:0">ad</body>')),
            Route("/hot/thing", lambda request: HTMLResponse("<p>")),
            Route("/json", lambda request: JSONResponse({})),
        ]
    )
    app.add_middleware(SecurityHeaders, policy=HeaderPolicy.for_network(public_url), hot_prefixes=("/hot/",))
    return app


def test_hsts_only_when_the_public_url_is_https() -> None:
    secure, plain = TestClient(_app("https://ads.network.example")), TestClient(_app("http://ads.network.example"))
    for path in ("/page", "/json", "/hot/thing"):
        assert secure.get(path).headers["strict-transport-security"] == "max-age=31536000"
        assert "strict-transport-security" not in plain.get(path).headers
    assert "strict-transport-security" not in TestClient(_app(None)).get("/page").headers


def test_the_nonce_in_the_header_is_the_one_the_route_used() -> None:
    client = TestClient(_app(None))
    page = client.get("/page")
    nonce = NONCE.search(page.headers["content-security-policy"]).group(1)  # type: ignore[union-attr]
    assert page.text == f'<style nonce="{nonce}">p{{}}</style>'
    assert directives(page)["style-src"].split() == ["'self'", f"'nonce-{nonce}'", *PLOTLY_STYLE_HASHES]


def test_a_responses_own_headers_win_and_hot_paths_skip_the_page_policy() -> None:
    client = TestClient(_app(None))
    own = client.get("/own")
    assert own.headers.get_list("referrer-policy") == ["no-referrer"]
    assert own.headers["x-frame-options"] == "DENY" and "content-security-policy" in own.headers
    framed = client.get("/framed")
    assert framed.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert directives(framed)["frame-ancestors"] == "'self'"
    banner = client.get("/banner")  # an advertiser's HTML: its own policy, sandboxed, framed by our pages
    assert banner.headers.get_list("content-security-policy") == [CREATIVE_PREVIEW_POLICY]
    assert directives(banner)["sandbox"] == "" and directives(banner)["frame-ancestors"] == "'self'"
    assert banner.headers["x-frame-options"] == "SAMEORIGIN" and banner.headers["x-content-type-options"] == "nosniff"
    assert_cheap_headers_only(client.get("/hot/thing"))  # even HTML, on a hot path
    assert_cheap_headers_only(client.get("/json"))


def test_the_empty_stylesheet_hash_is_the_empty_text() -> None:
    """Allowing it lets Plotly create empty <style> elements (filled through the CSSOM)
    and nothing else."""
    empty = base64.b64encode(hashlib.sha256(b"").digest()).decode()
    assert PLOTLY_STYLE_HASHES[0] == f"'sha256-{empty}'"

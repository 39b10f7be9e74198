"""Errors answer as pages only where the app was given the dashboard's renderer
(http/errors.py `install_error_handlers`, handed `dashboard/errors.py` `PAGE_ERRORS` by
create_app): each app's own, never a process-wide setting another app left behind."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfspace.http.errors import install_error_handlers

BROWSER = {"accept": "text/html,application/xhtml+xml"}


def test_the_app_answers_a_browser_with_a_page_and_the_api_with_json(client: TestClient) -> None:
    page = client.get("/no-such-page", headers=BROWSER)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text
    api = client.get("/v1/no-such-thing", headers=BROWSER)
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_an_app_without_pages_answers_json_beside_one_with_them(client: TestClient) -> None:
    """`client` built the whole app (its dashboard included) in this process first."""
    bare = FastAPI()
    install_error_handlers(bare, None)
    with TestClient(bare, raise_server_exceptions=False) as plain:
        answer = plain.get("/no-such-page", headers=BROWSER)
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found", "message": "Not Found", "fields": []}}
    assert client.get("/no-such-page", headers=BROWSER).headers["content-type"].startswith("text/html")

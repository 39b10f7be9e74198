"""The catalogue's search after a feed import: the import redirects to the catalogue (or,
with rows to correct, answers in place with a search that still asks the catalogue), and
the import's own address opened again leads there too, never to a 405."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine

from tests.dashboard.pages import make_user, sign_in, token_of
from tests.support import Api

GOOD = (
    "sku,title,brand,category,price,available\n"
    "TEA-1,Green tea 20 bags,Harbor,beverages/tea,2.49,true\n"
    "TEA-2,Black tea 20 bags,Harbor,beverages/tea,2.29,true\n"
)


def _import(client: TestClient, feed: str) -> Response:
    token = token_of(client.get("/console/products").text)
    answer: Response = client.post(
        "/console/products/feed",
        data={"csrf_token": token, "on_error": "skip"},
        files={"feed": ("feed.csv", feed.encode(), "text/csv")},
        follow_redirects=False,
    )
    return answer


def _search_action(page: str) -> str:
    found = re.search(r'<form method="get" action="([^"]+)"[^>]*role="search"', page)
    assert found, "no search form with an action"
    return found.group(1)


def test_search_works_after_a_feed_import(client: TestClient, operator: Api, engine: Engine) -> None:
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    imported = _import(client, GOOD)
    assert imported.status_code == 303 and imported.headers["location"] == "/console/products"
    catalogue = client.get("/console/products").text
    assert "Imported 2 of 2 rows: 2 new, 0 updated." in catalogue
    found = client.get(_search_action(catalogue), params={"q": "green"})
    assert found.status_code == 200 and "Green tea 20 bags" in found.text and "Black tea" not in found.text

    # Rows to correct: listed in place, at the import's address; the search still asks the catalogue.
    in_place = _import(client, GOOD + "TEA-3,,Harbor,beverages/tea,2.49,true\n")
    assert in_place.status_code == 200 and "<td>4</td>" in in_place.text
    assert _search_action(in_place.text) == "/console/products"
    found = client.get(_search_action(in_place.text), params={"q": "black"})
    assert found.status_code == 200 and "Black tea 20 bags" in found.text and "Green tea" not in found.text
    reloaded = client.get("/console/products/feed", params={"q": "green"}, follow_redirects=False)
    assert reloaded.status_code == 303 and reloaded.headers["location"] == "/console/products?q=green"
    assert "Green tea 20 bags" in client.get("/console/products/feed", params={"q": "green"}).text

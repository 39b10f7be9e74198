"""Freshmart's search page, a small example shop that blends sponsored products into its results.

The shop's backend searches its own catalogue (organic results), then asks Shelfspace for
sponsored products for the same query, sending the organic SKUs so a sponsored product
is never shown twice. Sponsored tiles are labelled, link through the ad's click URL, and
count their impression with a pixel when the browser renders them.

    python examples/shop/app.py --shelfspace http://127.0.0.1:8000 --key OPERATOR_KEY --port 8100

The operator key only reads the catalogue here; a real shop searches its own database.
"""

from __future__ import annotations

import argparse
import html
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from shelfspace.client import ApiError, Shelfspace, api

PLACEMENT = "search-sponsored"
ORGANIC_RESULTS = 12


def organic(catalogue: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    words = query.lower().split()
    return [p for p in catalogue if p.get("available", True) and all(w in p["title"].lower() for w in words)][:ORGANIC_RESULTS]


def tile(product: dict[str, Any], ad: dict[str, Any] | None = None) -> str:
    name, price = html.escape(product["title"]), html.escape(str(product.get("price") or ""))
    if ad is None:
        return f'<li class="result"><a href="/p/{html.escape(product["sku"])}">{name}</a><span>{price}</span></li>'
    click, pixel = html.escape(ad["tracking"]["click"]), html.escape(ad["tracking"]["impression"])
    return (f'<li class="result sponsored" data-sku="{html.escape(product["sku"])}"><span class="label">Sponsored</span>'
            f'<a href="{click}" rel="sponsored">{name}</a><span>{price}</span>'
            f'<img src="{pixel}?img=1" width="1" height="1" alt=""></li>')


def make_app(shelfspace: Shelfspace) -> Starlette:
    catalogue = list(shelfspace.all("products", limit=200))

    def search(request: Request) -> HTMLResponse:  # sync: Starlette runs it in a thread
        query = request.query_params.get("q", "").strip()
        found = organic(catalogue, query) if query else []
        sponsored: list[dict[str, Any]] = []
        if query:
            try:
                answer = shelfspace.send(api.decide({PLACEMENT: 2}, user_id=request.cookies.get("shopper"),
                                                    consent=request.cookies.get("consent") == "1",
                                                    context={"query": query, "keywords": query.lower().split(),
                                                             "skus": [p["sku"] for p in found]}))
                sponsored = answer["decisions"].get(PLACEMENT, [])
            except Exception:  # noqa: BLE001  the shop's search works without ads
                sponsored = []
        shown = {ad["sku"] for ad in sponsored}
        rows = [tile(ad["product"], ad) for ad in sponsored if ad.get("product")]
        rows += [tile(p) for p in found if p["sku"] not in shown]
        body = "".join(rows) or "<li>No products match.</li>"
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Search · Freshmart</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:720px;margin:2rem auto;padding:0 1rem}}
.result{{display:flex;gap:1rem;justify-content:space-between;padding:.6rem;border-bottom:1px solid #ddd;list-style:none}}
.sponsored{{background:#f3faf6}} .label{{font-size:.7rem;text-transform:uppercase;color:#0b6e4f;font-weight:700}}
ul{{padding:0}}</style></head><body><h1>Freshmart</h1>
<form><input name="q" value="{html.escape(query)}" aria-label="Search"> <button>Search</button></form>
<ul id="results">{body}</ul></body></html>"""
        return HTMLResponse(page)

    return Starlette(routes=[Route("/search", search), Route("/", search)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shelfspace", required=True, help="Shelfspace's address")
    parser.add_argument("--key", required=True, help="an operator API key (reads the catalogue)")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    try:
        app = make_app(Shelfspace(args.shelfspace, args.key))
    except ApiError as error:
        raise SystemExit(f"cannot read the catalogue from {args.shelfspace}: {error}") from None
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

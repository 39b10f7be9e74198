"""`GET /docs`: interactive API documentation that works offline.

FastAPI's default page loads Swagger UI from a CDN; operators run Shelfspace on closed
networks, so the same UI is served from the installed `swagger-ui-bundle-v2` package.
The page is our own, not FastAPI's `get_swagger_ui_html`, whose inline `<script>` the
pages' Content-Security-Policy refuses: Swagger UI is started by /static/api-docs.js.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"
STARTER = "/static/api-docs.js"  # dashboard/static: starts Swagger UI on the page's OpenAPI URL


def docs_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" href="{ASSETS}/favicon-32x32.png">
<title>{escape(title)}</title>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{STARTER}"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(f"{app.title} API", app.openapi_url or "/openapi.json"))

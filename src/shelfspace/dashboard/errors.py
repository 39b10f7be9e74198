"""Errors on pages answer with pages: a redirect to sign in, or a readable error page.

The API's handlers (http/errors.py) ask `wants_page` first, so one exception hierarchy
serves both: JSON for integrators, HTML for people.
"""

from __future__ import annotations

from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from shelfspace.dashboard.csrf import CsrfRejected
from shelfspace.dashboard.session import SignInRequired, WrongRole

log = structlog.get_logger(__name__)

API_PREFIXES = ("/v1/", "/track/", "/healthz", "/metrics", "/openapi.json", "/docs")


def wants_page(request: Request) -> bool:
    """A page route, or an unknown path asked for by a browser outside the API."""
    route = request.scope.get("route")
    if route is not None:
        return bool(getattr(route, "renders_html", False))
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, status: int, message: str) -> Response:
    from shelfspace.dashboard.rendering import render

    titles = {403: "Not allowed", 404: "Not found", 409: "Conflict", 503: "Unavailable"}
    return render(request, "error.html", status_code=status, title=titles.get(status, "Something went wrong"),
                  message=message, status=status)


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)


# Plain `def`s: Starlette runs them in the thread pool, and a page reads its signed-in user
# from the database.
def _wrong_role(request: Request, exc: Exception) -> Response:
    return error_page(request, 404, "There is no such page for your account.")


def _csrf(request: Request, exc: Exception) -> Response:
    log.warning("csrf_rejected", path=request.url.path)
    return error_page(request, 403, "This form was out of date or sent from another site. Reload the page and try again; nothing was saved.")


def install_page_errors(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(WrongRole, _wrong_role)
    app.add_exception_handler(CsrfRejected, _csrf)

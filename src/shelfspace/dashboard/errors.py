"""Errors on pages answer with pages: a redirect to sign in, or a readable error page.

The API's handlers (http/errors.py) ask `wants_page` first, so one exception hierarchy
serves both: JSON for integrators, HTML for people. `http/` stands below the dashboard, so
create_app hands `PAGE_ERRORS` (this module, as `http.errors.PageErrors`) to
`install_error_handlers`.
"""

from __future__ import annotations

from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from shelfspace.dashboard.csrf import CsrfRejected
from shelfspace.dashboard.session import NotPermitted, SignInRequired, WrongRole, page_session

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
    return render(
        request,
        "error.html",
        status_code=status,
        title=titles.get(status, "Something went wrong"),
        message=message,
        status=status,
    )


async def _sign_in(request: Request, exc: Exception) -> Response:
    """To sign in; or, for a session whose password was right, to the second factor it owes."""
    assert isinstance(exc, SignInRequired)
    state = page_session(request)
    page = "/login/code" if state is not None and state.pending_user_id is not None else "/login"
    return RedirectResponse(f"{page}?next={quote(exc.next_path)}", status_code=303)


# Plain `def`s: Starlette runs them in the thread pool, and a page reads its signed-in user
# from the database.
def _wrong_role(request: Request, exc: Exception) -> Response:
    return error_page(request, 404, "There is no such page for your account.")


def _not_permitted(request: Request, exc: Exception) -> Response:
    return error_page(request, 403, str(exc))


def _csrf(request: Request, exc: Exception) -> Response:
    log.warning("csrf_rejected", path=request.url.path)
    return error_page(
        request,
        403,
        "This form was out of date or sent from another site. Reload the page and try again; nothing was saved.",
    )


class _PageErrors:
    """This module as `http/errors.py` asks for it (`PageErrors`)."""

    def wants_page(self, request: Request) -> bool:
        return wants_page(request)

    def error_page(self, request: Request, status: int, message: str) -> Response:
        return error_page(request, status, message)


PAGE_ERRORS = _PageErrors()  # holds nothing: both methods are this module's functions


def install_page_errors(app: FastAPI) -> None:
    """The page-only exceptions' handlers (the API's own errors on pages: `PAGE_ERRORS`)."""
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(WrongRole, _wrong_role)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(CsrfRejected, _csrf)

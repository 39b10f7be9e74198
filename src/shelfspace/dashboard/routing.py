"""The route class and router every dashboard page module uses."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse


class PageRoute(APIRoute):
    """A route that answers people: its errors render as pages (see dashboard/errors.py)."""

    renders_html = True


def page_router() -> APIRouter:
    """A router for pages: HTML answers, and out of the API's OpenAPI document."""
    return APIRouter(route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse)

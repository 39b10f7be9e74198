"""The route class and router every dashboard page module uses."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse

from shelfspace.dashboard.approval_gate import approval_gate


class PageRoute(APIRoute):
    """A route that answers people: its errors render as pages (see dashboard/errors.py)."""

    renders_html = True


def page_router() -> APIRouter:
    """A router for pages: HTML answers, and out of the API's OpenAPI document.

    Every page passes the approval gate first (dashboard/approval_gate.py): a person who has
    not confirmed the e-mail, or a brand not approved yet, sees where they stand instead.
    """
    return APIRouter(
        route_class=PageRoute,
        include_in_schema=False,
        default_response_class=HTMLResponse,
        dependencies=[Depends(approval_gate)],
    )

"""`GET /tag.js`: the publisher tag, our own small script, served by Shelfspace itself.

Pages include it once; it finds their slots, asks for their ads in one decision request,
renders them, and reports impressions and viewability (static/tag.js says how). Cached
for an hour: a new release reaches pages within that.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

TAG = (Path(__file__).parent / "static" / "tag.js").read_bytes()

router = APIRouter(tags=["decisions"])


@router.get(
    "/tag.js",
    summary="The publisher tag",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}},
)
def tag() -> Response:
    return Response(
        TAG,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )

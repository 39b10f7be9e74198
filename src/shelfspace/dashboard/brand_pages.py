"""(being written)"""

from __future__ import annotations

from shelfspace.dashboard.routing import page_router

router = page_router()

"""The interactive API docs render in a real browser with no request leaving the machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.servers import base_env, running_server


def test_docs_page_lists_every_operation_offline(tmp_path: Path, page_and_outside: tuple[Any, list[str]]) -> None:
    page, outside = page_and_outside
    with running_server(base_env(tmp_path)) as url:
        spec = httpx.get(f"{url}/openapi.json").json()
        operations = sum(len(item) for item in spec["paths"].values())
        page.goto(f"{url}/docs")
        page.wait_for_selector(".opblock", timeout=15_000)
        assert page.locator(".opblock").count() == operations
        assert page.locator(".info .title").first.inner_text().startswith("Shelfspace")
        page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)
    assert outside == [], f"the docs page reached outside the machine: {outside}"

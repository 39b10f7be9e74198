"""Deque's axe-core (from npm, installed by scripts/test in tests/accessibility) run inside a
page the browser tests opened: a serious or critical violation fails the test, naming the
rule, what it means and the first elements that break it.

The script goes in through Playwright's evaluate, which the pages' nonce CSP does not
govern, so the page is checked exactly as it is served.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from tests.databases import missing

AXE = Path(__file__).parent.parent / "accessibility" / "node_modules" / "axe-core" / "axe.min.js"
FAILING = frozenset({"serious", "critical"})


@cache
def _axe_source() -> str:
    if not AXE.exists():
        missing("axe-core is not installed in tests/accessibility (scripts/test installs it with npm)")
    return AXE.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations of the page as it is now, serious and critical only."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in found if v.get("impact") in FAILING]


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}) at {targets}")
    return "\n".join(lines)


def assert_accessible(page: Any) -> None:
    """No serious or critical axe violation on the page now open (its URL named if there is)."""
    found = violations(page)
    assert not found, f"accessibility violations on {page.url}:\n{describe(found)}"

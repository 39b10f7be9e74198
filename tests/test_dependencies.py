"""Everything the package imports is the standard library or a declared dependency: the
test tools install more (httpx came in through them once, and a fresh `scripts/demo`,
which installs the package alone, failed)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    """`uvicorn[standard]>=0.30` -> `uvicorn`, spelled as PyPI normalises it."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]).lower()


def imported_top_level_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "shelfspace").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - {"shelfspace", "__future__"} - set(sys.stdlib_module_names)


def guaranteed(declared: set[str]) -> set[str]:
    """The declared distributions and what they require unconditionally (Starlette comes
    with FastAPI, MarkupSafe with Jinja2): whatever installs the package installs these."""
    names = set(declared)
    for distribution in declared:
        for requirement in requires(distribution) or []:
            if "extra ==" not in requirement:
                names.add(_name(requirement))
    return names


def test_every_imported_package_is_a_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = guaranteed({_name(r) for r in project["dependencies"]})
    providers = packages_distributions()
    undeclared = {}
    for module in sorted(imported_top_level_modules()):
        distributions = {_name(d) for d in providers.get(module, [module])}
        if not distributions & declared:
            undeclared[module] = sorted(distributions)
    assert undeclared == {}, f"imported by src/shelfspace but not in [project] dependencies: {undeclared}"

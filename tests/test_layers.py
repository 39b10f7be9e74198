"""The package's layers hold: `lint-imports` checks the contracts of pyproject.toml
(`[tool.importlinter]`; the layers and why, in ARCHITECTURE.md) and fails with its report.

Imports inside functions count as much as those at the top: a cycle is fixed by moving
what both sides need, never by hiding the import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def test_imports_keep_the_layers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"an import breaks the layers:\n{done.stdout}\n{done.stderr}"
    assert "0 broken" in done.stdout, done.stdout

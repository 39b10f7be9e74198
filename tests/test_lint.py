"""The code is linted and formatted by ruff, as configured in pyproject.toml (`[tool.ruff]`):
one style for everyone, and the likely bugs bugbear knows caught before review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing_to_say() -> None:
    result = _ruff("check", "src", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted_as_ruff_formats_it() -> None:
    result = _ruff("format", "--check", "src", "tests")
    assert result.returncode == 0, f"run `.venv/bin/ruff format src tests`:\n{result.stdout}{result.stderr}"

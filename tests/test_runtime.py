"""The app's collaborators live in one typed Runtime: `app.state` holds it alone, and only
runtime.py reads `app.state` (routes take `Rt`, helpers call `runtime_of`)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from shelfspace.runtime import Runtime
from tests.support import runtime

SOURCE = Path(__file__).resolve().parent.parent / "src" / "shelfspace"


def test_only_runtime_py_mentions_app_state() -> None:
    """Also reached round about: getattr(app, "state") did it in two modules."""
    ways = re.compile(r"app\.state|getattr\([^)]*[\"']state[\"']")
    offenders = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if ways.search(path.read_text(encoding="utf-8")) and path.name != "runtime.py"
    ]
    assert offenders == []


def test_the_app_keeps_one_state_attribute(client: TestClient) -> None:
    app_state = client.app.state  # type: ignore[attr-defined]
    assert list(vars(app_state)["_state"]) == ["runtime"]
    assert isinstance(runtime(client), Runtime)


def test_the_runtime_is_frozen(client: TestClient) -> None:
    rt = runtime(client)
    try:
        rt.clock = rt.clock  # type: ignore[misc]
    except AttributeError:  # FrozenInstanceError is one
        return
    raise AssertionError("the runtime could be changed")

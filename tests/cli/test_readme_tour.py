"""The README's curl tour, run as written against the real server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.databases import missing
from tests.servers import BOOTSTRAP, base_env, running_server

README = Path(__file__).resolve().parents[2] / "README.md"


def tour_script() -> str:
    text = README.read_text()
    start = text.index("an operator key:")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block, "the README lost its curl tour"
    return block.group(1)


def test_readme_tour_builds_the_network(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        missing("curl is not installed, and the README's tour uses it")  # a skip on a laptop, a failure in CI
    script = tour_script()
    with running_server(base_env(tmp_path, SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url:
        script = script.replace("S=http://127.0.0.1:8000", f"S={url}")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env={"KEY": BOOTSTRAP, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        counts = {
            path: len(api.get(f"/v1/{path}").json()["data"])
            for path in ("placements", "products", "advertisers", "campaigns", "line-items", "creatives", "api-keys")
        }
        assert counts == {
            "placements": 2,
            "products": 1,
            "advertisers": 1,
            "campaigns": 1,
            "line-items": 1,
            "creatives": 1,
            "api-keys": 2,
        }
        assert re.search(r'"status":\s*"approved"', result.stdout), result.stdout
        # The tour's last two calls: Acme wins at the floor plus 0.01; debug tells why not in GB.
        assert re.search(r'"line_item_id":\s*"li_\w+".*"price":\s*2\.51', result.stdout, re.S), result.stdout
        assert re.search(r'"reason":\s*"country_mismatch"', result.stdout), result.stdout
        # Then one impression, one click to the landing page, one order, and the report.
        assert re.search(r"\b204\n", result.stdout) and "302 https://acme.example/tents" in result.stdout
        report = json.loads(result.stdout[result.stdout.rindex('{"rows"') :])
        [row] = report["rows"]
        assert (row["impressions"], row["clicks"], row["spend"]) == (1, 1, 0.00251)
        assert (row["conversions"], row["revenue"], row["roas"]) == (1, 199.0, round(199 / 0.00251, 6))
        assert report["disclosure"]["attribution"]["post_click_days"] == 14

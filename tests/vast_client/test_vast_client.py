"""Our VAST read by a real VAST client from npm (Dailymotion's), which plays it and fires
our tracking: it must parse with no warning, and every call it makes must count."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx

from tests.databases import missing
from tests.servers import BOOTSTRAP, base_env, running_server
from tests.waiting import wait_for, wait_for_equal

HERE = Path(__file__).parent
CTV_UA = "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/5.0 Chrome/94.0 TV Safari/537.36"


def node_client() -> list[str]:
    node = shutil.which("node")
    installed = (HERE / "node_modules" / "@dailymotion" / "vast-client").exists()
    if node is None or not installed:
        missing("Node.js and tests/vast_client/node_modules are needed (scripts/test installs them with npm)")
    return [node, str(HERE / "check.mjs")]


def _video_network(api: httpx.Client) -> None:
    api.post(
        "/v1/placements",
        json={
            "id": "ctv-preroll",
            "name": "TV pre-roll",
            "channel": "ctv",
            "format": "video",
            "sizes": ["1920x1080"],
            "floor_cpm": 20,
        },
    )
    brand = api.post("/v1/advertisers", json={"name": "Northwind Bank", "domain": "northwind.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": brand["id"],
            "name": "Card",
            "budget_total": 1000,
            "budget_daily": 100,
            "start": "2026-01-01T00:00:00Z",
        },
    ).json()
    line_item = api.post(
        "/v1/line-items", json={"campaign_id": campaign["id"], "name": "TV", "bid": 28, "placements": ["ctv-preroll"]}
    ).json()
    assert (
        api.post(
            "/v1/creatives",
            json={
                "advertiser_id": brand["id"],
                "line_item_id": line_item["id"],
                "format": "video",
                "size": "1920x1080",
                "duration_seconds": 30,
                "media_url": "https://media.northwind.example/card.mp4",
                "click_url": "https://northwind.example/card",
            },
        ).status_code
        == 201
    )


def test_a_real_vast_client_parses_our_vast_and_fires_our_tracking(tmp_path: Path) -> None:
    command = node_client()
    with running_server(base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        _video_network(api)
        vast_url = f"{url}/v1/vast?placement=ctv-preroll&user=viewer-1&consent=true&device=ctv"
        wait_for(
            lambda: b"<Ad " in httpx.get(vast_url).content,
            10,
            "the server's snapshot to take up the video",
            interval=0.1,
        )
        ran = subprocess.run([*command, vast_url, CTV_UA], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        report = json.loads(ran.stdout.strip().splitlines()[-1])
        assert report["warnings"] == [] and report["ads"] == 1 and report["version"] == "4.2"
        assert report["media"] == [
            {"url": "https://media.northwind.example/card.mp4", "type": "video/mp4", "width": 1920, "height": 1080}
        ]
        assert report["duration"] == 30
        assert {"start", "firstQuartile", "midpoint", "thirdQuartile", "complete", "clickthrough"} <= set(
            report["emitted"]
        )
        calls = {(c["name"], c["status"]) for c in report["calls"]}
        assert {
            ("impression", 204),
            ("start", 204),
            ("firstQuartile", 204),
            ("midpoint", 204),
            ("thirdQuartile", 204),
            ("complete", 204),
            ("click", 302),
            ("error", 204),
        } <= calls
        assert all(c["status"] in (204, 302) for c in report["calls"])
        today = time.strftime("%Y-%m-%d", time.gmtime())
        once = (
            "impressions",
            "clicks",
            "video_starts",
            "video_first_quartiles",
            "video_midpoints",
            "video_third_quartiles",
            "video_completes",
        )

        def counted() -> dict[str, int]:
            totals = api.get("/v1/reports", params={"from": today, "to": today}).json()["totals"]
            return {name: totals[name] for name in once}

        # The server rolls up within seconds of the events: each of them counted, and once.
        wait_for_equal(counted, dict.fromkeys(once, 1), 30, "the reports to count the client's events", interval=0.25)

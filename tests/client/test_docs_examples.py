"""The copy-paste examples of docs/, run as written against the real demo network."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.cli.test_demo_command import printed_key
from tests.servers import base_env, running_server

DOCS = Path(__file__).resolve().parents[2] / "docs"
QUICK_DEMO = ("--history-days", "0", "--live-visits-per-second", "0")


def blocks(page: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (DOCS / page).read_text(), re.DOTALL)


def test_the_documented_examples_work(tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    with running_server(
        base_env(tmp_path / "data"), command="demo", log=log, args=QUICK_DEMO, startup_seconds=120
    ) as url:
        key = printed_key(log, "operator")

        # docs/python-client.md: the Python example, as a backend would run it.
        script = tmp_path / "example.py"
        script.write_text(blocks("python-client.md", "python")[0])
        ran = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ | {"SHELFSPACE_URL": url, "SHELFSPACE_KEY": key},
        )
        assert ran.returncode == 0, ran.stderr
        assert "orders stored: 1" in ran.stdout and "404 not_found" in ran.stdout
        assert "home-hero" in ran.stdout

        # docs/apps.md: the native request gives what the page says an app draws and calls.
        # Even pacing turns away a share of requests once a campaign has spent today (the
        # examples above spent some), so a few shoppers open the app, as they would.
        ask = json.loads(blocks("apps.md", "json")[0])
        explained = []
        for n in range(1, 21):
            answer = httpx.post(
                f"{url}/v1/decisions",
                headers={"Authorization": f"Bearer {key}"},
                json=ask | {"user": {"id": f"shopper-{n}"}, "debug": True},
            ).json()
            native = answer["decisions"]["app-feed-native"]
            if native:
                break
            explained.append(answer.get("explain"))
        assert native, f"the documented app request found no native ad in the demo: {explained[:2]}"
        for ad in native:
            assert {"title", "body", "image_url", "click_url"} <= set(ad["creative"])
            assert set(ad["tracking"]) == {"impression", "viewable", "click"}

        # docs/sponsored-products.md: sponsored SKUs to blend in, never one already shown.
        search = json.loads(blocks("sponsored-products.md", "json")[0])
        ads = httpx.post(f"{url}/v1/decisions", json=search).json()["decisions"]["search-sponsored"]
        assert ads and all(ad["product"]["title"] for ad in ads)
        assert not {ad["sku"] for ad in ads} & set(search["context"]["skus"])

        # docs/measurement.md: plan, read the demo's test campaign, start a study, print the PDF.
        script.write_text(blocks("measurement.md", "python")[0])
        ran = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ | {"SHELFSPACE_URL": url, "SHELFSPACE_KEY": key},
        )
        assert ran.returncode == 0, ran.stderr
        assert "needs " in ran.stdout and "Brightbean launch held out: 50 %" in ran.stdout, ran.stdout
        assert "study live answers so far: 0" in ran.stdout and "case study PDF: True" in ran.stdout

        # docs/video-vast.md: the player's request, run with curl as written.
        played = subprocess.run(
            ["bash", "-c", blocks("video-vast.md", "sh")[0]],
            capture_output=True,
            text=True,
            timeout=30,
            env=os.environ | {"S": url},
        )
        assert played.returncode == 0, played.stderr
        assert '<VAST version="4.2"' in played.stdout and "<MediaFile" in played.stdout

"""`shelfspace demo`, the README's first command, run as a user runs it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.servers import base_env, running_server


def printed_key(log: Path, who: str) -> str:
    match = re.search(rf"^{who} key:\s+(\S+)", log.read_text(), re.MULTILINE)
    assert match, f"no {who} key in the demo's output:\n{log.read_text()}"
    return match.group(1)


def check_demo_decisions(public: httpx.Client, operator: httpx.Client) -> None:
    """The seeded network serves: milk in search brings Dairyland's milk, each SKU once;
    the operator's rules show in `explain`."""
    search = {"placements": [{"id": "search-sponsored", "count": 4}], "context": {"query": "milk"}}
    ads = public.post("/v1/decisions", json=search).json()["decisions"]["search-sponsored"]
    why = operator.post("/v1/decisions", json=search | {"debug": True}).json()["explain"]
    assert ads, why
    assert all(ad["product"]["brand"] == "Dairyland" and "milk" in ad["product"]["title"].lower()
                       for ad in ads)
    assert len(ads) == 1  # one slot per advertiser per placement
    explained = operator.post("/v1/decisions", json={
        "placements": [{"id": "recipes-preroll"}, {"id": "ctv-preroll"}], "context": {"device": "ctv"},
        "user": {"id": "viewer-1"}, "consent": {"targeting": True}, "debug": True}).json()
    reasons = {(e["placement_id"], e["reason"]) for e in explained["explain"]}
    assert ("recipes-preroll", "blocked_category") in reasons  # no streaming services on recipe videos
    assert explained["decisions"]["ctv-preroll"], "the TV pre-roll sells to the bank or the streaming service"


def test_demo_seeds_once_prints_working_keys_and_serves(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    log = tmp_path / "demo.log"
    with running_server(env, command="demo", log=log) as url:
        operator = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {printed_key(log, 'operator')}"})
        brand = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {printed_key(log, 'advertiser')}"})
        assert "seeded the demo network" in log.read_text()
        everyone = operator.get("/v1/campaigns", params={"limit": 200}).json()["data"]
        own = brand.get("/v1/campaigns", params={"limit": 200}).json()["data"]
        assert len({c["advertiser_id"] for c in everyone}) >= 10
        assert own and len({c["advertiser_id"] for c in own}) == 1 and len(own) < len(everyone)
        assert len(operator.get("/v1/creatives", params={"status": "pending"}).json()["data"]) == 2
        assert brand.get("/v1/audit-log").status_code == 403
        check_demo_decisions(httpx.Client(base_url=url), operator)

    # A second start serves the same network and does not seed it twice.
    with running_server(env, command="demo", log=log) as url:
        operator = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {printed_key(log, 'operator')}"})
        assert "already" in log.read_text()
        assert len(operator.get("/v1/campaigns", params={"limit": 200}).json()["data"]) == len(everyone)

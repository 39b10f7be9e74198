"""The real server, started as a user starts it: `shelfspace serve` on an empty database.

These tests run the command in a subprocess, wait for /healthz, and drive the API over
real HTTP, the way the README's curl walk-through does.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres
from tests.servers import BOOTSTRAP, base_env, running_server, shelfspace


def walk_through(url: str) -> None:
    """The README's tour: placement, advertiser, campaign, line item, creative."""
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"}, timeout=10)
    assert (
        api.post(
            "/v1/placements",
            json={
                "id": "home-hero",
                "name": "Home hero",
                "channel": "web",
                "format": "banner",
                "sizes": ["300x250"],
                "floor_cpm": 2.5,
            },
        ).status_code
        == 201
    )
    advertiser = api.post("/v1/advertisers", json={"name": "Acme", "domain": "acme.example"}).json()
    campaign = api.post(
        "/v1/campaigns",
        json={
            "advertiser_id": advertiser["id"],
            "name": "Launch",
            "start": "2026-12-01T00:00:00Z",
            "end": "2026-12-31T00:00:00Z",
            "budget_total": 500,
            "budget_daily": 25,
        },
    ).json()
    line_item = api.post(
        "/v1/line-items", json={"campaign_id": campaign["id"], "name": "Hero", "bid": 3, "placements": ["home-hero"]}
    ).json()
    creative = api.post(
        "/v1/creatives",
        json={
            "advertiser_id": advertiser["id"],
            "line_item_id": line_item["id"],
            "format": "banner",
            "size": "300x250",
            "image_url": "https://acme.example/a.png",
            "click_url": "https://acme.example/",
        },
    )
    assert creative.status_code == 201 and creative.json()["status"] == "approved"
    assert api.get("/openapi.json").status_code == 200
    assert "shelfspace_http_requests_total" in api.get("/metrics").text


def test_serve_migrates_an_empty_sqlite_database_by_itself(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    with running_server(env) as url:
        walk_through(url)
    assert (tmp_path / "data" / "shelfspace.db").exists()
    # The data survives a restart.
    with running_server(env) as url:
        listed = httpx.get(f"{url}/v1/placements", headers={"Authorization": f"Bearer {BOOTSTRAP}"}).json()
        assert [p["id"] for p in listed["data"]] == ["home-hero"]


@pytest.mark.postgres
def test_serve_migrates_an_empty_postgres_database_by_itself(tmp_path: Path) -> None:
    with fresh_postgres() as database_url:
        env = base_env(tmp_path, SHELFSPACE_DATABASE_URL=database_url, SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
        with running_server(env) as url:
            walk_through(url)


def test_a_bad_setting_stops_the_start_naming_it(tmp_path: Path) -> None:
    result = shelfspace("serve", env=base_env(tmp_path, SHELFSPACE_PORT="eighty"))
    assert result.returncode == 2
    assert "SHELFSPACE_PORT" in result.stderr


def test_keys_create_prints_a_working_key(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    created = shelfspace("keys", "create", "--role", "operator", "--name", "ops", env=env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("ssk_")
    refused = shelfspace("keys", "create", "--role", "advertiser", "--advertiser", "adv_none", env=env)
    assert refused.returncode == 2 and "advertiser_id" in refused.stderr
    with running_server(env) as url:
        assert httpx.get(f"{url}/v1/api-keys", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_users_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    made = shelfspace(
        "users", "create", "--email", "ops@shop.example", "--password-stdin", env=env, input="a long enough password\n"
    )
    assert made.returncode == 0, made.stderr
    assert "ops@shop.example" in made.stderr

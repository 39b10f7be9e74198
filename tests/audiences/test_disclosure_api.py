"""Audience sizes through the API as a brand sees them (audiences/disclosure.py): noisy and
rounded, the same answer to the same question, at most so many questions a day (counted
in the database, so a second process refuses too), and exact for the operator.

Each test runs on SQLite and on PostgreSQL (the `engine` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.app import create_app
from shelfspace.config import Settings
from tests.conftest import new_key
from tests.databases import empty_all_tables
from tests.support import Api
from tests.waiting import wait_for

MIN_SIZE = 5
QUESTIONS = 4
BUYERS, BOTH = 30, 3
A: dict[str, Any] = {"event": "purchase", "sku": "TENT-2P", "within_days": 30}
B: dict[str, Any] = {"event": "purchase", "sku": "STOVE-1", "within_days": 2}
A_NOT_B: dict[str, Any] = {"all": [A, {"not": B}]}


def _settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        public_url="http://shelfspace.test",
        audience_min_size=MIN_SIZE,
        audience_size_questions_per_day=QUESTIONS,
    )


@pytest.fixture
def client(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(
        create_app(_settings(tmp_path_factory.mktemp("data")), engine), raise_server_exceptions=False
    ) as test_client:
        yield test_client
    empty_all_tables(engine)


def _buyers(operator: Api) -> None:
    now = datetime.now(UTC).isoformat()
    orders = [
        {"id": f"o-{n}", "user_id": f"u-{n}", "time": now, "items": [{"sku": "TENT-2P", "quantity": 1, "price": 199}]}
        for n in range(BUYERS)
    ]
    orders += [
        {"id": f"r-{n}", "user_id": f"u-{n}", "time": now, "items": [{"sku": "STOVE-1", "quantity": 1, "price": 49.9}]}
        for n in range(BOTH)
    ]
    operator.post("/v1/events/conversions", {"events": orders}, status=202)
    wait_for(
        lambda: operator.post("/v1/audiences/preview", {"rule": A}, status=200)["size"] == BUYERS,
        10,
        "the buyers counted",
    )


def _preview(api: Api, rule: dict[str, Any], status: int = 200) -> Any:
    return api.post("/v1/audiences/preview", {"rule": rule}, status=status)


def test_a_brand_sees_noisy_stable_sizes_and_the_operator_exact_ones(operator: Api, advertiser_api: Api) -> None:
    _buyers(operator)
    assert _preview(operator, A_NOT_B)["size"] == BUYERS - BOTH  # the operator: exact, unbounded
    assert _preview(operator, {"all": [A, B]})["size"] is None  # 3 < 5: hidden from everyone
    a, a_not_b = _preview(advertiser_api, A), _preview(advertiser_api, A_NOT_B)
    assert a["targetable"] and a_not_b["targetable"]
    for shown, true in ((a["size"], BUYERS), (a_not_b["size"], BUYERS - BOTH)):
        assert shown >= MIN_SIZE and abs(shown - true) <= MIN_SIZE + 1  # noise of at most the minimum, rounded
    # The difference the audit took is only known within four minimums: 3 buyers of both
    # fit it as well as none, or ten.
    difference = a["size"] - a_not_b["size"]
    assert difference - 2 * MIN_SIZE - 2 <= BOTH <= difference + 2 * MIN_SIZE + 2
    assert _preview(advertiser_api, A) == a  # asked again: the same answer, nothing to average
    assert _preview(advertiser_api, {"within_days": 30, "sku": "TENT-2P", "event": "purchase"}) == a


def test_a_brand_has_so_many_size_questions_a_day_in_every_process(
    operator: Api, advertiser_api: Api, engine: Engine, tmp_path: Path
) -> None:
    saved = advertiser_api.post("/v1/audiences", {"name": "Tent buyers", "rule": A})  # a new rule: question 1
    for _ in range(QUESTIONS - 1):
        _preview(advertiser_api, A)
    spent = _preview(advertiser_api, A, status=429)
    assert spent["error"]["code"] == "too_many_requests"
    assert f"{QUESTIONS} audience sizes today" in spent["error"]["message"]
    refused = advertiser_api.call("POST", "/v1/audiences", {"name": "Again", "rule": A_NOT_B})
    assert refused.status_code == 429
    assert advertiser_api.call("PATCH", f"/v1/audiences/{saved['id']}", {"rule": A_NOT_B}).status_code == 429
    advertiser_api.patch(f"/v1/audiences/{saved['id']}", {"name": "Renamed"})  # no new size: allowed
    advertiser_api.get(f"/v1/audiences/{saved['id']}")  # saved audiences keep showing their sizes
    assert len(advertiser_api.get("/v1/audiences")["data"]) == 1
    # Another process (another app on the same database) counts the same questions.
    with TestClient(create_app(_settings(tmp_path / "second"), engine), raise_server_exceptions=False) as second:
        again = Api(second, advertiser_api.key)
        assert again.call("POST", "/v1/audiences/preview", {"rule": A}).status_code == 429
        assert Api(second, operator.key).call("POST", "/v1/audiences/preview", {"rule": A}).status_code == 200
    # Another brand has its own questions.
    other = operator.post("/v1/advertisers", {"name": "Rival", "domain": "rival.example"})
    rival = Api(operator.client, new_key(engine, Role.ADVERTISER, other["id"]))
    assert _preview(rival, A)["min_size"] == MIN_SIZE

"""GET /v1/notifications and POST /v1/notifications/{id}/read: a brand's key lists and reads
its own notices only, newest first, a page at a time; the operator's every brand's."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.db.session import session_scope
from shelfspace.notifications import service
from shelfspace.notifications.kinds import NoticeKind
from shelfspace.notifications.service import NewNotice
from tests.conftest import new_key
from tests.notifications.helpers import brand, now
from tests.support import Api, runtime


def _tell(client: TestClient, advertiser: str, count: int, kind: NoticeKind = NoticeKind.BUDGET_LOW) -> list[str]:
    made = []
    with session_scope(runtime(client).db_sessions) as db:
        for n in range(count):
            notice_id = service.emit(
                db,
                NewNotice(
                    advertiser,
                    kind,
                    "campaign",
                    f"cmp_{advertiser[-6:]}",
                    f"day:{n}",
                    f"Notice {n}",
                    "Words.",
                    "/brand",
                ),
                now(),
            )
            assert notice_id is not None
            made.append(notice_id)
    return made


def test_a_brand_lists_its_own_notices_newest_first_a_page_at_a_time(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    a, b = brand(operator, engine, "Harbor Tea"), brand(operator, engine, "Bolt Coffee")
    mine = _tell(client, a, 5)
    _tell(client, a, 1, NoticeKind.CAMPAIGN_ENDED)
    theirs = _tell(client, b, 2)
    key = Api(client, new_key(engine, Role.ADVERTISER, a))
    first = key.get("/v1/notifications", params={"limit": 4, "advertiser_id": b})  # the filter cannot reach B's
    assert first["has_more"] is True and len(first["data"]) == 4
    assert all(n["advertiser_id"] == a for n in first["data"])
    rest = key.get("/v1/notifications", params={"limit": 4, "cursor": first["next_cursor"]})
    assert rest["has_more"] is False and rest["next_cursor"] is None
    listed = [n["id"] for n in first["data"] + rest["data"]]
    assert listed == sorted(listed, reverse=True) and set(mine) < set(listed) and not set(theirs) & set(listed)
    assert [n["kind"] for n in key.get("/v1/notifications", params={"kind": "campaign_ended"})["data"]] == [
        "campaign_ended"
    ]
    assert datetime.fromisoformat(first["data"][0]["created_at"]).tzinfo is not None

    read = key.post(f"/v1/notifications/{mine[0]}/read", None, status=200)
    assert read["id"] == mine[0] and read["read_at"] is not None
    again = key.post(f"/v1/notifications/{mine[0]}/read", None, status=200)
    assert again["read_at"] == read["read_at"]  # the first reading is kept
    unread = key.get("/v1/notifications", params={"unread": "true", "limit": 50})["data"]
    assert mine[0] not in [n["id"] for n in unread] and len(unread) == 5
    assert [n["id"] for n in key.get("/v1/notifications", params={"unread": "false"})["data"]] == [mine[0]]


def test_another_brands_notice_reads_as_not_found_and_stays_unread(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    a, b = brand(operator, engine, "Harbor Tea"), brand(operator, engine, "Bolt Coffee")
    [theirs] = _tell(client, b, 1)
    key = Api(client, new_key(engine, Role.ADVERTISER, a))
    answer = key.call("POST", f"/v1/notifications/{theirs}/read")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert operator.get("/v1/notifications", params={"advertiser_id": b})["data"][0]["read_at"] is None
    assert key.call("POST", "/v1/notifications/ntc_nothing/read").status_code == 404


def test_the_operator_lists_every_brand_or_one(client: TestClient, operator: Api, engine: Engine) -> None:
    a, b = brand(operator, engine, "Harbor Tea"), brand(operator, engine, "Bolt Coffee")
    _tell(client, a, 2)
    _tell(client, b, 3)
    assert len(operator.get("/v1/notifications")["data"]) == 5
    assert {n["advertiser_id"] for n in operator.get("/v1/notifications", params={"advertiser_id": b})["data"]} == {b}
    [one] = operator.get("/v1/notifications", params={"advertiser_id": a, "limit": 1})["data"]
    assert operator.post(f"/v1/notifications/{one['id']}/read", None, status=200)["read_at"] is not None
    refused = operator.call("GET", "/v1/notifications", params={"cursor": "cmp_123"})
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "cursor"

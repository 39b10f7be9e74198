"""Conversions and behaviour events: each event judged on its own, stored once by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support import Api, runtime

NOW = datetime.now(UTC).replace(microsecond=0)


def order(id: str, **overrides: object) -> dict[str, object]:
    return {
        "id": id,
        "user_id": "u-123",
        "time": (NOW - timedelta(hours=1)).isoformat(),
        "items": [{"sku": "TENT-2P", "quantity": 2, "price": 19.90}],
    } | overrides


def stored(api: Api, kind: str) -> list[dict[str, object]]:
    return [e.data or {} for _, e in runtime(api.client).event_log.read() if str(e.type) == kind]


def test_a_batch_keeps_its_good_events_and_names_each_bad_one(operator: Api) -> None:
    batch = [
        order("order-1"),
        order("order-2", items=[]),
        order("order-3", time="2026-11-22T10:00:00"),  # no offset
        order("order-4", time=(NOW + timedelta(days=2)).isoformat()),
        {"user_id": "u-1", "time": NOW.isoformat(), "items": [{"sku": "A", "quantity": 1, "price": 1}]},
        order("order-6", items=[{"sku": "TENT-2P", "quantity": 0, "price": -1}]),
        "not an event",
        order("order-8", coupon="X"),
        order("order-9"),
    ]
    answer = operator.post("/v1/events/conversions", {"events": batch}, status=202)
    assert answer["accepted"] == 2 and answer["duplicates"] == 0
    rejected = {r["index"]: r for r in answer["rejected"]}
    assert set(rejected) == {1, 2, 3, 4, 5, 6, 7}
    assert rejected[1]["id"] == "order-2" and rejected[1]["reason"].startswith("items")
    assert "time" in rejected[2]["reason"] and "future" in rejected[3]["reason"]
    assert rejected[4]["id"] is None and "id" in rejected[4]["reason"]
    assert "items.0.quantity" in rejected[5]["reason"] and "items.0.price" in rejected[5]["reason"]
    assert "coupon" in rejected[7]["reason"]
    [first, second] = stored(operator, "conversion")
    assert first == {"id": "order-1", "items": [{"sku": "TENT-2P", "quantity": 2, "price_micros": 19_900_000}]}
    assert second["id"] == "order-9"


def test_an_order_sent_again_is_stored_once(operator: Api) -> None:
    operator.post("/v1/events/conversions", {"events": [order("order-1")]}, status=202)
    again = operator.post("/v1/events/conversions", {"events": [order("order-1"), order("order-2")]}, status=202)
    assert again == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert [e["id"] for e in stored(operator, "conversion")] == ["order-1", "order-2"]


def test_behaviour_events(operator: Api) -> None:
    events = [
        {"id": "b1", "user_id": "u-1", "time": NOW.isoformat(), "type": "search", "query": "tent"},
        {
            "id": "b2",
            "user_id": "u-1",
            "time": NOW.isoformat(),
            "type": "view",
            "sku": "TENT-2P",
            "category": "Outdoor/Camping",
        },
        {"id": "b3", "user_id": "u-1", "time": NOW.isoformat(), "type": "teleport"},
    ]
    answer = operator.post("/v1/events/behaviour", {"events": events}, status=202)
    assert answer["accepted"] == 2 and [r["index"] for r in answer["rejected"]] == [2]
    assert stored(operator, "behaviour")[1] == {
        "id": "b2",
        "type": "view",
        "sku": "TENT-2P",
        "category": "outdoor/camping",
    }


def test_only_operators_send_events(operator: Api, advertiser_api: Api) -> None:
    advertiser_api.post("/v1/events/conversions", {"events": [order("o")]}, status=403)
    Api(operator.client, None).post("/v1/events/behaviour", {"events": []}, status=401)
    operator.post("/v1/events/conversions", {"orders": []}, status=422)

"""The review queue reviews several creatives at once: all of them or none, each audited and
its brand told, and a mistake beside the field that caused it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.dashboard.pages import make_user, post_form, sign_in
from tests.support import Api, build_network


def _pending(advertiser_api: Api, line_item_id: str, n: int) -> list[str]:
    return [
        advertiser_api.post(
            "/v1/creatives",
            {
                "format": "banner",
                "size": "300x250",
                "line_item_id": line_item_id,
                "image_url": f"https://acme.example/ad-{i}.png",
                "click_url": "https://acme.example/",
            },
        )["id"]
        for i in range(n)
    ]


def test_ticked_creatives_are_approved_or_rejected_together(
    client: TestClient, operator: Api, engine: Engine, advertiser_api: Api
) -> None:
    network = build_network(operator, advertiser_api.advertiser_id)  # type: ignore[arg-type]
    first, second, third = _pending(advertiser_api, network["line_item"]["id"], 3)
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    queue = client.get("/console/review").text
    assert 'form="bulk-review"' in queue and "Approve ticked" in queue

    nothing = post_form(client, "/console/review", "/console/review/creatives", {"verdict": "approve"})
    assert nothing.status_code == 400 and "Tick the creatives to review first." in nothing.text

    # Rejecting without a reason refuses all of them, the reason's field named and focused, the ticks kept.
    refused = post_form(
        client, "/console/review", "/console/review/creatives", {"verdict": "reject", "ids": [first, second]}
    )
    assert refused.status_code == 400 and "say why" in refused.text
    assert 'aria-invalid="true" autofocus' in refused.text
    assert f'value="{first}" form="bulk-review" checked' in refused.text
    assert [operator.get(f"/v1/creatives/{c}")["status"] for c in (first, second)] == ["pending", "pending"]

    rejected = post_form(
        client,
        "/console/review",
        "/console/review/creatives",
        {"verdict": "reject", "ids": [first, second], "reason": "The price must be on the banner"},
    )
    assert rejected.status_code == 303
    for creative_id in (first, second):
        creative = operator.get(f"/v1/creatives/{creative_id}")
        assert (creative["status"], creative["review_note"]) == ("rejected", "The price must be on the banner")
        actions = [e["action"] for e in operator.get(f"/v1/audit-log?object_id={creative_id}")["data"]]
        assert actions == ["create", "review"]
    told = advertiser_api.get("/v1/notifications?kind=creative_rejected")["data"]
    assert {n["subject_id"] for n in told} >= {first, second}
    assert "2 creatives rejected" in client.get("/console/review").text

    approved = post_form(client, "/console/review", "/console/review/creatives", {"verdict": "approve", "ids": [third]})
    assert approved.status_code == 303 and operator.get(f"/v1/creatives/{third}")["status"] == "approved"


def test_one_creative_that_cannot_be_reviewed_leaves_all_of_them_pending(
    client: TestClient, operator: Api, engine: Engine, advertiser_api: Api
) -> None:
    network = build_network(operator, advertiser_api.advertiser_id)  # type: ignore[arg-type]
    (pending,) = _pending(advertiser_api, network["line_item"]["id"], 1)
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    answer = post_form(
        client, "/console/review", "/console/review/creatives", {"verdict": "approve", "ids": [pending, "crv_missing"]}
    )
    assert answer.status_code == 400 and "crv_missing" in answer.text
    assert operator.get(f"/v1/creatives/{pending}")["status"] == "pending"


def test_suspending_a_brand_asks_first(client: TestClient, operator: Api, engine: Engine) -> None:
    operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    page = client.get("/console/advertisers").text
    assert 'data-confirm="Suspend Acme Outdoor? Every one of its ads stops at once' in page

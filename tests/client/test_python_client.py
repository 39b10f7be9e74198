"""`shelfspace.client`: the same calls through the sync and the async client."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient

from shelfspace.client import ApiError, AsyncShelfspace, Shelfspace, api
from tests.support import BANNER, HERO_ASK, Api, banner_creative, campaign_body, line_item_body, live_dates, runtime
from tests.waiting import snapshot_current

BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
)


def test_the_sync_client_runs_a_campaign_from_catalogue_to_report(client: TestClient, operator: Api) -> None:
    sdk = Shelfspace("http://testserver", operator.key, http=client)
    sdk.send(api.create("placements", BANNER))
    brand = sdk.send(api.create("advertisers", {"name": "Acme Outdoor", "domain": "acme.example"}))
    campaign = sdk.send(api.create("campaigns", campaign_body(brand["id"], **live_dates())))
    line_item = sdk.send(api.create("line-items", line_item_body(campaign["id"])))
    sdk.send(api.create("creatives", banner_creative(brand["id"], line_item["id"])))
    assert [p["id"] for p in sdk.all("placements")] == ["home-hero"]

    with pytest.raises(ApiError) as refused:
        sdk.send(api.create("placements", BANNER | {"id": "Not A Slug"}))
    assert refused.value.status == 422 and "id" in refused.value.fields

    snapshot_current(client)  # the new line item in it now, not at the refresher's next poll
    ads = sdk.send(api.decide(["home-hero"], user_id="u-1", consent=True, context=HERO_ASK["context"]))["decisions"][
        "home-hero"
    ]
    assert ads
    assert sdk.track(ads[0]["tracking"]["impression"], user_agent=BROWSER_UA) == 204
    assert sdk.track(ads[0]["tracking"]["click"], user_agent=BROWSER_UA) == 302
    accepted = sdk.send(
        api.conversions(
            [
                {
                    "id": "order-1",
                    "user_id": "u-1",
                    "time": "2026-01-01T00:00:00Z",
                    "items": [{"sku": "TENT-2P", "quantity": 1, "price": "199"}],
                }
            ]
        )
    )
    assert accepted["accepted"] == 1
    runtime(client).rollups.run()  # the events were on disk before their answers
    today = date.today()
    totals = sdk.send(api.report(today, today))["totals"]
    assert (totals["impressions"], totals["clicks"]) == (1, 1)
    assert "impressions" in sdk.send(api.report(today, today, csv=True))


def test_the_async_client_sends_the_same_calls(client: TestClient, operator: Api) -> None:
    async def run() -> tuple[list[str], int]:
        transport = httpx.ASGITransport(app=client.app)
        async with AsyncShelfspace(
            "http://testserver", operator.key, http=httpx.AsyncClient(transport=transport, base_url="http://testserver")
        ) as sdk:
            await sdk.send(api.create("placements", BANNER))
            ids = [p["id"] async for p in sdk.all("placements")]
            try:
                await sdk.send(api.get("placements", "nowhere"))
            except ApiError as error:
                return ids, error.status
            return ids, 200

    ids, status = asyncio.run(run())
    assert ids == ["home-hero"] and status == 404

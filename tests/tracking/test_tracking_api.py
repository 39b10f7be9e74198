"""Tracking through the app: signed URLs from real decisions, each event counted once,
invalid traffic recorded with its reason and counted nowhere, spend charged once."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from shelfspace.events.model import EventType
from shelfspace.tracking.signing import Signer
from tests.support import HERO_ASK, Api, build_network, decide, decide_until, runtime
from tests.waiting import snapshot_current

BROWSER = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
}
GOOGLEBOT = {"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}


def served(operator: Api, users: int) -> list[dict[str, Any]]:
    """One ad for each of `users` distinct users on the tour network (3.00 CPM, floor 2.50)."""
    decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)
    ads = []
    for n in range(users):
        [ad] = decide(Api(operator.client, None), HERO_ASK | {"user": {"id": f"u-{n}"}})["decisions"]["home-hero"]
        ads.append(ad)
    return ads


def hit(client: TestClient, url: str, headers: dict[str, str] | None = None) -> Any:
    parts = urlsplit(url)
    return client.get(
        parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or BROWSER, follow_redirects=False
    )


def tally(client: TestClient) -> Counter[tuple[str, str | None]]:
    """What the event log holds: (type, invalid reason) -> events."""
    return Counter((str(e.type), e.invalid and str(e.invalid)) for _, e in runtime(client).event_log.read())


def refused(client: TestClient, operator: Api) -> dict[tuple[str, str], float]:
    """`shelfspace_tracking_refused_total` as /metrics shows it: (type, reason) -> count."""
    text = client.get("/metrics", headers=operator.headers).text
    found = re.findall(r'^shelfspace_tracking_refused_total\{reason="(\w+)",type="(\w+)"\} (\S+)$', text, re.M)
    return {(kind, reason): float(count) for reason, kind, count in found}


def spent(client: TestClient, campaign_id: str) -> int:
    day = runtime(client).clock.now().astimezone(runtime(client).snapshots.timezone).date().isoformat()
    return int(runtime(client).counters.budget_use(campaign_id, day).spent_total)


def test_each_impression_counts_once_and_charges_once(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    ads = served(operator, 5)
    assert all(set(ad["tracking"]) == {"impression", "viewable", "click"} for ad in ads)
    for ad in ads:
        for _ in range(3):  # sent three times: a retry, a double render
            assert hit(client, ad["tracking"]["impression"]).status_code == 204
    gif = hit(client, ads[0]["tracking"]["impression"] + "?img=1")
    assert gif.status_code == 200 and gif.headers["content-type"] == "image/gif" and gif.content[:6] == b"GIF89a"
    assert tally(client) == {("impression", None): 5}
    # 2.51 CPM (floor 2.50 + 0.01): 0.00251 an impression, charged once each.
    assert spent(client, network["campaign"]["id"]) == 5 * 2510
    assert (
        'shelfspace_events_duplicate_total{type="impression"} 11.0'
        in client.get("/metrics", headers=operator.headers).text
    )


def test_clicks_go_to_the_landing_page_only_and_need_an_impression(operator: Api, advertiser_api: Api) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    first, second = served(operator, 2)
    early = hit(client, second["tracking"]["click"])  # no impression yet
    assert early.status_code == 302 and early.headers["location"] == "https://acme.example/tents"
    hit(client, first["tracking"]["impression"])
    for _ in range(2):
        answer = hit(client, first["tracking"]["click"])
        assert answer.status_code == 302 and answer.headers["location"] == "https://acme.example/tents"
    # The second click of `first` is kept as a repeat (counted once): the rollup judges it
    # again should it refuse the first (tracking/counting.py, CLICKS_KEPT_PER_AD).
    assert tally(client) == {
        ("impression", None): 1,
        ("click", None): 1,
        ("click", "repeat_click"): 1,
        ("click", "click_without_impression"): 1,
    }


def test_forged_altered_and_swapped_urls_count_nothing(operator: Api, advertiser_api: Api) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    [ad] = served(operator, 1)
    impression, click = ad["tracking"]["impression"], ad["tracking"]["click"]
    key_id, payload, mac = impression.rsplit("/", 1)[1].split(".")
    tampered = impression.rsplit("/", 1)[0] + f"/{key_id}.{payload[:-2]}AA.{mac}"
    assert hit(client, tampered).status_code == 204  # a pixel answers alike, and counts nothing
    assert hit(client, impression.replace("/impression/", "/viewable/")).status_code == 204  # wrong kind
    bad_click = hit(client, click.replace("/click/", "/click/x"))
    assert bad_click.status_code == 422 and "location" not in bad_click.headers
    swapped = hit(client, impression.replace("/impression/", "/click/"))  # an impression token is no click
    assert swapped.status_code == 422 and "location" not in swapped.headers
    # Refused tokens speak of no ad: counted by reason in the metric, never stored.
    assert tally(client) == {}
    assert refused(client, operator) == {
        ("impression", "bad_signature"): 1,
        ("viewable", "bad_signature"): 1,
        ("click", "bad_signature"): 2,
    }


def test_bots_prefetches_and_expired_urls_are_recorded_not_counted(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    first, second, third = served(operator, 3)
    hit(client, first["tracking"]["impression"], GOOGLEBOT)
    hit(client, first["tracking"]["impression"], BROWSER | {"Sec-Purpose": "prefetch;prerender"})
    hit(client, first["tracking"]["impression"])  # the person, after the bot: still counts
    hit(client, second["tracking"]["impression"], BROWSER | {"X-Moz": "prefetch"})
    signer: Signer = runtime(client).keys.signer
    token = third["tracking"]["impression"].rsplit("/", 1)[1]
    facts = signer.open(EventType.IMPRESSION, token, 0).facts
    stale = signer.sign(EventType.IMPRESSION, facts, expires_at=facts.served_at - 1)
    assert hit(client, f"/track/impression/{stale}").status_code == 204
    assert tally(client) == {("impression", "bot"): 1, ("impression", "prefetch"): 2, ("impression", None): 1}
    assert refused(client, operator) == {("impression", "expired"): 1}
    assert spent(client, network["campaign"]["id"]) == 2510  # only the person's impression


def test_a_cpc_ad_is_charged_at_its_click(operator: Api, advertiser_api: Api) -> None:
    network = build_network(operator, advertiser_api.advertiser_id or "")
    # 2.00 a click at the banner prior CTR of 0.2%: an eCPM of 4.00, above the 2.50 floor.
    operator.patch(f"/v1/line-items/{network['line_item']['id']}", {"pricing": "cpc", "bid": 2.00})
    client = operator.client
    snapshot_current(client)  # the line item per click in it
    [ad] = decide(Api(client, None), HERO_ASK | {"user": {"id": "cpc-1"}})["decisions"]["home-hero"]
    assert ad["pricing"] == "cpc"
    hit(client, ad["tracking"]["impression"])
    assert spent(client, network["campaign"]["id"]) == 0  # per click: an impression costs nothing
    hit(client, ad["tracking"]["click"])
    hit(client, ad["tracking"]["click"])
    assert spent(client, network["campaign"]["id"]) == round(ad["price"] * 1_000_000)

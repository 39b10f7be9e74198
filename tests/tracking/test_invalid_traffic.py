"""Invalid traffic the audit found counted (issue 19, items 8 and 9): user agents no
person's software sends, forged tokens that each wrote a row, viewable beacons with no
impression; and the rules' windows, which must forget what has left them."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import crawleruseragents
import pytest
from fake_useragent.utils import load as browser_agents
from fastapi.testclient import TestClient

from shelfspace.counters.memory import MemoryCounters
from shelfspace.decisioning.ctr import PLACEMENT_WIDE, SmoothedCtr
from shelfspace.decisioning.inventory import LiveCampaign, Pacing
from shelfspace.events.memory_log import MemoryEventLog
from shelfspace.events.model import AdFacts, Event, EventType, InvalidReason, ad_event_key
from shelfspace.tracking import ivt
from shelfspace.tracking.counting import DEVICE, SOURCE, VIDEO_GRACE_SECONDS, FloodRule, Judge, follows_impression
from shelfspace.tracking.recorder import Recorder
from tests.support import BROWSER_UA, HERO_ASK, Api, build_network, decide, decide_until, runtime

START = datetime(2026, 11, 30, tzinfo=UTC)
AUDIT_AGENTS = {
    "": InvalidReason.NO_USER_AGENT,
    "Java/17": InvalidReason.NOT_A_BROWSER,
    "Googlebot": InvalidReason.NOT_A_BROWSER,
    "x": InvalidReason.NOT_A_BROWSER,
}
APP_AGENTS = [
    "ShopApp/5.2 (iPhone; iOS 17.1; Scale/3.00)",
    "Dalvik/2.1.0 (Linux; U; Android 13; Pixel 7 Build/TQ3A)",
    "Roku/DVP-12.5 (12.5.0.4178)",
    "AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X; en_us)",
]


def test_every_browser_and_app_agent_passes_and_every_crawler_and_script_does_not() -> None:
    browsers = [entry["useragent"] for entry in browser_agents()]
    assert len(browsers) > 1_000
    assert [ua for ua in browsers + APP_AGENTS if ivt.agent_reason(ua) is not None] == []
    crawlers = [ua for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA for ua in entry["instances"]]
    assert len(crawlers) > 1_000
    assert [ua for ua in crawlers if ivt.agent_reason(ua) is None] == []
    for agent, reason in AUDIT_AGENTS.items():
        assert ivt.agent_reason(agent) is reason, agent
    for script in (
        "curl/8.4.0",
        "python-requests/2.31.0",
        "Apache-HttpClient/4.5.13 (Java/17.0.1)",
        "okhttp/4.12.0",
        "Go-http-client/1.1",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "testclient",
        "Mozilla/5.0",
        "x" * 2_000 + " (Windows)",
    ):
        assert ivt.agent_reason(script) is not None, script


def served(operator: Api, users: int) -> list[dict[str, Any]]:
    decide_until(operator, HERO_ASK | {"user": {"id": "warm-up"}}, "home-hero", 1)
    return [
        decide(Api(operator.client, None), HERO_ASK | {"user": {"id": f"u-{n}"}})["decisions"]["home-hero"][0]
        for n in range(users)
    ]


def get(client: TestClient, url: str, user_agent: str = BROWSER_UA) -> int:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return int(client.get(path, headers={"User-Agent": user_agent}, follow_redirects=False).status_code)


def logged(client: TestClient) -> Counter[tuple[str, str | None]]:
    return Counter((str(e.type), e.invalid and str(e.invalid)) for _, e in runtime(client).event_log.read())


def report_totals(operator: Api) -> dict[str, Any]:
    runtime(operator.client).rollups.run()
    day = (
        runtime(operator.client).clock.now().astimezone(runtime(operator.client).snapshots.timezone).date().isoformat()
    )
    return operator.get(f"/v1/reports?from={day}&to={day}")  # type: ignore[no-any-return]


def test_the_audits_user_agents_are_recorded_with_their_reason_and_counted_nowhere(
    operator: Api, advertiser_api: Api
) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    ads = served(operator, len(AUDIT_AGENTS) + 1)
    for ad, agent in zip(ads, AUDIT_AGENTS, strict=False):
        assert get(client, ad["tracking"]["impression"], agent) == 204  # answered alike: a script learns nothing
    assert get(client, ads[-1]["tracking"]["impression"]) == 204  # a browser's
    assert logged(client) == {
        ("impression", None): 1,
        ("impression", "no_user_agent"): 1,
        ("impression", "not_a_browser"): 3,
    }
    body = report_totals(operator)
    assert body["totals"]["impressions"] == 1
    assert body["disclosure"]["invalid_traffic"]["impressions"]["invalid"] == 4


def test_forged_tokens_are_counted_by_reason_and_never_stored(operator: Api, advertiser_api: Api) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    [ad] = served(operator, 1)
    before = sum(logged(client).values())
    key_id, payload, mac = ad["tracking"]["impression"].rsplit("/", 1)[1].split(".")
    for n in range(300):  # each distinct: a row each would grow the log without end
        assert get(client, f"/track/impression/{key_id}.{payload[:-4]}{n:04d}.{mac}") == 204
        assert get(client, f"/track/viewable/garbage-{n}") == 204
    assert get(client, ad["tracking"]["impression"].replace("/impression/", "/viewable/")) == 204  # another kind
    assert sum(logged(client).values()) == before
    metrics = client.get("/metrics", headers=operator.headers).text
    counts = {
        kind: float(count)
        for kind, count in re.findall(
            r'^shelfspace_tracking_refused_total\{reason="bad_signature",type="(\w+)"\} (\S+)$', metrics, re.M
        )
    }
    assert counts == {"impression": 300.0, "viewable": 301.0}


def test_viewable_beacons_with_no_impression_make_no_viewable_impression(operator: Api, advertiser_api: Api) -> None:
    build_network(operator, advertiser_api.advertiser_id or "")
    client = operator.client
    ads = served(operator, 100)
    for ad in ads:
        assert get(client, ad["tracking"]["viewable"]) == 204
    assert logged(client) == {("viewable", "no_impression"): 100}
    totals = report_totals(operator)["totals"]
    assert (totals["impressions"], totals["viewable_impressions"]) == (0, 0)
    fresh = decide(Api(client, None), HERO_ASK | {"user": {"id": "late"}})["decisions"]["home-hero"][0]
    get(client, fresh["tracking"]["impression"])
    get(client, fresh["tracking"]["viewable"])  # a person's: after its impression
    totals = report_totals(operator)["totals"]
    assert (totals["impressions"], totals["viewable_impressions"]) == (1, 1)


def test_a_viewable_event_needs_its_impression_before_it_and_a_video_event_with_it() -> None:
    ad = facts(1, "u1")
    viewable = Event(ad_event_key(EventType.VIEWABLE, "ad1"), EventType.VIEWABLE, 100.0, ad, "u1")
    start = Event("video:start:ad1", EventType.VIDEO, 100.0, ad, "u1", data={"event": "start"})
    assert follows_impression(viewable, 100.0) and not follows_impression(viewable, 100.5)
    assert not follows_impression(viewable, None) and not follows_impression(start, None)
    assert follows_impression(start, 100.0 + VIDEO_GRACE_SECONDS)  # fired together, arrived after
    assert not follows_impression(start, 100.0 + VIDEO_GRACE_SECONDS + 1)


# --- the click rule's windows and the click-rate model, alone --------------------------------


def facts(n: int, user: str | None = None, placement: str = "hero") -> AdFacts:
    return AdFacts(
        ad_id=f"ad{n}",
        placement_id=placement,
        advertiser_id="a1",
        campaign_id="c1",
        line_item_id="li1",
        creative_id="cr1",
        sku=None,
        pricing="cpc",
        price_micros=500_000,
        user_id=user,
        served_at=0,
        budget_day="2026-12-01",
    )


def shown(ad: AdFacts, time: float, address: str = "addr-1", device: str = "dev-1") -> Event:
    return Event(
        ad_event_key(EventType.IMPRESSION, ad.ad_id),
        EventType.IMPRESSION,
        time,
        ad,
        ad.user_id,
        data={SOURCE: address, DEVICE: device},
    )


def clicked(ad: AdFacts, time: float, address: str = "addr-1", device: str = "dev-1") -> Event:
    return Event(
        ad_event_key(EventType.CLICK, ad.ad_id),
        EventType.CLICK,
        time,
        ad,
        ad.user_id,
        data={SOURCE: address, DEVICE: device},
    )


def test_made_up_user_ids_do_not_escape_the_device_and_address_rules() -> None:
    judge = Judge(FloodRule(plausible_clicks=1_000))  # floods alone
    reasons = []
    for n in range(40):  # one device, a new user id each time, within a minute
        ad = facts(n, user=f"made-up-{n}")
        judge.impression(shown(ad, n))
        reasons.append(judge.click(clicked(ad, n + 0.5), impression_time=n))
    assert reasons[:5] == [None] * 5 and set(reasons[5:]) == {InvalidReason.ADDRESS_FLOOD}
    spread = Judge(FloodRule(plausible_clicks=1_000))
    reasons = [spread.click(clicked(facts(n, f"u{n}"), n, device=f"dev-{n}"), impression_time=n) for n in range(40)]
    assert reasons.count(None) == FloodRule().max_address_clicks  # many devices, one address: its own limit


def test_an_address_clicking_far_above_the_placements_rate_is_implausible() -> None:
    judge = Judge(FloodRule(), expected_ctr=lambda placement: 0.01)  # a ceiling of 5%
    for n in range(100):  # a hundred impressions over ten minutes from one address
        judge.impression(shown(facts(n), 6 * n, device=f"dev-{n}"))
    reasons = [
        judge.click(clicked(facts(n, f"u{n}"), 600 + 60 * n, device=f"dev-{n}"), impression_time=0) for n in range(10)
    ]
    assert reasons == [None] * 5 + [InvalidReason.IMPLAUSIBLE_CTR] * 5  # 5 of 100 is the ceiling


def test_a_user_clicking_far_above_the_placements_rate_is_implausible_from_any_address() -> None:
    """The caller's user id is not trusted alone, but it is watched too: one user clicking
    every ad it is shown, each time from a new address and device (so no address or device
    rule sees it), loses its clicks beyond the plausible rate."""
    judge = Judge(FloodRule(), expected_ctr=lambda placement_id: 0.01)
    verdicts = []
    for n in range(40):  # 40 s apart: never a flood of the minute
        ad = facts(n, "clicker")
        judge.impression(shown(ad, 40.0 * n, f"addr-{n}", f"dev-{n}"))
        verdicts.append(judge.click(clicked(ad, 40.0 * n + 1, f"addr-{n}", f"dev-{n}"), impression_time=40.0 * n))
    assert verdicts[:3] == [None] * 3  # a few clicks of evidence first
    assert verdicts[3:].count(InvalidReason.IMPLAUSIBLE_CTR) == 37


def test_the_windows_forget_what_has_left_them() -> None:
    judge = Judge(FloodRule())
    for n in range(5_000):  # a user, a device and an address a second, each clicking once
        ad = facts(n, f"u{n}")
        judge.impression(shown(ad, n, f"addr-{n}", f"dev-{n}"))
        assert judge.click(clicked(ad, n + 0.5, f"addr-{n}", f"dev-{n}"), impression_time=n) is None
        if n % 60 == 0:
            judge.prune(n)
    # What a minute (users, devices, addresses) or an hour (an address's and a user's clicks and
    # impressions of a placement) holds, not 5,000 of each.
    assert len(judge.windows) < 3 * 61 + 4 * 3_661
    assert len(judge.after(5_000.0)) < 3 * 61 + 4 * 3_661
    judge.prune(10_000)
    assert judge.windows == {}


def test_the_recorder_prunes_its_windows_as_events_come() -> None:
    campaign = LiveCampaign("c1", "a1", START, None, 10**12, None, Pacing.ASAP, 0)
    recorder = Recorder(MemoryEventLog(), MemoryCounters(), budgets=lambda _: campaign)
    for n in range(3_000):
        ad = facts(n, f"u{n}")
        recorder.record_now(
            [shown(ad, 10.0 * n, f"addr-{n}", f"dev-{n}"), clicked(ad, 10.0 * n + 1, f"addr-{n}", f"dev-{n}")]
        )
    assert len(recorder.judge.windows) < 4 * 400  # an hour of addresses at one every ten seconds, not 3,000


class Stats:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], tuple[int, int]] = {}

    def ctr_stats(self, creative_id: str, placement_id: str) -> tuple[int, int]:
        return self.counts.get((creative_id, placement_id), (0, 0))


def test_the_click_rate_shrinks_to_the_placement_and_moves_one_bounded_step_a_minute() -> None:
    stats, now = Stats(), [0.0]
    model = SmoothedCtr(stats, now=lambda: now[0])
    assert model.predict("cr1", "hero", "banner") == pytest.approx(0.002)  # the format's prior
    stats.counts[("cr1", "hero")] = (1_000, 500)  # a flood of clicks, somehow counted
    stats.counts[(PLACEMENT_WIDE, "hero")] = (1_000, 500)
    assert model.estimate("cr1", "hero", "banner") > 0.04
    assert model.predict("cr1", "hero", "banner") == pytest.approx(0.002)  # published a minute at a time
    now[0] = 60.0
    assert model.predict("cr1", "hero", "banner") == pytest.approx(0.002 * 1.25)
    now[0] = 90.0
    assert model.predict("cr1", "hero", "banner") == pytest.approx(0.002 * 1.25)
    now[0] = 120.0
    assert model.predict("cr1", "hero", "banner") == pytest.approx(0.002 * 1.25**2)
    stats.counts[("cr2", "hero")] = (100_000, 100)  # a creative with much evidence of its own
    assert model.estimate("cr2", "hero", "banner") == pytest.approx(
        120 / (100_000 + 20 / model.placement_rate("hero", "banner"))
    )


def test_invalid_clicks_teach_the_model_nothing() -> None:
    counters = MemoryCounters()
    campaign = LiveCampaign("c1", "a1", START, None, 10**12, None, Pacing.ASAP, 0)
    recorder = Recorder(MemoryEventLog(), counters, budgets=lambda _: campaign)
    ad = facts(1, "u1")
    bot = Event(
        ad_event_key(EventType.IMPRESSION, "ad1", InvalidReason.BOT),
        EventType.IMPRESSION,
        0,
        ad,
        "u1",
        invalid=InvalidReason.BOT,
    )
    recorder.record_now([bot, clicked(ad, 1)])  # a bot's impression, then a click with no counted impression
    assert counters.ctr_stats("cr1", "hero") == (0, 0) and counters.ctr_stats(PLACEMENT_WIDE, "hero") == (0, 0)
    other = facts(2, "u2")
    recorder.record_now([shown(other, 2), clicked(other, 3)])  # a person's
    assert counters.ctr_stats("cr1", "hero") == (1, 1) and counters.ctr_stats(PLACEMENT_WIDE, "hero") == (1, 1)

"""The audit's click-fraud attack (issue 19, item 1) replayed through the HTTP API: scripted
impressions and clicks of a CPC ad, each under a fresh caller-chosen user id, with a
browser's user agent, from one address or spread over a few. The line item's eCPM must
move by less than 2x, the clicks must be counted invalid with their reason, and the
realtime spend and the reports must agree on what counted."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.decisioning.ctr import MAX_STEP, PUBLISH_SECONDS
from shelfspace.sim.clock import SteppedClock
from tests.conftest import new_key
from tests.databases import empty_all_tables
from tests.support import HERO_ASK, Api, build_network, decide, runtime
from tests.waiting import wait_for

BROWSER = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
}
PAIRS = 1_272  # the audit's 2,544 scripted requests: an impression and a click each
PACE = timedelta(seconds=0.25)  # five minutes of attack: the bound on change alone would allow MAX_STEP ** 5
CPC_BID = 2.0  # 2.00 a click at the banner prior of 0.2%: an eCPM of 4.00, above the 2.50 floor


def _one_day_ahead(now: datetime) -> datetime:
    """A start from which the attack stays within one day (the test reads one day's report
    and budget; run just before midnight, it would straddle two): now, or just after midnight."""
    span = PAIRS * PACE + timedelta(minutes=5)
    if (now + span).date() == now.date():
        return now
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC) + timedelta(minutes=1)


@pytest.fixture
def attacked(engine: Engine, settings: Settings) -> Iterator[tuple[Api, SteppedClock]]:
    """An app on a clock the test moves, with the tour network's line item bidding per click."""
    clock = SteppedClock(_one_day_ahead(datetime.now(UTC)))
    with TestClient(
        create_app(settings, engine, clock=clock), raise_server_exceptions=False, headers=BROWSER
    ) as client:
        operator = Api(client, new_key(engine, Role.OPERATOR))
        brand = operator.post("/v1/advertisers", {"name": "Acme Outdoor", "domain": "acme.example"})
        network = build_network(operator, brand["id"])
        operator.patch(f"/v1/campaigns/{network['campaign']['id']}", {"pacing": "asap"})
        operator.patch(f"/v1/line-items/{network['line_item']['id']}", {"pricing": "cpc", "bid": CPC_BID})
        operator.line_item_id = network["line_item"]["id"]  # type: ignore[attr-defined]
        operator.campaign_id = network["campaign"]["id"]  # type: ignore[attr-defined]
        yield operator, clock
    empty_all_tables(engine)


def ecpm(operator: Api) -> Decimal:
    """The line item's eCPM in the auction now, as the operator's debug output shows it."""
    body = HERO_ASK | {"user": {"id": "the-measure"}, "debug": True}
    [mine] = [e for e in decide(operator, body)["explain"] if e["line_item_id"] == operator.line_item_id]  # type: ignore[attr-defined]
    return Decimal(str(mine["ecpm"]))


def serves_per_click(operator: Api, tries: Iterator[int]) -> bool:
    """Whether the snapshot has the line item per click (a new user each try: the line
    item caps each user at 3 a day)."""
    user = {"id": f"warm-up-{next(tries)}"}
    answer = Api(operator.client, None).call("POST", "/v1/decisions", HERO_ASK | {"user": user})
    if answer.status_code != 200:  # 422 until the snapshot has the placement
        return False
    ads = answer.json()["decisions"]["home-hero"]
    return bool(ads) and ads[0]["pricing"] == "cpc"


def hit(client: TestClient, url: str) -> int:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return int(client.get(path, headers=BROWSER, follow_redirects=False).status_code)


def attack(operator: Api, clock: SteppedClock, addresses: list[str]) -> None:
    """The script: a decision for a made-up user, its impression, its click; again."""
    app = operator.client.app
    scripts = [TestClient(app, raise_server_exceptions=False, client=(address, 40_000)) for address in addresses]
    anonymous = Api(operator.client, None)
    for n in range(PAIRS):
        clock.advance_to(clock.now() + PACE)
        [ad] = decide(anonymous, HERO_ASK | {"user": {"id": f"made-up-{n}"}})["decisions"]["home-hero"]
        script = scripts[n % len(scripts)]
        assert hit(script, ad["tracking"]["impression"]) == 204
        assert hit(script, ad["tracking"]["click"]) == 302


def clicks_by_reason(operator: Api) -> Counter[str | None]:
    log = runtime(operator.client).event_log
    return Counter(e.invalid and str(e.invalid) for _, e in log.read() if str(e.type) == "click")


@pytest.mark.parametrize(
    "addresses",
    [["203.0.113.7"], ["203.0.113.7", "198.51.100.23", "192.0.2.41", "203.0.113.99"]],
    ids=["one-address", "four-addresses"],
)
def test_scripted_clicks_under_made_up_users_do_not_move_the_auction(
    attacked: tuple[Api, SteppedClock], addresses: list[str]
) -> None:
    operator, clock = attacked
    tries = itertools.count()
    wait_for(lambda: serves_per_click(operator, tries), 5, "the line item to serve per click")
    before = ecpm(operator)
    assert before == Decimal("4.00")  # the banner prior, 0.2%, at 2.00 a click

    attack(operator, clock, addresses)
    clock.advance_to(clock.now() + timedelta(seconds=PUBLISH_SECONDS))  # the model publishes what it learned
    after = ecpm(operator)
    assert MAX_STEP ** (PAIRS * PACE.total_seconds() / PUBLISH_SECONDS) > 2  # the bound alone would not hold it
    print(
        f"\nclick attack ({len(addresses)} address(es), {PAIRS} impressions and clicks): eCPM {before} -> {after} "
        f"({after / before:.2f}x)"
    )
    assert after / before < 2, (before, after)

    reasons = clicks_by_reason(operator)
    valid = reasons.pop(None, 0)
    assert sum(reasons.values()) + valid == PAIRS
    assert set(reasons) <= {"address_flood", "implausible_ctr"} and reasons["implausible_ctr"] > 0, reasons
    print(f"clicks counted valid {valid} of {PAIRS}; invalid by reason {dict(reasons)}")
    assert valid <= 0.01 * PAIRS + 3 * len(addresses)  # at most 5x the banner prior per address, after 3 clicks

    # The realtime charges and the reports agree on what counted.
    rt = runtime(operator.client)
    day = clock.now().astimezone(rt.snapshots.timezone).date().isoformat()
    spent = rt.counters.budget_use(operator.campaign_id, day).spent_total  # type: ignore[attr-defined]
    rt.rollups.run()
    totals: dict[str, Any] = operator.get(f"/v1/reports?from={day}&to={day}")["totals"]
    assert totals["clicks"] == valid and totals["impressions"] == PAIRS
    assert Decimal(str(totals["spend"])) * 1_000_000 == spent

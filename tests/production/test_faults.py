"""Production mode under load and faults, on the real PostgreSQL and Redis of this machine.

Four API processes (`serve --workers 4`) and two rollup workers take concurrent decisions
and impressions for a campaign with a small budget, while the test kills a worker and an
API process with SIGKILL. Then: spend never passed the budget, every acknowledged
impression is in the log, and the reports count each stored impression exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_postgres
from tests.production.cluster import (
    Load,
    OwnRedis,
    build_campaign,
    cluster,
    kill,
    log_facts,
    redis_budget_state,
    redis_url_of_test_db,
    report_totals,
    wait_for_rollups,
    wait_until_serving,
)
from tests.waiting import wait_at_most, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PRICE_MICROS = 2_510_000 // 1000  # a CPM impression at the second price: floor 2.50 + 0.01
BUDGET = 1.5  # about 600 impressions: the load spends it all within seconds
AWAY_SECONDS = 10  # how long PostgreSQL is cut off from the processes


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url.replace("postgresql+psycopg://", "postgresql://")


def test_many_processes_never_overspend_and_kills_lose_nothing(tmp_path: Path, database_url: str) -> None:
    with cluster(tmp_path, database_url, redis_url_of_test_db(), api_processes=4, workers=2) as running:
        with running.admin() as admin:
            build_campaign(admin, BUDGET)
        wait_until_serving(running.url)
        load = Load(running.url)
        load.start()
        wait_for(lambda: len(load.acknowledged) >= 20, 30, "the load to get impressions through")
        kill(running.workers[0].pid)  # mid-rollup, maybe between its commit and its acknowledgement
        children = running.api_children()
        assert len(children) == 4, children
        kill(children[0])  # with requests in flight on its connections
        # Serving goes on after the kills until most of the budget is spent (the assertion below names it).
        wait_at_most(
            lambda: log_facts(database_url)["charged_micros"] >= BUDGET * 1_000_000 * 3 // 4, 30, interval=0.25
        )
        running.start_worker()  # what an operator's supervisor does
        load.stop()
        wait_for_rollups(database_url)
        facts = log_facts(database_url)
        with running.admin() as admin:
            totals = report_totals(admin)

    budget_micros = int(BUDGET * 1_000_000)
    print(
        f"figures: {load.decisions} decisions, {len(load.acknowledged)} impressions acknowledged, "
        f"{len(facts['counted_ads'])} counted in the log, {load.refused} refused or cut, charged "
        f"{facts['charged_micros']} of {budget_micros} micros, reports {totals}, statuses {dict(load.statuses)}"
    )
    assert load.acknowledged, "the load never got an impression through"
    assert load.acknowledged <= facts["counted_ads"], "an acknowledged impression is missing from the log"
    assert facts["charged_micros"] <= budget_micros + PRICE_MICROS, "spend passed the budget by more than one event"
    # Reservations of ads whose impression never came (a killed process's) hold budget until
    # they lapse, so the load need not spend it all; most of it, though.
    assert facts["charged_micros"] >= budget_micros // 2, "the load should have spent most of the budget"
    assert totals["impressions"] == len(facts["counted_ads"]), "reports count each stored impression once"
    assert round(totals["spend"] * 1_000_000) == facts["charged_micros"]


def test_four_processes_spend_a_budget_for_200_ads_to_the_last_two_and_never_past_it(
    tmp_path: Path, database_url: str
) -> None:
    """Each process hands ads out from its own lease on the budget: together they never
    charge more than the 200 impressions it pays for, and they serve at least 198."""
    ads = 200
    with cluster(tmp_path, database_url, redis_url_of_test_db(), api_processes=4, workers=1) as running:
        with running.admin() as admin:
            campaign = build_campaign(admin, ads * PRICE_MICROS / 1_000_000)
        wait_until_serving(running.url, impressions=True)
        load = Load(running.url)
        load.start()
        wait_at_most(
            lambda: log_facts(database_url)["charged_micros"] >= (ads - 2) * PRICE_MICROS, 60, interval=0.2
        )  # short of it, the assertions below say by how much
        load.stop()
        facts = log_facts(database_url)
        held = redis_budget_state(redis_url_of_test_db(flush=False), campaign["id"])
    charged_ads = facts["charged_micros"] // PRICE_MICROS
    print(
        f"figures: {load.decisions} decisions, {len(load.acknowledged)} impressions acknowledged, "
        f"{len(facts['counted_ads'])} counted, {charged_ads} charged of {ads}, statuses {dict(load.statuses)}"
    )
    assert facts["charged_micros"] <= ads * PRICE_MICROS, "charged past the budget"
    assert charged_ads >= ads - 2, f"only {charged_ads} of {ads} impressions served and charged; Redis: {held}"
    assert len(facts["counted_ads"]) == charged_ads, "an impression was served that the budget could not pay for"


def test_redis_restart_keeps_the_spend_already_charged(tmp_path: Path, database_url: str) -> None:
    redis = OwnRedis()
    redis.start()
    try:
        with cluster(tmp_path, database_url, redis.url, api_processes=2, workers=1) as running:
            with running.admin() as admin:
                campaign = build_campaign(admin, BUDGET)
            wait_until_serving(running.url)
            load = Load(running.url, threads=4)
            load.start()
            wait_for(
                lambda: log_facts(database_url)["charged_micros"] > 0,
                30,
                "spend charged before the restart",
                interval=0.1,
            )
            load.stop()
            before = log_facts(database_url)["charged_micros"]
            assert 0 < before < BUDGET * 1_000_000
            through = Load(running.url, threads=4)  # asks on while Redis is down and comes back
            through.start()
            wait_for(lambda: through.decisions > 0, 30, "the second load to get decisions")
            redis.kill()  # everything in it is gone: spend, reservations, the stream
            wait_for(lambda: through.statuses[503] >= 10, 30, "requests refused while Redis is down")
            redis.start()
            wait_for(
                lambda: httpx.get(f"{running.url}/healthz").json()["status"] == "ok",
                10,
                "healthz ok again: spend rebuilt from the log",
                interval=0.1,
            )
            through.stop()
            from redis import Redis

            from shelfspace.counters.redis import RedisCounters

            counters = RedisCounters(Redis.from_url(redis.url, decode_responses=True))
            rebuilt = counters.budget_use(campaign["id"], time.strftime("%Y-%m-%d", time.gmtime()))
            assert rebuilt.spent_total >= before  # what was charged, and what came after
            load = Load(running.url, threads=4)
            load.start()
            # Serving resumes until the budget is spent: a few seconds here, longer on a busy
            # machine, so the load runs until then (or 30 s, when the check below fails).
            wait_at_most(
                lambda: log_facts(database_url)["charged_micros"] >= BUDGET * 1_000_000 - PRICE_MICROS, 30, interval=0.5
            )  # the assertion below names it
            load.stop()
            wait_for_rollups(database_url)
            facts = log_facts(database_url)
            with running.admin() as admin:
                totals = report_totals(admin)
    finally:
        redis.kill()
    print(
        f"figures: charged {before} micros before the restart, {rebuilt.spent_total} in Redis after the "
        f"rebuild, {facts['charged_micros']} in the end of {int(BUDGET * 1_000_000)}"
    )
    print(f"figures: while Redis was down and back: {dict(through.statuses)}")
    assert through.statuses.get(503), "with Redis down, requests should have been refused"
    assert set(through.statuses) <= {200, 204, 503}, (through.statuses, through.unexpected)
    assert through.acknowledged <= facts["counted_ads"], "an acknowledged impression is missing from the log"
    assert facts["charged_micros"] <= BUDGET * 1_000_000 + PRICE_MICROS
    assert facts["charged_micros"] >= BUDGET * 1_000_000 - PRICE_MICROS, "serving should resume after the restart"
    assert totals["impressions"] == len(facts["counted_ads"])


def test_catalogue_change_in_one_process_reaches_every_process_within_two_seconds(
    tmp_path: Path, database_url: str
) -> None:
    with cluster(tmp_path, database_url, redis_url_of_test_db(), api_processes=4, workers=0) as running:
        with running.admin() as admin:
            campaign = build_campaign(admin, 100)
            wait_until_serving(running.url)
            line_item_id = admin.get("/v1/line-items").json()["data"][0]["id"]
            paused = admin.patch(f"/v1/line-items/{line_item_id}", json={"status": "paused"})
            assert paused.status_code == 200, paused.text
            started = time.monotonic()

        # New connections land on every process: all must stop serving the paused line item.
        def none_serves() -> bool:
            return not any(
                httpx.post(
                    f"{running.url}/v1/decisions",
                    json={
                        "placements": [{"id": "home-hero"}],
                        "user": {"id": f"p{n}"},
                        "context": {"keywords": ["Tents"], "country": "VN", "device": "mobile"},
                        "consent": {"targeting": True},
                    },
                )
                .json()["decisions"]
                .get("home-hero", [])
                for n in range(16)
            )

        wait_for(none_serves, 2.0, "every process to stop serving the paused line item", interval=0.05)
        print(f"figures: the pause reached all 4 processes in {time.monotonic() - started:.3f} s")
        assert campaign["id"]


def test_postgres_away_for_ten_seconds_refuses_clearly_and_loses_nothing(tmp_path: Path, database_url: str) -> None:
    """The processes reach PostgreSQL through a proxy the test cuts for 10 s: tracking
    answers 503 (send again) while it is away, never a 500 and never a false 204."""
    from urllib.parse import urlsplit

    from tests.production.proxy import CuttableProxy

    real = urlsplit(database_url)
    proxy = CuttableProxy(real.hostname or "127.0.0.1", real.port or 5432)
    proxy.start()
    through_proxy = database_url.replace(f"{real.hostname}:{real.port}", f"127.0.0.1:{proxy.port}")
    with cluster(tmp_path, through_proxy, redis_url_of_test_db(), api_processes=2, workers=1) as running:
        with running.admin() as admin:
            build_campaign(admin, 1000)
        wait_until_serving(running.url)
        load = Load(running.url, threads=4)
        load.start()
        wait_for(lambda: len(load.acknowledged) >= 20, 30, "the load to get impressions through before the cut")
        proxy.cut()
        cut_at, refused_before = time.monotonic(), load.statuses[503]
        # Away for the ten seconds the test is about, and tracking seen refusing meanwhile.
        wait_for(
            lambda: time.monotonic() - cut_at >= AWAY_SECONDS and load.statuses[503] > refused_before,
            AWAY_SECONDS + 30,
            "tracking to refuse (503) while PostgreSQL is away",
            interval=0.1,
        )
        away = dict(load.statuses)
        proxy.start()
        through = len(load.acknowledged)
        wait_for(
            lambda: len(load.acknowledged) >= through + 20,
            60,
            "impressions acknowledged again once PostgreSQL is back",
            interval=0.1,
        )
        load.stop()
        wait_for_rollups(database_url)
        facts = log_facts(database_url)
        with running.admin() as admin:
            totals = report_totals(admin)
        health = httpx.get(f"{running.url}/healthz").json()
    print(
        f"figures: while away {away}; in all {dict(load.statuses)}; {len(load.acknowledged)} acknowledged, "
        f"{len(facts['counted_ads'])} counted in the log"
    )
    assert away.get(503), f"tracking should have refused while PostgreSQL was away: {away}"
    assert set(load.statuses) <= {200, 204, 503}, (load.statuses, load.unexpected)
    assert load.acknowledged <= facts["counted_ads"], "an acknowledged impression is missing from the log"
    assert totals["impressions"] == len(facts["counted_ads"])
    assert health["status"] == "ok"

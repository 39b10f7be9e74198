"""Production's budget leases and steering copies (RedisCounters): several processes, each
handing out ads from its own slice with no round trip, never charge past a budget and
still spend it to the last ad or two; a process that dies, or a Redis that restarts,
leaves nothing held for ever."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shelfspace.counters.leases import LEASE_SECONDS
from shelfspace.counters.protocol import RESERVATION_SECONDS, BudgetLimits, Charge
from shelfspace.counters.redis import RedisCounters
from shelfspace.decisioning.page_rules import cap_key
from tests.counters.conftest import hold, redis_or_skip
from tests.waiting import wait_at_most, wait_for

pytestmark = pytest.mark.redis

DAY = "2026-12-04"
PRICE = 2_500
ADS = 200
LIMITS = BudgetLimits("cmp_lease", DAY, total_micros=PRICE * ADS, daily_micros=None)


@pytest.fixture
def processes() -> Iterator[list[RedisCounters]]:
    """Four 'processes': counters with their own leases and copies, sharing one Redis prefix."""
    client = redis_or_skip()
    prefix = f"test:{uuid.uuid4().hex}:"
    each = [RedisCounters(client, prefix, steering_seconds=0.25) for _ in range(4)]
    each[0].restore([])
    yield each
    for counters in each:
        counters.close()
    keys = list(client.scan_iter(f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


class Tender:
    """What the snapshot thread does in each process: `release_expired` on a timer."""

    def __init__(self, counters: list[RedisCounters], every: float = 0.05) -> None:
        self.counters, self.every = counters, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            for counters in self.counters:
                counters.release_expired(time.time())

    def __enter__(self) -> Tender:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()


class RoundTrips:
    """Counts what this process sends to Redis: one packed command is one round trip (a
    pipeline is one)."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> RoundTrips:
        from redis.connection import Connection

        self._real = Connection.send_packed_command

        def counted(connection: Connection, command: object, check_health: bool = True) -> None:
            self.count += 1
            self._real(connection, command, check_health)  # type: ignore[arg-type]

        Connection.send_packed_command = counted  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *_: object) -> None:
        from redis.connection import Connection

        Connection.send_packed_command = self._real  # type: ignore[method-assign]


def fresh(counters: RedisCounters) -> RedisCounters:
    """Another process's view, with no lease and no copy of its own: what Redis holds."""
    return RedisCounters(counters.redis, counters.prefix)


def test_four_processes_spend_a_budget_for_200_ads_to_the_last_two_and_never_past_it(
    processes: list[RedisCounters],
) -> None:
    served: list[str] = []
    lock, done = threading.Lock(), threading.Event()
    takes = [0]
    for counters in processes:  # count the round trips that take or renew a lease
        real = counters._take

        def counted(asks, real=real):  # type: ignore[no-untyped-def]
            with lock:
                takes[0] += 1
            return real(asks)

        counters._take = counted  # type: ignore[method-assign]

    def serve(counters: RedisCounters, worker: int) -> None:
        n = 0
        while not done.is_set():
            n += 1
            ad = f"ad-{worker}-{n}"
            # Steer as the engine does: skip the campaign when the (maybe stale) copy says spent.
            if counters.budget_use(LIMITS.campaign_id, DAY).left(LIMITS) < PRICE:
                done.wait(0.001)  # a serving thread's back-off (not a test's wait): ends at once when done
                continue
            expires_at = time.time() + RESERVATION_SECONDS
            if counters.reserve(ad, LIMITS, PRICE, expires_at):
                with lock:
                    served.append(ad)
                counters.settle_all([Charge(hold(ad, LIMITS, PRICE, expires_at), LIMITS, PRICE)])

    with Tender(processes):
        threads = [threading.Thread(target=serve, args=(processes[i % 4], i)) for i in range(8)]
        for thread in threads:
            thread.start()
        wait_at_most(lambda: len(served) >= ADS, 20)  # short of it, the assertions below say by how much
        done.set()
        for thread in threads:
            thread.join()
    for counters in processes:
        counters.close()
    use = fresh(processes[0]).budget_use(LIMITS.campaign_id, DAY)
    print(f"figures: {len(served)} ads served of {ADS}, {takes[0]} lease round trips")
    assert use.spent_total == len(served) * PRICE <= ADS * PRICE, (use, len(served))
    assert len(served) >= ADS - 2, f"only {len(served)} of {ADS} served"
    assert use.reserved_total == 0, "a given-back lease or a charged ad still holds money"
    assert takes[0] < ADS, f"{takes[0]} round trips for {len(served)} ads: leases are not working"


def test_own_steps_show_at_once_and_others_within_the_steering_time(processes: list[RedisCounters]) -> None:
    mine, theirs = processes[0], processes[1]
    assert theirs.budget_use(LIMITS.campaign_id, DAY).reserved_total == 0  # their copy, taken now
    assert mine.budget_use(LIMITS.campaign_id, DAY).reserved_total == 0
    expires_at = time.time() + RESERVATION_SECONDS
    assert mine.reserve("ad-1", LIMITS, PRICE, expires_at)
    assert mine.budget_use(LIMITS.campaign_id, DAY).reserved_total == PRICE  # its own ad, at once
    # Others see the whole slice held: it is this process's to hand out.
    wait_for(
        lambda: theirs.budget_use(LIMITS.campaign_id, DAY).reserved_total >= PRICE,
        5,
        "another process to see the lease",
    )
    assert mine.settle_all([Charge(hold("ad-1", LIMITS, PRICE, expires_at), LIMITS, PRICE)]) == [PRICE]
    settled = mine.budget_use(LIMITS.campaign_id, DAY)
    assert (settled.spent_total, settled.reserved_total) == (PRICE, 0)


def test_a_dead_process_lease_lapses_with_its_bucket(processes: list[RedisCounters]) -> None:
    """A process killed with a lease: its slice stays held (it may have handed out ads
    whose events are still coming) until the bucket of the lease's end, then comes back."""
    dead, alive = processes[0], processes[1]
    now = time.time()
    assert dead.reserve("ad-1", LIMITS, PRICE, now + RESERVATION_SECONDS)
    held = fresh(alive).budget_use(LIMITS.campaign_id, DAY).reserved_total
    assert held >= PRICE
    alive.release_expired(now)  # nothing has ended yet
    assert fresh(alive).budget_use(LIMITS.campaign_id, DAY).reserved_total == held
    later = now + RESERVATION_SECONDS + LEASE_SECONDS + 2 * alive.hold_bucket_seconds
    assert alive.release_expired(later) == 0  # its ads were never told back: none counted
    assert fresh(alive).budget_use(LIMITS.campaign_id, DAY).reserved_total == 0
    assert alive.reserve("ad-2", LIMITS, PRICE * (ADS - 1), later + RESERVATION_SECONDS)  # all but the one


def test_a_lease_from_before_a_redis_restart_gives_nothing_back(processes: list[RedisCounters]) -> None:
    """Redis lost its data and was rebuilt from the log (a new epoch): a process's old lease
    has nothing to give back there, and holds must not go negative."""
    old, other = processes[0], processes[1]
    now = time.time()
    assert old.reserve("ad-1", LIMITS, PRICE, now + RESERVATION_SECONDS)
    old.redis.delete(*old.redis.keys(f"{old.prefix}*"))  # the restart
    other.restore([(LIMITS.campaign_id, DAY, PRICE)])  # ad-1's impression was in the log
    old.close()
    use = fresh(other).budget_use(LIMITS.campaign_id, DAY)
    assert (use.spent_total, use.reserved_total) == (PRICE, 0)


ROUND_TRIP_CASE = """
now: "2026-12-04T10:00:00+00:00"
placements: [{id: hero, format: native, floor: 1.00, max_ads: 3}]
advertisers: [{id: a0, funds: 50}, {id: a1, funds: 50}, {id: a2, funds: 50}]
campaigns:
  - {id: c0, advertiser: a0, budget_total: 100, budget_daily: 20, pacing: asap}
  - {id: c1, advertiser: a1, budget_total: 100, budget_daily: 20, pacing: even}
  - {id: c2, advertiser: a2, budget_total: 100, budget_daily: 20, pacing: asap}
line_items:
  - {id: li0, campaign: c0, bid: 5.00, placements: [hero]}
  - {id: li1, campaign: c1, pricing: cpc, bid: 0.40, placements: [hero]}
  - {id: li2, campaign: c2, bid: 4.00, placements: [hero], frequency_cap: {count: 10000, period: day}}
request: {user: shopper-1, consent: true, placements: [{id: hero, count: 3}]}
expect: {ads: {}}
"""


def test_a_decision_makes_no_round_trip_in_the_common_case(tmp_path: Path) -> None:
    """Production's counters under the real engine: budgets from the lease, budget left,
    funds, pacing and click rates from the steering copies, the user's frequency counts
    in one read and written behind. Counted as what this process sends to Redis."""
    from tests.decisioning.golden import load

    client = redis_or_skip()
    prefix = f"test:{uuid.uuid4().hex}:"
    counters = RedisCounters(client, prefix, steering_seconds=60)  # no refresh during the count
    counters.restore([])
    path = tmp_path / "case.yaml"
    path.write_text(ROUND_TRIP_CASE)
    case = load(path, counters)
    engine, snapshot, request = case.engine, case.snapshot, case.request
    now = engine.clock.now()
    try:
        for _ in range(20):  # the first decisions read each value once and take the leases
            engine.decide(snapshot, request)
        decisions, served = 300, 0
        with RoundTrips() as trips:
            for _ in range(decisions):
                served += len(engine.decide(snapshot, request).ads["hero"])
        print(
            f"figures: {decisions} decisions, {served} ads, {trips.count} Redis round trips "
            f"({trips.count / decisions:.3f} a decision)"
        )
        assert served == 3 * decisions
        assert trips.count / decisions < 0.1, f"{trips.count} Redis round trips for {decisions} decisions"
        counters.close()  # the frequency counts written behind reach Redis
        capped = next(c for c in snapshot.placements["hero"].candidates if c.id == "li2")
        assert capped.line_item.frequency_cap is not None
        assert (
            int(client.hget(f"{prefix}fu:shopper-1", cap_key(capped.id, capped.line_item.frequency_cap, now)) or 0)
            == 320
        )
    finally:
        counters.close()
        keys = list(client.scan_iter(f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def test_frequency_counts_show_at_once_here_and_within_a_moment_elsewhere(processes: list[RedisCounters]) -> None:
    mine, theirs = processes[0], processes[1]
    assert theirs.frequency("shopper-1", "li1:2026-12-04") == 0
    assert mine.count_frequency("shopper-1", "li1:2026-12-04", time.time() + 86400) == 1
    assert mine.frequency("shopper-1", "li1:2026-12-04") == 1  # its own count, before it is written
    wait_for(lambda: theirs.frequency("shopper-1", "li1:2026-12-04") == 1, 5, "the count written behind")
    mine.forget_expired_frequency(time.time() + 2 * 86400)
    assert mine.frequency("shopper-1", "li1:2026-12-04") == 0

"""The steering copies of a versioned value (budget and funds left): a read that races one
of this process's own steps never counts the step twice nor loses it. Counted twice, a
campaign near its end looks spent while it has room, and every decision passes it by
until the copy is read again (the flaky under-delivery of
test_threads_serving_one_campaign_never_overspend_it[redis-steering])."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shelfspace.counters.steering import Kind, SteeringCopies


class FakeRedis:
    """One value and the count of its changes; `during_read` runs while a read is in flight,
    after Redis answered it and before the answer is back."""

    def __init__(self) -> None:
        self.value, self.version = 0, 0
        self.during_read: Callable[[], None] | None = None

    def step(self, by: int) -> tuple[int, int]:
        """A step's script: the value changed, and the state right after, as it answers it."""
        self.value, self.version = self.value + by, self.version + 1
        return self.value, self.version

    def pipeline(self) -> FakePipeline:
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, redis: FakeRedis) -> None:
        self.redis, self.asked = redis, 0

    def ask(self) -> int:
        self.asked += 1
        return 1

    def execute(self) -> list[Any]:
        answers = [[self.redis.value, self.redis.version] for _ in range(self.asked)]
        if (during := self.redis.during_read) is not None:
            self.redis.during_read = None
            during()
        return answers


KIND = Kind(
    "budget", lambda pipe, key: pipe.ask(), lambda answers: answers[0][0], version=lambda answers: int(answers[0][1])
)
KEY = ("c1", "2026-12-01")


@pytest.fixture
def redis_and_copies() -> Iterator[tuple[FakeRedis, SteeringCopies]]:
    redis = FakeRedis()
    copies = SteeringCopies(redis.pipeline, 60.0)  # nothing refreshes but the test
    yield redis, copies
    copies.stop()


def own_step(redis: FakeRedis, copies: SteeringCopies, by: int) -> Callable[[], None]:
    """A step sent now, run by Redis now; its answer applied by the returned call."""
    import time

    sent = time.monotonic()
    value, version = redis.step(by)
    return lambda: copies.answered(KIND, KEY, value, version, sent)


def test_a_read_answered_after_a_step_does_not_count_the_step_twice(
    redis_and_copies: tuple[FakeRedis, SteeringCopies],
) -> None:
    redis, copies = redis_and_copies
    assert copies.get(KIND, KEY) == 0
    answer = own_step(redis, copies, 20_000)  # a lease granted in Redis...
    copies.refresh()  # ...the refresh reads it...
    answer()  # ...and the step's own answer comes after
    assert copies.get(KIND, KEY) == 20_000


def test_a_read_answered_before_a_step_does_not_lose_it(redis_and_copies: tuple[FakeRedis, SteeringCopies]) -> None:
    redis, copies = redis_and_copies
    assert copies.get(KIND, KEY) == 0
    redis.during_read = lambda: own_step(redis, copies, 20_000)()  # Redis answered the read first
    copies.refresh()
    assert copies.get(KIND, KEY) == 20_000


def test_a_refresh_is_kept_though_own_steps_keep_coming(redis_and_copies: tuple[FakeRedis, SteeringCopies]) -> None:
    """Another process's step shows with the next refresh, even when a step of this process
    raced every read (before versions, such a refresh was thrown away)."""
    redis, copies = redis_and_copies
    assert copies.get(KIND, KEY) == 0
    for _ in range(3):
        redis.step(5_000)  # another process
        redis.during_read = own_step(redis, copies, 1)
        copies.refresh()
        copies.get(KIND, KEY)
    assert copies.get(KIND, KEY) == redis.value == 15_003


def test_a_redis_that_lost_its_data_is_believed(redis_and_copies: tuple[FakeRedis, SteeringCopies]) -> None:
    """Its versions count from nothing again: a read asked for after the copy came back is
    newer, whatever its version."""
    redis, copies = redis_and_copies
    assert copies.get(KIND, KEY) == 0
    own_step(redis, copies, 50_000)()
    assert copies.get(KIND, KEY) == 50_000
    redis.value, redis.version = 7, 0  # lost, then restored from the log
    copies.refresh()
    assert copies.get(KIND, KEY) == 7

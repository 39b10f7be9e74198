"""Object ids sort in the order one source made them, even many in the same millisecond
(core/ids.py): pages listing the newest first rely on it. A source is built from a clock
and a generator, so a seeded one makes the same ids every run."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

from shelfspace.core import ids
from shelfspace.core.clock import SteppedClock


def test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made() -> None:
    source = ids.IdSource(lambda: 1_700_000_000_000)
    made = [source.new("ntc") for _ in range(5_000)]
    assert made == sorted(made) and len(set(made)) == len(made)


def test_a_new_millisecond_draws_afresh_and_a_clock_stepping_back_does_not_borrow_the_future() -> None:
    now = [2_000_000_000_000]
    source = ids.IdSource(lambda: now[0], random.Random(3))
    first, second = source.new("x"), source.new("x")
    now[0] += 1
    third = source.new("x")
    assert first < second < third and int(third[-10:], 16) != int(second[-10:], 16) + 1
    now[0] -= 5
    assert source.new("x")[2:14] == f"{now[0]:012x}"  # its own millisecond, not the last one's


def test_a_seeded_source_makes_the_same_ids_on_its_clocks_time() -> None:
    start = datetime(2026, 11, 19, 12, tzinfo=UTC)
    clock = SteppedClock(start)
    one, two = ids.IdSource.following(clock, random.Random(5)), ids.IdSource.following(clock, random.Random(5))
    made = [one.new("ad"), one.new("ad")]
    assert made == [two.new("ad"), two.new("ad")]
    assert made[0][3:15] == f"{int(start.timestamp() * 1000):012x}"
    clock.advance_to(start + timedelta(seconds=1))
    assert one.new("ad")[3:15] == f"{int(start.timestamp() * 1000) + 1000:012x}"


def test_new_id_draws_from_the_source_given_for_a_block_and_then_from_its_own_again() -> None:
    ticks = iter(range(1_000, 1_003))
    with ids.drawn_from(ids.IdSource(lambda: next(ticks), random.Random(5))):
        seeded = [ids.new_id("cmp") for _ in range(3)]
    again = iter(range(1_000, 1_003))
    twin = ids.IdSource(lambda: next(again), random.Random(5))
    assert seeded == [twin.new("cmp") for _ in range(3)]
    assert [s[4:16] for s in seeded] == [f"{t:012x}" for t in range(1_000, 1_003)]
    assert ids.new_id("cmp")[4:16] != f"{1_003:012x}"  # the wall clock's again


def test_a_forked_worker_draws_its_own_bits_unless_its_source_was_given_a_generator() -> None:
    """Two workers forked from one process must not make the same ids in the same millisecond."""
    own, given = ids.IdSource(lambda: 5_000), ids.IdSource(lambda: 5_000, random.Random(5))
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's coverage is not collected)
        os.write(write, f"{own.new('ad')} {given.new('ad')}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        in_child = pipe.read().split()
    os.waitpid(child, 0)
    assert in_child[0] != own.new("ad") and in_child[1] == given.new("ad")

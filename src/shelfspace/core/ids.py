"""Object ids: a type prefix, then time-ordered hex, so ids sort by creation.

`cmp_0193f1a2b3c4d5e6f7a8b9` reads as a campaign at a glance, and keyset pagination by id
returns objects in the order they were made without a second index.

The 40 random bits after the millisecond only keep ids apart (every served ad gets one, so
this is on the hot path); nothing relies on them being unguessable: tracking URLs carry an
HMAC signature. They come from a generator seeded by the OS once per process, and seeded
again in a forked worker so two workers never share a sequence.
"""

from __future__ import annotations

import os
import random
import time

_random = random.Random(os.urandom(16))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(16)))


def new_id(prefix: str) -> str:
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{_random.getrandbits(40):010x}"

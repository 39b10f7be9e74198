"""Holdout groups: a stable split of users per campaign, the same on every request and server.

The bucket is a hash of (campaign id, user id), so the groups are fixed for the life of
the campaign without storing an assignment, and independent between campaigns.
"""

from __future__ import annotations

import hashlib

BUCKETS = 10_000


def bucket(campaign_id: str, user_id: str) -> int:
    digest = hashlib.blake2b(f"{campaign_id}\x1f{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def held_out(campaign_id: str, user_id: str, holdout_percent: int) -> bool:
    return holdout_percent > 0 and bucket(campaign_id, user_id) < holdout_percent * BUCKETS // 100

"""What a brand may learn of an audience's size: the one rule every size shown to a brand
goes through (the API's previews and audiences, the builder and list pages, the wizard).

Why: a brand that sees exact sizes can take differences. Preview "bought X in 30 days"
(A) and "A and not bought Y" (both above the minimum) and subtract: the difference is the
number of users who bought both, however small; an audit learnt that exactly 35 users had
bought a rival in 2 days. The rule, for a brand (docs/audiences.md states it):

1. Suppression: below the network's minimum a size is not shown at all ("fewer than N").
2. Noise, deterministic: two layers, each uniform in [-N/2, +N/2] (N the minimum), drawn
   from HMAC-SHA256 under a server secret (`audience_disclosure_secret`, made once, the
   same in every process):
   - keyed by the rule's canonical form (keys sorted, `all`/`any` members sorted): the
     same question always gets the same answer, so asking again teaches nothing;
   - keyed by WHO is in the answer (`membership.members_digest`): a rule rewritten to hold
     the same users (A, "A and not viewed a SKU that does not exist", ...) keeps this layer,
     so rewriting cannot buy fresh noise to average away.
   The true difference behind two shown sizes is then only known within about +-2N: a
   count below the minimum cannot be read out of one pair.
3. Coarse rounding: the noisy size to two significant figures (at least N/10), never shown
   below N (a segment that is targetable reads "at least N").
4. A bound on questions: each new size a brand asks for (a preview, a new or changed rule)
   counts against `audience_size_questions_per_day` (per advertiser and UTC day, stored in
   `audience_size_questions` so it holds across processes); beyond it, 429. Averaging
   many independent differences (A+C1 vs A+C1-B, A+C2 vs A+C2-B, ...) is the attack noise
   alone cannot stop; the bound makes it slow and visible (docs/audiences.md).

The operator sees exact sizes (it holds the data). Whether a segment may be targeted is
decided on the exact size, as before (`membership.AudienceIndex.targetable`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from shelfspace.accounts.roles import Principal
from shelfspace.audiences.membership import AudienceIndex
from shelfspace.audiences.models import DisclosureSecret, SizeQuestions
from shelfspace.audiences.rules import Rule, as_json
from shelfspace.core.errors import TooManyRequests
from shelfspace.db.upsert import insert_for

SECRET_ROW = 1
SECRET_BYTES = 32


class NoiseLayer(StrEnum):
    """What each layer of noise is keyed by (its HMAC label)."""

    RULE = "audience-size/rule/v1"
    MEMBERS = "audience-size/members/v1"


def canonical(rule: Rule | Mapping[str, Any]) -> bytes:
    """The rule as one byte string whatever the order it was written in: keys sorted, the
    members of `all` and `any` sorted. Two spellings of one rule get the same noise."""
    tree = as_json(rule) if not isinstance(rule, Mapping) else dict(rule)

    def ordered(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (
                    sorted((ordered(r) for r in v), key=_text)
                    if k in ("all", "any") and isinstance(v, list)
                    else ordered(v)
                )
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [ordered(v) for v in node]
        return node

    return _text(ordered(tree)).encode()


def _text(node: Any) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Noise:
    """The deterministic noise and rounding on sizes shown to brands (rules 1 to 3)."""

    min_size: int
    secret: bytes

    def _layer(self, layer: NoiseLayer, key: bytes) -> float:
        """A value in [-1, 1), the same for the same layer and key under the same secret."""
        mac = hmac.new(self.secret, layer.value.encode() + b"\x00" + key, hashlib.sha256).digest()
        return int.from_bytes(mac[:8], "big") / 2**63 - 1.0

    def shown(self, size: int, rule: bytes, members: int) -> int | None:
        if size < self.min_size:
            return None
        half = self.min_size / 2
        noisy = size + half * (
            self._layer(NoiseLayer.RULE, rule) + self._layer(NoiseLayer.MEMBERS, members.to_bytes(8, "big"))
        )
        return max(self.min_size, coarse(noisy, self.min_size))

    @property
    def spread(self) -> int:
        """The most the noise moves a size either way (both layers), before rounding."""
        return self.min_size


def coarse(value: float, min_size: int) -> int:
    """Two significant figures, in steps of at least a tenth of the minimum."""
    if value <= 0:
        return 0
    step = max(1, min_size // 10, 10 ** (int(math.log10(value)) - 1))
    return int(round(value / step) * step)


@dataclass(frozen=True, slots=True)
class SizeView:
    """How one caller sees sizes: exactly (the operator), or through `noise` (a brand)."""

    min_size: int
    noise: Noise | None
    index: AudienceIndex

    @property
    def exact(self) -> bool:
        return self.noise is None

    def saved(self, audience_id: str, rule: Mapping[str, Any], size: int | None) -> int | None:
        """A saved audience's size as counted (`audience_sizes`), as this caller may see it."""
        if size is None or size < self.min_size:
            return None
        if self.noise is None:
            return size
        digest = self.index.digest(audience_id)
        members = digest if digest is not None else _fallback_digest(audience_id)
        return self.noise.shown(size, canonical(rule), members)

    def preview(self, rule: Rule, now: float) -> tuple[int | None, bool]:
        """A rule's size now (nothing stored) as this caller may see it, and whether a
        segment of it could be targeted (decided on the exact size)."""
        size, members = self.index.matching(rule, now)
        targetable = size >= self.min_size
        if self.noise is None:
            return (size if targetable else None), targetable
        return self.noise.shown(size, canonical(rule), members), targetable


def _fallback_digest(audience_id: str) -> int:
    """Before this process has counted a segment (its first seconds), a stand-in for its
    members' digest that still differs between segments."""
    return int.from_bytes(hashlib.blake2b(audience_id.encode(), digest_size=8).digest(), "big")


def secret(db: Session) -> bytes:
    """The noise's server secret, made by the first caller ever (a race: one insert wins)."""
    row = db.get(DisclosureSecret, SECRET_ROW)
    if row is None:
        insert = insert_for(db)
        db.execute(
            insert(DisclosureSecret)
            .values(id=SECRET_ROW, secret=secrets.token_hex(SECRET_BYTES))
            .on_conflict_do_nothing()
        )
        row = db.get(DisclosureSecret, SECRET_ROW, populate_existing=True)
        assert row is not None
    return bytes.fromhex(row.secret)


def view_for(db: Session, by: Principal, min_size: int, index: AudienceIndex) -> SizeView:
    """The sizes `by` may see: exact for the operator, noisy for a brand."""
    if by.is_operator:
        return SizeView(min_size, None, index)
    return SizeView(min_size, Noise(min_size, secret(db)), index)


@dataclass(frozen=True, slots=True)
class DailyQuestions:
    """Rule 4's bound as a caller carries it: so many questions per brand on `today` (UTC)."""

    per_day: int
    today: date


def ask(db: Session, by: Principal, bound: DailyQuestions | None) -> None:
    """Count one new size question of a brand's (rule 4), or refuse it with 429. In the
    caller's transaction: a request that fails later takes its question back. Only the
    operator's callers may pass no bound."""
    if by.is_operator:
        return
    if bound is None or by.advertiser_id is None:
        raise TypeError("a brand's size question needs the network's daily bound")
    per_day, today = bound.per_day, bound.today
    insert = insert_for(db)
    db.execute(
        insert(SizeQuestions).values(advertiser_id=by.advertiser_id, day=today, asked=0).on_conflict_do_nothing()
    )
    taken = db.execute(
        update(SizeQuestions)
        .where(
            SizeQuestions.advertiser_id == by.advertiser_id, SizeQuestions.day == today, SizeQuestions.asked < per_day
        )
        .values(asked=SizeQuestions.asked + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise TooManyRequests(
            f"this brand has asked for {per_day} audience sizes today (previews and new or changed "
            "rules), the network's daily limit; saved audiences keep showing their sizes. "
            "Try again tomorrow (UTC)."
        )

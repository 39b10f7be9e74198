"""Tracking keys: rotation keeps old URLs counting until they expire, then drops the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete

from shelfspace.core.clock import SystemClock
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.events.model import AdFacts, EventType, InvalidReason
from shelfspace.tracking import keys as key_module
from shelfspace.tracking.keys import KeyRing, load_signer, rotate
from shelfspace.tracking.models import TrackingKey
from shelfspace.tracking.signing import Signer, TokenRefused

FACTS = AdFacts(
    ad_id="ad_1",
    placement_id="home-hero",
    advertiser_id="adv_1",
    campaign_id="cmp_1",
    line_item_id="li_1",
    creative_id="crv_1",
    sku=None,
    pricing="cpm",
    price_micros=2_510_000,
    user_id="u-1",
    served_at=1_800_000_000,
    budget_day="2027-01-15",
)
WEEK = timedelta(days=7)


def test_a_rotated_key_still_opens_what_it_signed() -> None:
    old = Signer({"k1": b"a" * 32}, "k1")
    token = old.sign(EventType.CLICK, FACTS, 1_800_000_100, "https://acme.example/")
    rotated = Signer({"k1": b"a" * 32, "k2": b"b" * 32}, "k2")
    assert rotated.open(EventType.CLICK, token, 1_800_000_050).landing == "https://acme.example/"
    assert rotated.sign(EventType.CLICK, FACTS, 1_800_000_100).startswith("k2.")
    dropped = Signer({"k2": b"b" * 32}, "k2")
    with pytest.raises(TokenRefused) as refused:
        dropped.open(EventType.CLICK, token, 1_800_000_050)
    assert refused.value.reason is InvalidReason.BAD_SIGNATURE


def no_keys(engine: Engine) -> None:
    """The engine is shared by the session's tests: start from a database without keys."""
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(delete(TrackingKey))


def test_rotation_drops_keys_no_living_url_can_carry(engine: Engine) -> None:
    no_keys(engine)
    sessions = make_sessionmaker(engine)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    with session_scope(sessions) as db:
        first = load_signer(db, start).signing_key
        second, dropped = rotate(db, start + timedelta(days=1), WEEK)
        assert dropped == []
        third, dropped = rotate(db, start + timedelta(days=1) + WEEK + timedelta(seconds=1), WEEK)
        assert dropped == [first]
        assert set(load_signer(db, start).keys) == {second.id, third.id}
        assert load_signer(db, start).signing_key == third.id


def test_a_server_learns_a_key_another_process_made(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(key_module, "RELOAD_SECONDS", 0.0)
    no_keys(engine)
    sessions = make_sessionmaker(engine)
    ring = KeyRing(sessions, SystemClock())
    started_with = ring.signer.signing_key
    with session_scope(sessions) as db:  # another process rotates
        newer, _ = rotate(db, datetime.now(UTC), WEEK)
        newer_signer = load_signer(db, datetime.now(UTC))
    token = newer_signer.sign(EventType.IMPRESSION, FACTS, 1_800_000_100)
    assert token.startswith(f"{newer.id}.")
    assert ring.signer_for(token).open(EventType.IMPRESSION, token, 1_800_000_050).facts == FACTS
    assert ring.signer.signing_key == started_with  # it signs with its own key until a restart

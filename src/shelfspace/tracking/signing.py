"""Signed tracking URLs: what was served, sealed so that a forged or altered URL counts nothing.

A token is `key id . payload . mac`: the payload is the ad's facts and the event kind
and expiry, as compact JSON in URL-safe base64; the MAC is HMAC-SHA256 over the key id
and the payload, cut to 128 bits. The kind is inside the seal, so an impression URL can
never be replayed as a click. Several keys verify at once (rotation): the newest signs,
the older ones keep verifying until every URL they signed has expired.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

import orjson

from shelfspace.events.model import AdFacts, EventType, InvalidReason

MAC_BYTES = 16
VERSION = 1
AD_FACT_FIELDS = tuple(f.name for f in dataclass_fields(AdFacts))  # a token carries the facts in this order


class TokenRefused(Exception):
    def __init__(self, reason: InvalidReason, facts: AdFacts | None = None, landing: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts  # known when only the expiry failed: the seal itself held
        self.landing = landing


@dataclass(frozen=True, slots=True)
class Opened:
    facts: AdFacts
    landing: str | None  # the creative's own landing URL, for clicks


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, keys: dict[str, bytes], signing_key: str) -> None:
        if signing_key not in keys:
            raise ValueError(f"the signing key {signing_key!r} is not among the keys")
        self.keys = keys
        self.signing_key = signing_key

    def _mac(self, key_id: str, payload: str) -> str:
        digest = hmac.digest(self.keys[key_id], f"{key_id}.{payload}".encode("ascii"), "sha256")
        return _b64(digest[:MAC_BYTES])

    def seal(self, kind: str, expires_at: int, body: list[Any]) -> str:
        """Any JSON list sealed for one kind of use until `expires_at` (epoch seconds)."""
        return self._token([VERSION, kind, expires_at, *body])

    def unseal(self, kind: str, token: str, now: float) -> list[Any]:
        """What `seal` sealed, if the token is ours, for this kind, and not expired."""
        version, sealed_kind, expires_at, *body = self._fields(token)
        if version != VERSION or sealed_kind != kind:
            raise TokenRefused(InvalidReason.BAD_SIGNATURE)
        if now > expires_at:
            raise TokenRefused(InvalidReason.EXPIRED)
        return body

    def _token(self, fields: list[Any]) -> str:
        return self._sealed(orjson.dumps(fields))

    def _sealed(self, payload_json: bytes) -> str:
        payload = _b64(payload_json)
        return f"{self.signing_key}.{payload}.{self._mac(self.signing_key, payload)}"

    def _fields(self, token: str) -> list[Any]:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] not in self.keys:
            raise TokenRefused(InvalidReason.BAD_SIGNATURE)
        key_id, payload, mac = parts
        if not hmac.compare_digest(mac, self._mac(key_id, payload)):
            raise TokenRefused(InvalidReason.BAD_SIGNATURE)
        try:
            fields = orjson.loads(_unb64(payload))
        except (ValueError, binascii.Error):
            raise TokenRefused(InvalidReason.BAD_SIGNATURE) from None  # sealed by us, yet unreadable
        if not isinstance(fields, list) or len(fields) < 3:
            raise TokenRefused(InvalidReason.BAD_SIGNATURE)
        return fields

    def pseudonym(self, text: str) -> str:
        """A keyed digest of `text` (a client's address): the same text gives the same
        pseudonym, which says nothing of the text to anyone without the key."""
        return hmac.digest(self.keys[self.signing_key], f"pseudonym.{text}".encode(), "sha256")[:12].hex()

    def sign(self, kind: EventType, facts: AdFacts, expires_at: int, landing: str | None = None) -> str:
        return self.sign_each(facts, [(kind, expires_at, landing)])[0]

    def sign_each(self, facts: AdFacts, uses: Iterable[tuple[EventType, int, str | None]]) -> list[str]:
        """One token per (kind, expiry, landing) for the same ad. Every served ad gets
        several, so the facts are written as JSON once and each token's fields are
        spliced around them: the same JSON list `open` reads."""
        middle = orjson.dumps([getattr(facts, name) for name in AD_FACT_FIELDS])[1:-1]
        return [
            self._sealed(
                b"[%d,%s,%d,%s,%s]" % (VERSION, orjson.dumps(str(kind)), expires_at, middle, orjson.dumps(landing))
            )
            for kind, expires_at, landing in uses
        ]

    def open(self, kind: EventType, token: str, now: float) -> Opened:
        """The facts a token carries, if it is sealed by one of our keys, for this kind of
        event, and not expired; otherwise `TokenRefused` with the reason."""
        fields = self._fields(token)
        try:
            version, sealed_kind, expires_at, *facts_fields, landing = fields
            facts = AdFacts(**dict(zip(AD_FACT_FIELDS, facts_fields, strict=True)))
        except (ValueError, TypeError):
            raise TokenRefused(InvalidReason.BAD_SIGNATURE) from None  # sealed by us, yet unreadable
        if version != VERSION or sealed_kind != str(kind):
            raise TokenRefused(InvalidReason.BAD_SIGNATURE)
        if now > expires_at:
            raise TokenRefused(InvalidReason.EXPIRED, facts, landing)
        return Opened(facts, landing)

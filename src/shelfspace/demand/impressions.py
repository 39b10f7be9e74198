"""A demand partner's shown ad: its signed impression URL, the durable event it records,
and the win notices fired to the partner afterwards.

The token seals what the partner owes (partner, placement, bid, first price) and where to
tell it (the `burl`/`nurl` with the price already substituted), under a kind of its own:
it can never pass for a campaign's impression URL, nor one of those for it, and nobody
can make Shelfspace call a URL it did not receive from the partner's winning bid.
"""

from __future__ import annotations

from dataclasses import dataclass

from shelfspace.demand.notices import NoticeKind
from shelfspace.events.model import Event, EventType, InvalidReason, ad_event_key
from shelfspace.tracking.signing import Signer, TokenRefused

TOKEN_KIND = "programmatic"
PATH = "/track/programmatic"


@dataclass(frozen=True, slots=True)
class PartnerImpression:
    ad_id: str
    partner_id: str
    placement_id: str
    bid_id: str
    price_micros: int  # per thousand, what the partner bid and pays
    served_at: int  # epoch seconds
    billing_url: str | None  # `burl`, price substituted
    win_url: str | None  # `nurl`, price substituted

    def url(self, signer: Signer, base_url: str, lifetime_seconds: int) -> str:
        token = signer.seal(
            TOKEN_KIND,
            self.served_at + lifetime_seconds,
            [
                self.ad_id,
                self.partner_id,
                self.placement_id,
                self.bid_id,
                self.price_micros,
                self.served_at,
                self.billing_url,
                self.win_url,
            ],
        )
        return f"{base_url}{PATH}/{token}"

    @classmethod
    def opened(cls, signer: Signer, token: str, now: float) -> PartnerImpression:
        """The sealed impression, or `TokenRefused` (forged, altered, another kind, expired)."""
        body = signer.unseal(TOKEN_KIND, token, now)
        try:
            ad_id, partner_id, placement_id, bid_id, price, served_at, burl, nurl = body
        except ValueError:
            raise TokenRefused(InvalidReason.BAD_SIGNATURE) from None  # ours, yet another shape
        return cls(ad_id, partner_id, placement_id, bid_id, int(price), int(served_at), burl, nurl)

    def event(self, now: float, invalid: InvalidReason | None) -> Event:
        """One per ad: the same URL hit twice has the same key and is stored once."""
        return Event(
            ad_event_key(EventType.PROGRAMMATIC, self.ad_id, invalid),
            EventType.PROGRAMMATIC,
            now,
            invalid=invalid,
            data={
                "partner_id": self.partner_id,
                "placement_id": self.placement_id,
                "bid_id": self.bid_id,
                "price_micros": self.price_micros,
                "ad_id": self.ad_id,
                "served_at": self.served_at,
            },
        )

    @property
    def notices(self) -> list[tuple[NoticeKind, str]]:
        """The notices to call, billing first; only ones on the partner's notice domains
        were ever sealed (see `Demand._ad`)."""
        return [
            (kind, url) for kind, url in ((NoticeKind.BILLING, self.billing_url), (NoticeKind.WIN, self.win_url)) if url
        ]

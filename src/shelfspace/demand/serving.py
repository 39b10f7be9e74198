"""Demand partners in a decision: the delivery layer's one entry point (`Demand`).

`POST /v1/decisions` asks `unsold` (synchronous, no allocation when no partner is live)
and, only when a slot is left, awaits `fill`, which runs the outbound auction and adds
the winning bids to the answer as ads. The engine never sees any of it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
import structlog

from shelfspace.catalog.enums import AdFormat, Pricing
from shelfspace.core.clock import Clock
from shelfspace.core.days import day_of
from shelfspace.core.ids import new_id
from shelfspace.core.money import from_micros
from shelfspace.core.outbound import OutboundPolicy, async_client, refusal_in
from shelfspace.decisioning.engine import Decision
from shelfspace.decisioning.index import Snapshot
from shelfspace.decisioning.inventory import LivePlacement
from shelfspace.delivery.schemas import AdOut, AdSource, CreativeOut, DecisionIn, DecisionOut, TrackingOut
from shelfspace.demand.bidding import Invitation, WinningBid, run_auction
from shelfspace.demand.directory import LivePartner, PartnerDirectory
from shelfspace.demand.impressions import PartnerImpression
from shelfspace.demand.notices import NoticeKind, NoticeOutcome, host_of, refusal_of
from shelfspace.demand.openrtb_out import OFFERED_FORMATS, Visit, bid_request
from shelfspace.demand.stats import AuctionStats

if TYPE_CHECKING:
    from shelfspace.tracking.keys import KeyRing

log = structlog.get_logger(__name__)

NOTICE_SECONDS = 2.0  # a win or billing notice that takes longer is given up


@dataclass(frozen=True, slots=True)
class ImpressionSigning:
    """How a partner's impression URL is signed: the app's keys (loaded when it starts),
    its public base URL, and how long an impression URL lives."""

    keys: KeyRing
    base_url: str
    impression_seconds: int


class Demand:
    def __init__(
        self,
        directory: PartnerDirectory,
        stats: AuctionStats,
        *,
        outbound: OutboundPolicy,
        currency: str,
        zone: ZoneInfo,
        clock: Clock,
        signing: ImpressionSigning,
    ) -> None:
        self.outbound = outbound
        self.currency = currency
        self.zone = zone
        self.clock = clock
        self.signing = signing
        self.directory = directory
        self.stats = stats
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._notices: set[asyncio.Task[None]] = set()

    @property
    def partners(self) -> tuple[LivePartner, ...]:
        return self.directory.partners

    def client(self) -> httpx.AsyncClient:
        """One pooled client per event loop (a test client runs its own loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            # Public addresses only (unless the operator allows private ones), no redirects.
            self._client = async_client(self.outbound)
            self._client_loop = loop
        return self._client

    def unsold(self, snapshot: Snapshot, decision: Decision, body: DecisionIn) -> list[LivePlacement]:
        """Requested placements a partner could fill that the engine left a slot open on."""
        left = []
        for ask in body.placements:
            placement = snapshot.placements[ask.id].placement
            if placement.format in OFFERED_FORMATS and len(decision.ads.get(ask.id, ())) < min(
                ask.count, placement.max_ads
            ):
                left.append(placement)
        return left

    async def fill(
        self, answer: DecisionOut, unsold: list[LivePlacement], body: DecisionIn, consent: bool, user_agent: str | None
    ) -> None:
        """Offer the unsold placements to every live partner that may bid on them; add the
        winners to `answer`, one ad per placement, after the engine's own. `consent` is
        the decision's own reading of the request's consent: the user id goes only with it."""
        currency = self.currency
        visit = self._visit(body, consent, user_agent)
        invitations = []
        for partner in self.partners:
            offers = [(str(n), p) for n, p in enumerate((p for p in unsold if partner.bids_on(p.id)), start=1)]
            if offers:
                invitations.append(
                    Invitation(partner, bid_request(answer.request_id, partner, offers, visit, currency), dict(offers))
                )
        if not invitations:
            return
        now = self.clock.now().timestamp()
        winners = await run_auction(self.client(), invitations, currency, self.stats, day_of(now, self.zone))
        for placement_id, winner in winners.items():
            answer.decisions.setdefault(placement_id, []).append(self._ad(winner, int(now)))

    def _visit(self, body: DecisionIn, allowed: bool, user_agent: str | None) -> Visit:
        ctx = body.context
        return Visit(
            page=ctx.url,
            category=ctx.category,
            keywords=tuple(ctx.keywords),
            device=str(ctx.device) if ctx.device else None,
            country=ctx.country,
            user_agent=user_agent,
            user_id=body.user.id if allowed else None,
            tcf=body.consent.tcf,
        )

    def _ad(self, winner: WinningBid, served_at: int) -> AdOut:
        bid, placement = winner.bid, winner.placement
        ad_id = new_id("ad")
        shown = PartnerImpression(
            ad_id,
            winner.partner.id,
            placement.id,
            bid.id,
            winner.price_micros,
            served_at,
            self._notice(winner, NoticeKind.BILLING, bid.burl),
            self._notice(winner, NoticeKind.WIN, bid.nurl),
        )
        signing = self.signing
        url = shown.url(signing.keys.signer, signing.base_url, signing.impression_seconds)
        size = f"{bid.w}x{bid.h}" if bid.w and bid.h else None
        return AdOut(
            ad_id=ad_id,
            advertiser_id=None,
            campaign_id=None,
            line_item_id=None,
            creative_id=None,
            format=AdFormat(placement.format),
            creative=CreativeOut(size=size, html=winner.with_price(bid.adm)),
            sku=None,
            product=None,
            price=from_micros(winner.price_micros),
            pricing=Pricing.CPM,
            tracking=TrackingOut(impression=url),
            source=AdSource.DEMAND_PARTNER,
            demand_partner_id=winner.partner.id,
        )

    def _notice(self, winner: WinningBid, kind: NoticeKind, url: str | None) -> str | None:
        """The notice to seal into the impression URL, price filled in; None when the bid
        has none or names a host off the partner's notice domains (counted, never called)."""
        url = winner.with_price(url)  # checked as it will be called: a macro could move its host
        if url is None:
            return None
        refused = refusal_of(url, winner.partner.notice_domains)
        if refused is not None:
            self.stats.notice(winner.partner.id, kind, refused)
            log.warning(
                "demand_partner_notice_not_sealed",
                partner=winner.partner.id,
                kind=str(kind),
                outcome=str(refused),
                host=host_of(url),
            )
            return None
        return url

    # --- after the impression ------------------------------------------------------------

    def notify(self, shown: PartnerImpression) -> None:
        """Fire the partner's billing and win notices in the background: the impression's
        answer never waits for a partner, and a failure is logged, not retried."""
        for kind, url in shown.notices:
            task = asyncio.get_running_loop().create_task(self._call(kind, url, shown))
            self._notices.add(task)
            task.add_done_callback(self._notices.discard)

    async def _call(self, kind: NoticeKind, url: str, shown: PartnerImpression) -> None:
        outcome = NoticeOutcome.SENT
        try:
            answer = await self.client().get(url, timeout=NOTICE_SECONDS)
            if answer.status_code >= 400:
                outcome = NoticeOutcome.REJECTED
                log.warning(
                    "demand_partner_notice_refused", partner=shown.partner_id, kind=str(kind), status=answer.status_code
                )
        except httpx.HTTPError as error:
            refused = refusal_in(error)
            outcome = NoticeOutcome.NOT_PUBLIC if refused is not None else NoticeOutcome.FAILED
            log.warning(
                "demand_partner_notice_failed",
                partner=shown.partner_id,
                kind=str(kind),
                outcome=str(outcome),
                error=type(error).__name__,
                host=host_of(url),
            )
        self.stats.notice(shown.partner_id, kind, outcome)

    async def aclose(self) -> None:
        """Close the pool, if this loop made it (one made on another loop died with it)."""
        client, self._client = self._client, None
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.aclose()

"""The outbound auction: one BidRequest per partner, all at once, each cut off at the
partner's timeout; then the highest valid bid per placement, at or above its floor, wins
and pays what it bid (first price).

Every answer and bid that does not win gets a `BidOutcome`, counted (see `stats.py`) and
logged, so an operator can tell a partner why its bids never show.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import structlog
from pydantic import ValidationError

from shelfspace.core.money import from_micros, to_micros
from shelfspace.core.outbound import refusal_in
from shelfspace.decisioning.inventory import LivePlacement
from shelfspace.delivery.openrtb_models import Bid, BidRequest, BidResponse
from shelfspace.demand.directory import LivePartner
from shelfspace.demand.openrtb_out import effective_floor, request_json
from shelfspace.demand.stats import AuctionStats, BidOutcome, Measure

log = structlog.get_logger(__name__)

HEADERS = {"Content-Type": "application/json", "X-Openrtb-Version": "2.6"}
DEFAULT_CURRENCY = "USD"  # OpenRTB: a BidResponse without `cur` is in USD


@dataclass(frozen=True, slots=True)
class Invitation:
    partner: LivePartner
    request: BidRequest
    placements: dict[str, LivePlacement]  # by imp id


@dataclass(frozen=True, slots=True)
class WinningBid:
    partner: LivePartner
    placement: LivePlacement
    auction_id: str
    bid: Bid
    price_micros: int  # what the partner pays per thousand: its own bid

    def with_price(self, text: str | None) -> str | None:
        """`text` with the OpenRTB substitution macros filled in (the clearing price first)."""
        if text is None:
            return None
        price = format(from_micros(self.price_micros).normalize(), "f")
        for macro, value in (
            ("${AUCTION_PRICE}", price),
            ("${AUCTION_ID}", self.auction_id),
            ("${AUCTION_BID_ID}", self.bid.id),
            ("${AUCTION_IMP_ID}", self.bid.impid),
        ):
            text = text.replace(macro, value)
        return text


async def ask(client: httpx.AsyncClient, invitation: Invitation) -> tuple[BidResponse | None, BidOutcome | None]:
    """The partner's answer, or why there is none. A late answer is dropped whole."""
    partner = invitation.partner
    seconds = partner.timeout_ms / 1000
    try:
        async with asyncio.timeout(seconds):
            answer = await client.post(
                partner.endpoint, content=request_json(invitation.request), headers=HEADERS, timeout=seconds
            )
    except (TimeoutError, httpx.TimeoutException):
        return None, BidOutcome.TIMEOUT
    except httpx.HTTPError as error:
        if refusal_in(error) is not None:
            log.warning("demand_partner_endpoint_refused", partner=partner.id, reason=str(refusal_in(error)))
            return None, BidOutcome.NOT_PUBLIC
        return None, BidOutcome.HTTP_ERROR
    if answer.status_code == 204:
        return None, BidOutcome.NO_BID
    if answer.status_code != 200:
        return None, BidOutcome.HTTP_ERROR
    try:
        response = BidResponse.model_validate_json(answer.content)
    except ValidationError:
        return None, BidOutcome.MALFORMED
    if response.id != invitation.request.id:
        return None, BidOutcome.MALFORMED
    if not any(seat.bid for seat in response.seatbid or ()):
        return None, BidOutcome.NO_BID
    return response, None


def fault_of(bid: Bid, placement: LivePlacement | None, partner: LivePartner, currency_ok: bool) -> BidOutcome | None:
    """Why a bid cannot win, whatever the others bid; None if it may."""
    if placement is None:
        return BidOutcome.UNKNOWN_IMP
    if not currency_ok:
        return BidOutcome.WRONG_CURRENCY
    if bid.price <= 0:
        return BidOutcome.ZERO_PRICE
    if not bid.adm:
        return BidOutcome.NO_MARKUP
    if to_micros(bid.price) < effective_floor(partner, placement):
        return BidOutcome.BELOW_FLOOR
    return None


async def run_auction(
    client: httpx.AsyncClient, invitations: list[Invitation], currency: str, stats: AuctionStats, day: str
) -> dict[str, WinningBid]:
    """The winning bid per placement id. Partners come in id order: on equal prices the
    earlier one keeps the slot."""
    answers = await asyncio.gather(*(ask(client, invitation) for invitation in invitations))
    best: dict[str, WinningBid] = {}
    for invitation, (response, outcome) in zip(invitations, answers, strict=True):
        partner = invitation.partner
        for offered in invitation.placements.values():
            stats.measure(partner.id, day, offered.id, Measure.BID_REQUESTS)
            if outcome is BidOutcome.TIMEOUT:
                stats.measure(partner.id, day, offered.id, Measure.TIMEOUTS)
        if response is None:
            assert outcome is not None
            stats.outcome(partner.id, outcome)
            log.info("demand_partner_no_bid", partner=partner.id, outcome=str(outcome))
            continue
        currency_ok = (response.cur or DEFAULT_CURRENCY) == currency
        for bid in (bid for seat in response.seatbid or () for bid in seat.bid):
            placement = invitation.placements.get(bid.impid)
            if placement is not None:
                stats.measure(partner.id, day, placement.id, Measure.BIDS)
            fault = fault_of(bid, placement, partner, currency_ok)
            if fault is not None or placement is None:
                _drop(stats, partner, bid, fault or BidOutcome.UNKNOWN_IMP)
                continue
            candidate = WinningBid(partner, placement, invitation.request.id, bid, to_micros(bid.price))
            current = best.get(placement.id)
            if current is not None and current.price_micros >= candidate.price_micros:
                _drop(stats, partner, bid, BidOutcome.OUTBID)
                continue
            if current is not None:
                _drop(stats, current.partner, current.bid, BidOutcome.OUTBID)
            best[placement.id] = candidate
    for winner in best.values():
        stats.outcome(winner.partner.id, BidOutcome.WON)
        stats.measure(winner.partner.id, day, winner.placement.id, Measure.WINS)
    return best


def _drop(stats: AuctionStats, partner: LivePartner, bid: Bid, outcome: BidOutcome) -> None:
    stats.outcome(partner.id, outcome)
    log.info(
        "demand_partner_bid_dropped",
        partner=partner.id,
        outcome=str(outcome),
        bid_id=bid.id,
        impid=bid.impid,
        price=str(bid.price),
    )

"""`POST /v1/decisions`: which ads to show, for pages, apps and search results.

No key is needed (pages call it); `debug` needs an operator key. The handler is async:
delivery/serving.py runs the engine on the event loop when the counters are in memory (a
thread hop would cost more than the decision) and in the thread pool when they are in
Redis; a `debug` key is looked up in the thread pool.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from shelfspace.accounts.caller import principal_for
from shelfspace.accounts.roles import Principal
from shelfspace.core.errors import FieldProblem, Forbidden, InvalidInput, Unauthorized
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.money import from_micros
from shelfspace.decisioning.engine import Decision, ServedAd, UnknownPlacements
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest
from shelfspace.delivery.schemas import (
    AdOut,
    CreativeOut,
    DecisionIn,
    DecisionOut,
    ExplainOut,
    ProductOut,
    TrackingOut,
)
from shelfspace.delivery.serving import decide as decide_with
from shelfspace.delivery.serving import note_decision, tracking_for
from shelfspace.delivery.snapshots import SnapshotHolder
from shelfspace.http.cors import ANY_ORIGIN  # pages on the shop's own domain ask for ads here
from shelfspace.http.deps import bearer
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.http.raw_body import documented_body, parse_body, read_body
from shelfspace.privacy.consent import InvalidConsentString, decision_consent
from shelfspace.runtime import runtime_of

# Documented like the management routes' key, but read only for `debug` (no dependency
# to solve on every page view).
OPTIONAL_KEY: dict[str, Any] = {"security": [{"HTTPBearer": []}, {}]}

router = APIRouter(tags=["decisions"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 422)})


def to_request(body: DecisionIn) -> DecisionRequest:
    ctx = body.context
    try:
        consent = decision_consent(body.consent.targeting, body.consent.tcf)
    except InvalidConsentString as bad:
        raise InvalidInput.collect([FieldProblem("consent.tcf", str(bad))]) from None
    return DecisionRequest(
        slots=tuple(SlotRequest(a.id, a.count) for a in body.placements),
        context=Context(
            url=ctx.url,
            keywords=tuple(ctx.keywords),
            category=ctx.category,
            query=ctx.query,
            skus=tuple(ctx.skus),
            device=ctx.device,
            country=ctx.country,
        ),
        user_id=body.user.id,
        consent=consent.allowed,
        debug=body.debug,
    )


def ad_out(ad: ServedAd, tracking: dict[str, str]) -> AdOut:
    c, li, p = ad.creative, ad.candidate.line_item, ad.product
    return AdOut(
        ad_id=ad.ad_id,
        advertiser_id=li.advertiser_id,
        campaign_id=li.campaign_id,
        line_item_id=li.id,
        creative_id=c.id,
        format=c.format,
        creative=CreativeOut(
            size=c.size,
            image_url=c.image_url,
            title=c.title,
            body=c.body,
            media_url=c.media_url,
            html=c.html,
            duration_seconds=c.duration_seconds,
            click_url=c.click_url,
        ),
        sku=p.sku if p else None,
        product=ProductOut(
            sku=p.sku,
            title=p.title,
            brand=p.brand,
            category=p.category,
            price=from_micros(p.price_micros) if p.price_micros is not None else None,
            image_url=p.image_url,
            url=p.url,
        )
        if p
        else None,
        price=from_micros(ad.price_micros),
        pricing=li.pricing,
        tracking=TrackingOut(**tracking),
    )


def decision_out(decision: Decision, urls: Callable[[ServedAd], dict[str, str]]) -> DecisionOut:
    explain = None
    if decision.explain is not None:
        explain = [
            ExplainOut(
                placement_id=e.placement_id,
                line_item_id=e.line_item_id,
                advertiser_id=e.advertiser_id,
                ecpm=from_micros(e.ecpm_micros) if e.ecpm_micros is not None else None,
                won=e.won,
                reason=e.reason,
            )
            for e in decision.explain
        ]
    return DecisionOut(
        request_id=decision.request_id,
        decisions={pid: [ad_out(a, urls(a)) for a in ads] for pid, ads in decision.ads.items()},
        explain=explain,
    )


async def _debug_allowed(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    if credentials is None:
        raise Unauthorized("`debug` needs an operator key: send `Authorization: Bearer <key>`")
    # The key is looked up in the database: in the thread pool, never on the event loop.
    principal: Principal = await run_in_threadpool(
        principal_for, runtime_of(request).db_sessions, credentials, runtime_of(request).clock.now()
    )
    if not principal.is_operator:
        raise Forbidden("only an operator key may ask for `debug`")


@router.post(
    "/v1/decisions",
    response_model=DecisionOut,
    summary="Decide which ads to show",
    openapi_extra=documented_body(DecisionIn) | OPTIONAL_KEY,
)
async def decide(request: Request) -> JsonBody:
    """Run the auction for each placement asked for, in order. With `debug` (operator key
    only), `explain` lists every line item considered, its eCPM and why it lost."""
    body = parse_body(DecisionIn, await read_body(request))
    if body.debug:  # the key is read only then: most requests carry none
        await _debug_allowed(request, await bearer(request))
    holder: SnapshotHolder = runtime_of(request).snapshots
    ask = to_request(body)  # consent read here, once (a TCF string is decoded)
    try:
        decision = await decide_with(runtime_of(request).serving, holder.snapshot, ask)
    except UnknownPlacements as unknown:
        raise InvalidInput.collect(
            [
                FieldProblem(f"placements.{i}.id", f"no placement {pid!r}")
                for i, pid in zip(unknown.positions, unknown.ids, strict=True)
            ]
        ) from None
    rt = runtime_of(request)
    now = rt.clock.now()
    served_at = int(now.timestamp())
    note_decision(
        rt.serving, ask, decision, [(p.id, p.count, len(decision.ads.get(p.id, ()))) for p in body.placements], now
    )

    def urls(ad: ServedAd) -> dict[str, str]:
        return tracking_for(rt.serving, ad, body.user.id, served_at)

    answer = decision_out(decision, urls)
    # Demand partners bid on slots left unsold (demand/serving.py); none live: no await.
    if rt.demand.partners and (unsold := rt.demand.unsold(holder.snapshot, decision, body)):
        await rt.demand.fill(answer, unsold, body, ask.consent, request.headers.get("user-agent"))
    return JsonBody(answer, headers=ANY_ORIGIN)

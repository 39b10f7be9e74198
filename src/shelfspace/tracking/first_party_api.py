"""`POST /v1/events/conversions` and `/v1/events/behaviour`: operator keys only."""

from __future__ import annotations

from fastapi import APIRouter, Request

from shelfspace.accounts.caller import Caller
from shelfspace.core.errors import Unavailable
from shelfspace.core.jsonbody import JsonBody
from shelfspace.events.model import EventType
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.http.raw_body import documented_body, parse_body, read_body
from shelfspace.runtime import runtime_of
from shelfspace.tracking.first_party import Accepted, Batch, BehaviourBatch, ConversionBatch, validate
from shelfspace.tracking.recorder import Recorder

router = APIRouter(tags=["events"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 422)})


async def _ingest(kind: EventType, request: Request, caller: Caller) -> JsonBody:
    caller.require_operator(f"send {kind} events")
    batch = parse_body(Batch, await read_body(request))
    good, rejected = validate(kind, batch.events, runtime_of(request).clock.now())
    recorder: Recorder = runtime_of(request).recorder
    try:
        stored = await recorder.record([event for _, event in good])
    except Exception as error:
        raise Unavailable("the events could not be stored; send the batch again") from error
    new = sum(stored)
    return JsonBody(Accepted(accepted=new, duplicates=len(good) - new, rejected=rejected), status_code=202)


@router.post(
    "/v1/events/conversions",
    status_code=202,
    response_model=Accepted,
    summary="Send orders",
    openapi_extra=documented_body(ConversionBatch),
)
async def conversions(request: Request, caller: Caller) -> JsonBody:
    """Orders, for closed-loop attribution. Each event is checked on its own; the answer
    lists the rejected ones with their reason. Stored durably before the answer."""
    return await _ingest(EventType.CONVERSION, request, caller)


@router.post(
    "/v1/events/behaviour",
    status_code=202,
    response_model=Accepted,
    summary="Send shopper behaviour",
    openapi_extra=documented_body(BehaviourBatch),
)
async def behaviour(request: Request, caller: Caller) -> JsonBody:
    """Views, searches, add-to-carts and purchases, for audiences. As conversions: each
    event checked on its own, stored once by id, on disk before the answer."""
    return await _ingest(EventType.BEHAVIOUR, request, caller)

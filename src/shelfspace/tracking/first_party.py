"""Conversions and behaviour events from the operator's own systems, validated one by one.

A batch is never refused for one bad event: each event is checked on its own, the good
ones are stored (durably, before the answer), and the answer lists every rejected event
with its position, its id and the reason. An id seen before is stored once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from shelfspace.catalog.fields import Category, Sku, UtcDatetime
from shelfspace.core.inputs import InputModel
from shelfspace.core.money import Money, to_micros
from shelfspace.events.model import BehaviourType, Event, EventType

MAX_BATCH = 10_000
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ a little; an order from tomorrow is a bug

EventId = Annotated[str, Field(min_length=1, max_length=200, description="Yours; the same id is stored once.")]
UserId = Annotated[str, Field(min_length=1, max_length=200)]


class Item(InputModel):
    sku: Sku
    quantity: int = Field(ge=1, le=100_000)
    price: Money = Field(description="The unit price paid.")


class ConversionIn(InputModel):
    id: EventId
    user_id: UserId
    time: UtcDatetime
    items: list[Item] = Field(min_length=1, max_length=1000)


class BehaviourIn(InputModel):
    id: EventId
    user_id: UserId
    time: UtcDatetime
    type: BehaviourType
    sku: Sku | None = None
    category: Category | None = None
    query: Annotated[str, Field(max_length=500)] | None = None


class ConversionBatch(BaseModel):
    """The documented shape; events are validated one by one (`Batch` takes them raw)."""

    events: list[ConversionIn] = Field(max_length=MAX_BATCH)


class BehaviourBatch(BaseModel):
    events: list[BehaviourIn] = Field(max_length=MAX_BATCH)


class Batch(InputModel):
    events: list[Any] = Field(max_length=MAX_BATCH)


class Rejected(BaseModel):
    index: int = Field(description="Position in `events`, from 0.")
    id: str | None
    reason: str


class Accepted(BaseModel):
    accepted: int = Field(description="Events stored now.")
    duplicates: int = Field(description="Events whose id was stored before: accepted once, not again.")
    rejected: list[Rejected]


def _reason(error: ValidationError) -> str:
    parts = []
    for problem in error.errors(include_url=False):
        field = ".".join(str(p) for p in problem["loc"]) or "event"
        parts.append(f"{field}: {str(problem['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


def _conversion_event(event: ConversionIn) -> Event:
    items = [{"sku": i.sku, "quantity": i.quantity, "price_micros": to_micros(i.price)} for i in event.items]
    return Event(
        f"{EventType.CONVERSION}:{event.id}",
        EventType.CONVERSION,
        event.time.timestamp(),
        user_id=event.user_id,
        data={"id": event.id, "items": items},
    )


def _behaviour_event(event: BehaviourIn) -> Event:
    data = {"id": event.id, "type": str(event.type), "sku": event.sku, "category": event.category, "query": event.query}
    return Event(
        f"{EventType.BEHAVIOUR}:{event.id}",
        EventType.BEHAVIOUR,
        event.time.timestamp(),
        user_id=event.user_id,
        data={k: v for k, v in data.items() if v is not None},
    )


CONVERSION = TypeAdapter(ConversionIn)
BEHAVIOUR = TypeAdapter(BehaviourIn)


def validate(kind: EventType, raw: list[Any], now: datetime) -> tuple[list[tuple[int, Event]], list[Rejected]]:
    """Each raw event as a log event, or its rejection; events keep their batch position."""
    good: list[tuple[int, Event]] = []
    rejected: list[Rejected] = []
    for index, item in enumerate(raw):
        raw_id = item.get("id") if isinstance(item, dict) else None
        shown_id = raw_id if isinstance(raw_id, str) else None
        try:
            if kind is EventType.CONVERSION:
                conversion = CONVERSION.validate_python(item)
                when, event = conversion.time, _conversion_event(conversion)
            else:
                behaviour = BEHAVIOUR.validate_python(item)
                when, event = behaviour.time, _behaviour_event(behaviour)
        except ValidationError as error:
            rejected.append(Rejected(index=index, id=shown_id, reason=_reason(error)))
            continue
        if when > now + FUTURE_TOLERANCE:
            rejected.append(Rejected(index=index, id=shown_id, reason=f"time: {when.isoformat()} is in the future"))
            continue
        good.append((index, event))
    return good, rejected

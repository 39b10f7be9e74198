"""The campaign edit form: its fields as saved, and what a sent form changes.

The fields are the wizard's (read and checked by its helpers, so a value the wizard would
refuse is refused here, beside the same field, in the same words), plus what only an
existing campaign has: the line item's own name and status, the measurement settings, and
the day-parts (dayparts.py). Only what the person changed is sent to the services: an end
set through the API at 15:30 stays at 15:30 unless the last day is edited, and a form sent
back untouched changes nothing and records nothing.

Some fields only change while the campaign has not started: its first day and the lift's
read date (services/campaigns.py fixes it from the start). Those are shown, not editable,
once it has started, and whatever the form says about them then is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from shelfspace.catalog.enums import AdFormat, CapPeriod, DeliveryStatus, Pricing
from shelfspace.catalog.models import Campaign, LineItem
from shelfspace.catalog.schemas import CampaignUpdate, Daypart, LineItemUpdate, Targeting
from shelfspace.core.money import to_micros
from shelfspace.core.money_words import typed_amount
from shelfspace.dashboard.brand.wizard import campaign_spec, form_errors, form_values, line_item_spec
from shelfspace.dashboard.forms import FieldErrors, text
from shelfspace.runtime import runtime_of

EDITABLE_STATUSES = (DeliveryStatus.LIVE, DeliveryStatus.PAUSED)
# The line item's fields whose names the campaign's take on the form, and the API's names for them.
LINE_ITEM_RENAMED = {"name": "line_item_name", "status": "line_item_status"}
NO_NAME = "Give the line item a name, e.g. Hero banner."


def has_started(campaign: Campaign, now: datetime) -> bool:
    return campaign.start <= now


def _local_day(moment: datetime | None, tz: ZoneInfo, last: bool = False) -> str:
    """A moment as the form's day: an end (exclusive) as the last day it includes."""
    if moment is None:
        return ""
    return (moment - timedelta(microseconds=1) if last else moment).astimezone(tz).date().isoformat()


def saved_values(campaign: Campaign, line_item: LineItem | None, tz: ZoneInfo) -> dict[str, Any]:
    """The form's fields as the campaign and its line item are now."""
    values: dict[str, Any] = {
        "name": campaign.name,
        "start": _local_day(campaign.start, tz),
        "end": _local_day(campaign.end, tz, last=True),
        "budget_total": typed_amount(campaign.budget_total_micros),
        "budget_daily": typed_amount(campaign.budget_daily_micros),
        "pacing": campaign.pacing.value,
        "is_test": "on" if campaign.is_test else "",
        "holdout_percent": str(campaign.holdout_percent),
        "lift_read_on": _local_day(campaign.lift_read_at, tz),
    }
    if line_item is not None:
        values |= line_item_values(line_item)
    return values


def line_item_values(line_item: LineItem) -> dict[str, Any]:
    targeting = Targeting.model_validate(line_item.targeting)
    cap = line_item.frequency_cap
    return {
        "line_item_name": line_item.name,
        "line_item_status": line_item.status.value,
        "bid": typed_amount(line_item.bid_micros),
        "pricing": line_item.pricing.value,
        "placements": list(line_item.placement_ids),
        "products": list(line_item.products),
        "keywords": ", ".join(targeting.keywords),
        "categories": ", ".join(targeting.categories),
        "countries": ", ".join(targeting.countries),
        "devices": [d.value for d in targeting.devices],
        "audiences": list(targeting.audiences),
        "cap_count": str(cap["count"]) if cap else "",
        "cap_period": cap["period"] if cap else CapPeriod.DAY.value,
        "dayparts": [d.model_dump() for d in targeting.dayparts],
    }


def typed_values(form: FormData) -> dict[str, Any]:
    """The form as sent (the wizard's fields and the edit page's own)."""
    return form_values(form) | {
        k: text(form, k) for k in ("line_item_name", "line_item_status", "is_test", "holdout_percent", "lift_read_on")
    }


def _day_start(raw: str, tz: ZoneInfo) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(raw), time(0), tz).astimezone(UTC)
    except ValueError:
        return None


def campaign_update(
    request: Request,
    campaign: Campaign,
    values: dict[str, Any],
    saved: dict[str, Any],
    started: bool,
    errors: FieldErrors,
) -> CampaignUpdate | None:
    """What the person changed of the campaign, checked as the wizard checks it; None with
    `errors` filled."""
    tz = ZoneInfo(runtime_of(request).settings.timezone)
    spec = campaign_spec(request, values | ({"start": saved["start"]} if started else {}), errors)
    if spec is None:
        return None
    update: dict[str, Any] = {}
    if spec.name != campaign.name:
        update["name"] = spec.name
    if not started and values["start"] != saved["start"]:
        if values["start"] < runtime_of(request).clock.now().astimezone(tz).date().isoformat():
            errors["start"] = "The first day can't be in the past: choose today or later."
        update["start"] = spec.start
    if values["end"] != saved["end"]:
        update["end"] = spec.end
    if to_micros(spec.budget_total) != campaign.budget_total_micros:
        update["budget_total"] = spec.budget_total
    daily = to_micros(spec.budget_daily) if spec.budget_daily is not None else None
    if daily != campaign.budget_daily_micros:
        update["budget_daily"] = spec.budget_daily
    if spec.pacing != campaign.pacing:
        update["pacing"] = spec.pacing
    if (values["is_test"] == "on") != campaign.is_test:
        update["is_test"] = values["is_test"] == "on"
    if values["holdout_percent"] != saved["holdout_percent"]:
        update["holdout_percent"] = values["holdout_percent"] or "0"
    if not started and values["lift_read_on"] != saved["lift_read_on"] and values["lift_read_on"]:
        read_at = _day_start(values["lift_read_on"], tz)
        if read_at is None:
            errors["lift_read_on"] = "A date, e.g. 2026-12-01."
        update["lift_read_at"] = read_at
    try:
        checked = CampaignUpdate.model_validate(update)
    except ValidationError as exc:
        errors |= {k: v for k, v in campaign_errors(exc).items() if k not in errors}
        return None
    return None if errors else checked


def campaign_errors(exc: Any) -> FieldErrors:
    """The campaign's errors by form field, in plain words."""
    found = form_errors(exc)
    if "holdout_percent" in found and "less than or equal" in found["holdout_percent"]:
        found["holdout_percent"] = "Hold out at most 50% of shoppers."
    elif "holdout_percent" in found and (
        "greater than" in found["holdout_percent"] or "valid integer" in found["holdout_percent"]
    ):
        found["holdout_percent"] = "A whole percentage from 0 to 50, e.g. 20."
    if "lift_read_at" in found:
        found["lift_read_on"] = found.pop("lift_read_at")
    return found


def line_item_errors(exc: Any) -> FieldErrors:
    """The line item's errors by form field: its `name` and `status` are the form's own."""
    return {LINE_ITEM_RENAMED.get(k, k): v for k, v in form_errors(exc).items()}


@dataclass
class LineItemEdit:
    update: LineItemUpdate
    added_placements: list[str] = field(default_factory=list)
    added_products: list[str] = field(default_factory=list)


def _same_targeting(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal but for order: a form lists devices in its own order, the API in the caller's."""

    def key(t: dict[str, Any]) -> dict[str, Any]:
        return {k: sorted(v) if k != "dayparts" else v for k, v in t.items()}

    return key(a) == key(b)


def line_item_update(
    values: dict[str, Any],
    line_item: LineItem,
    new_dayparts: list[Daypart] | None,
    formats: dict[str, AdFormat],
    errors: FieldErrors,
) -> LineItemEdit | None:
    """What the person changed of the line item; None with `errors` filled."""
    mine: FieldErrors = {}
    spec = line_item_spec(values | {"name": values["line_item_name"]}, mine)
    errors |= {LINE_ITEM_RENAMED.get(k, k): v for k, v in mine.items()}
    if not values["line_item_name"]:
        errors["line_item_name"] = NO_NAME
    status = values["line_item_status"]
    if status not in [s.value for s in EDITABLE_STATUSES]:
        errors["line_item_status"] = "Choose live or paused."
    chosen = {formats[p] for p in values["placements"] if p in formats}
    if len(chosen) > 1:
        errors["placements"] = "Choose placements of one format: the line item's creatives serve them all."
    if spec is None or errors:
        return None
    edit = LineItemEdit(LineItemUpdate())
    update: dict[str, Any] = {}
    if spec.name != line_item.name:
        update["name"] = spec.name
    if status != line_item.status.value:
        update["status"] = status
    if spec.pricing != line_item.pricing:
        update["pricing"] = spec.pricing
    if to_micros(spec.bid) != line_item.bid_micros:
        update["bid"] = spec.bid
    if set(spec.placements) != set(line_item.placement_ids):
        update["placements"] = sorted(spec.placements)
        edit.added_placements = sorted(set(spec.placements) - set(line_item.placement_ids))
    if set(spec.products) != set(line_item.products):  # the kept ones keep their order (their priority)
        update["products"] = [s for s in line_item.products if s in spec.products] + [
            s for s in spec.products if s not in line_item.products
        ]
        edit.added_products = [s for s in spec.products if s not in line_item.products]
    saved = Targeting.model_validate(line_item.targeting)
    targeting = spec.targeting.model_copy(update={"dayparts": saved.dayparts if new_dayparts is None else new_dayparts})
    if not _same_targeting(targeting.model_dump(mode="json"), saved.model_dump(mode="json")):
        update["targeting"] = targeting
    cap = spec.frequency_cap.model_dump(mode="json") if spec.frequency_cap else None
    if cap != line_item.frequency_cap:
        update["frequency_cap"] = spec.frequency_cap
    edit.update = LineItemUpdate(**update)
    return edit


def pricing_label(pricing: str) -> str:
    return "per thousand impressions, CPM" if pricing == Pricing.CPM.value else "per click, CPC"

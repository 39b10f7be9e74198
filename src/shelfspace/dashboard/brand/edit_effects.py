"""What a saved edit did, and when it takes effect, in the flash after saving.

The edit page says the same beside each group of fields before saving
(templates/brand/campaign_edit.html, and static/campaign_edit.js's summary of what is
about to change). The rules it reports:

- budgets, dates, pacing, the bid and pricing, targeting (day-parts included), the
  frequency cap and the line item's status: in effect within seconds, when delivery's
  snapshot is rebuilt after the save (delivery/snapshots.py); spend already made counts
  against the new budgets, and frequency counts so far are kept;
- names: on the pages and in reports only;
- a placement added: the line item's approved creatives go back to review and it serves
  nowhere until they are approved again (catalog/review_scope.py); a placement removed
  stops within seconds;
- a product added to a sponsored-products line item: an ad is made for it and waits for
  review; the other products keep serving;
- the holdout and the test flag: from the next shopper assigned; the read date only before
  the start.
"""

from __future__ import annotations

from typing import Any

from shelfspace.catalog.schemas import CampaignUpdate, LineItemUpdate

CAMPAIGN_WORDS = {
    "name": "name",
    "start": "first day",
    "end": "last day",
    "budget_total": "total budget",
    "budget_daily": "daily budget",
    "pacing": "pacing",
    "is_test": "test setting",
    "holdout_percent": "holdout",
    "lift_read_at": "lift read date",
}
LINE_ITEM_WORDS = {
    "name": "line item name",
    "status": "line item status",
    "pricing": "pricing",
    "bid": "bid",
    "placements": "placements",
    "products": "products",
    "frequency_cap": "frequency cap",
}
TARGETING_WORDS = {
    "keywords": "keywords",
    "categories": "categories",
    "audiences": "audiences",
    "countries": "countries",
    "devices": "devices",
    "dayparts": "day-parts",
}
SOON = {
    "start",
    "end",
    "budget_total",
    "budget_daily",
    "pacing",
    "status",
    "pricing",
    "bid",
    "placements",
    "products",
    "frequency_cap",
    "targeting",
    "holdout_percent",
    "is_test",
}


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def changed_words(
    campaign: CampaignUpdate, line_item: LineItemUpdate | None, old_targeting: dict[str, Any] | None
) -> list[str]:
    words = [CAMPAIGN_WORDS[k] for k in CAMPAIGN_WORDS if k in campaign.model_fields_set]
    if line_item is None:
        return words
    for k, word in LINE_ITEM_WORDS.items():
        if k in line_item.model_fields_set:
            words.append(word)
    if "targeting" in line_item.model_fields_set and line_item.targeting is not None:
        new = line_item.targeting.model_dump(mode="json")
        old = old_targeting or {}
        words += [
            w
            for k, w in TARGETING_WORDS.items()
            if sorted(map(str, new.get(k, []))) != sorted(map(str, old.get(k, [])))
        ] or ["targeting"]
    return words


def summary(
    name: str,
    campaign: CampaignUpdate,
    line_item_name: str | None,
    line_item: LineItemUpdate | None,
    old_targeting: dict[str, Any] | None,
    back_in_review: int,
    added_placements: list[str],
    new_ads: list[str],
) -> str:
    """The flash after a save: what changed, when it takes effect, what is now in review."""
    words = changed_words(campaign, line_item, old_targeting)
    if not words:
        return f"Nothing was changed in {name}."
    fields = set(campaign.model_fields_set) | (set(line_item.model_fields_set) if line_item else set())
    said = [f"{name} is updated: {_listed(words)}."]
    if fields & SOON:
        said.append("Delivery uses the changes within seconds.")
    elif fields <= {"name"}:
        said.append("Names show on your pages and reports; delivery is unchanged.")
    if "lift_read_at" in fields:
        said.append("The lift is read on the new date.")
    if back_in_review:
        plural = "s go" if back_in_review > 1 else " goes"
        said.append(
            f"Because you added {_listed(added_placements)}, {line_item_name}'s {back_in_review} approved "
            f"creative{plural} back to review: it serves again once the operator approves "
            f"{'them' if back_in_review > 1 else 'it'}."
        )
    if new_ads:
        said.append(f"New products wait for the operator's review before they show: {_listed(new_ads)}.")
    return " ".join(said)

"""Rolling up as events come, in runs of any size, gives the very rows one full rebuild
gives: hourly and daily delivery, counted interactions, attributed items and the ledger's
charges, whatever the order events are stored in (late by seconds or by days, repeated),
with campaigns' daily and total budgets and an advertiser's wallet binding.

Events go straight into an in-memory log (any order the recorder could have stored them
in, and some it would have judged otherwise: clicks before their impression, click
floods); the real rollup job rolls them into the database after each batch; then
`rebuild_all` rolls the whole log again from nothing, and every row must be the same."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from shelfspace.billing.models import EntryKind, LedgerEntry
from shelfspace.core.attribution import ViewThrough, Windows
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.events.memory_log import MemoryEventLog
from shelfspace.events.model import AdFacts, Event, EventType, InvalidReason, ad_event_key
from shelfspace.reporting.job import RollupJob
from shelfspace.reporting.models import AttributedItem, RollupDay, RollupHour, RollupInteraction
from shelfspace.reporting.rollup import Delivery
from tests.billing.test_ledger_equals_reports import seed_accounts
from tests.databases import empty_all_tables

TZ = ZoneInfo("Europe/London")
FIRST = datetime(2026, 10, 24, 20, tzinfo=TZ)  # the clocks go back on the 25th: a 25-hour day
HOURS = 60
START = datetime(2026, 10, 1, tzinfo=UTC)
WALLET_MICROS = 2_500_000
CAMPAIGNS = {  # campaign → advertiser, total budget, daily budget
    "c-wallet": ("adv-wallet", 50_000_000, None),  # more than the wallet holds
    "c-wallet-2": ("adv-wallet", 6_000_000, 1_500_000),
    "c-daily": ("adv-credit", 40_000_000, 2_000_000),
    "c-total": ("adv-credit", 1_500_000, None),
    "c-open": ("adv-credit", 10**12, None),
}
USERS = 6  # few users: clicks flood, interactions collide in attribution


@pytest.fixture(autouse=True)
def leave_no_rows(engine: Engine) -> Iterator[None]:
    """The engine is the session's: the next test finds its tables empty."""
    yield
    empty_all_tables(engine)


def seed(engine: Engine) -> None:
    seed_accounts(engine, CAMPAIGNS, WALLET_MICROS)


def history(rng: random.Random, ads: int) -> list[Event]:
    """Over 60 hours: impressions (some bots), viewable ones, clicks (some before their
    impression, some the recorder called invalid, bursts that flood), video progress,
    forged clicks, and orders of the promoted SKUs."""
    events: list[Event] = []
    for n in range(ads):
        campaign_id = rng.choice(list(CAMPAIGNS))
        pricing = rng.choice(("cpm", "cpc"))
        price = rng.randrange(1, 10) * (1_000_000 if pricing == "cpm" else 100_000)
        served = FIRST.timestamp() + rng.randrange(0, HOURS * 3600) + rng.random()
        user = f"u{rng.randrange(USERS)}" if rng.random() < 0.9 else None
        ad = AdFacts(
            ad_id=f"ad{n}",
            placement_id=rng.choice(("hero", "grid")),
            advertiser_id=CAMPAIGNS[campaign_id][0],
            campaign_id=campaign_id,
            line_item_id=f"li{n % 3}",
            creative_id=f"cr{n % 2}",
            sku=rng.choice((None, "sku1", "sku2")),
            pricing=pricing,
            price_micros=price,
            user_id=user,
            served_at=int(served),
            budget_day=datetime.fromtimestamp(served, TZ).date().isoformat(),
        )

        def add(
            kind: EventType,
            at: float,
            invalid: InvalidReason | None = None,
            ad: AdFacts = ad,
            user: str | None = user,
            **data: Any,
        ) -> None:
            events.append(
                Event(
                    ad_event_key(kind, ad.ad_id, invalid) + (f":{data['event']}" if data else ""),
                    kind,
                    at,
                    ad,
                    user,
                    invalid=invalid,
                    data=data or None,
                )
            )

        if rng.random() < 0.85:
            add(EventType.IMPRESSION, served)
        if rng.random() < 0.1:
            add(EventType.IMPRESSION, served + 0.5, InvalidReason.BOT)
        if rng.random() < 0.4:
            add(EventType.VIEWABLE, served + 1)
        if rng.random() < 0.1:
            add(EventType.VIDEO, served + 2, event=rng.choice(("start", "midpoint", "complete", "error")))
        if rng.random() < 0.5:  # a click, often within a minute of the user's others
            at = served + rng.choice((-1800, -5, 3, 20, 40, 700, 30_000))  # the last often on the next day
            add(
                EventType.CLICK,
                at,
                rng.choice(
                    (
                        None,
                        None,
                        InvalidReason.CLICK_WITHOUT_IMPRESSION,
                        InvalidReason.CLICK_FLOOD,
                        InvalidReason.PREFETCH,
                    )
                ),
            )
            if rng.random() < 0.2:  # the same click again, judged otherwise when it came (maybe counted
                # an hour after one that was not: the invalid click leaves its row)
                # (on the same day: an ad's click counted on two days is one rollup_interactions key twice)
                again = at + rng.choice((1, 3700))
                if datetime.fromtimestamp(again, TZ).date() != datetime.fromtimestamp(at, TZ).date():
                    again = at + 1
                add(EventType.CLICK, again, rng.choice((None, InvalidReason.CLICK_FLOOD)))
        if user and rng.random() < 0.15:
            events.append(
                Event(
                    f"conversion:o{n}",
                    EventType.CONVERSION,
                    served + rng.choice((30, 3600, 90_000)),
                    None,
                    user,
                    data={
                        "id": f"o{n}",
                        "items": [
                            {"sku": rng.choice(("sku1", "sku2")), "quantity": 1 + n % 2, "price_micros": 2_500_000}
                        ],
                    },
                )
            )
    for burst in range(rng.randrange(3)):  # a user clicking ad after ad: the flood rule
        user, at = f"u{rng.randrange(USERS)}", FIRST.timestamp() + rng.randrange(0, HOURS * 3600)
        for n in range(rng.randrange(4, 9)):
            facts = AdFacts(
                ad_id=f"burst{burst}-{n}",
                placement_id="grid",
                advertiser_id="adv-credit",
                campaign_id="c-open",
                line_item_id="li0",
                creative_id="cr0",
                sku="sku1",
                pricing="cpc",
                price_micros=100_000,
                user_id=user,
                served_at=int(at),
                budget_day=datetime.fromtimestamp(at, TZ).date().isoformat(),
            )
            events.append(
                Event(ad_event_key(EventType.IMPRESSION, facts.ad_id), EventType.IMPRESSION, at + 8 * n, facts, user)
            )
            events.append(
                Event(ad_event_key(EventType.CLICK, facts.ad_id), EventType.CLICK, at + 8 * n + 2, facts, user)
            )
    forged = Event(
        "click:forged:bad_signature",
        EventType.CLICK,
        FIRST.timestamp() + 100,
        None,
        None,
        invalid=InvalidReason.BAD_SIGNATURE,
    )
    return [*events, forged]


def arrival(
    rng: random.Random,
    events: list[Event],
    late: float,
    repeats: int,
    late_kinds: frozenset[EventType] = frozenset(EventType),
) -> list[Event]:
    """The order the log stores them in: by time, each a little late (up to a few seconds,
    so runs fold the same seconds again), some `late` of the `late_kinds` hours or days
    late, some sent twice."""
    delay = {
        e.key: rng.random() * 4
        + (rng.choice((600, 7200, 86_400)) if e.type in late_kinds and rng.random() < late else 0)
        for e in events
    }
    stored = sorted(events, key=lambda e: e.time + delay[e.key])
    for _ in range(repeats):
        stored.insert(rng.randrange(len(stored) + 1), rng.choice(events))
    return stored


def rows(engine: Engine) -> dict[str, Any]:
    """Every rollup row, without the row ids; the ledger's charges by campaign and day."""
    counts = [f.name for f in fields(Delivery)]
    dims = ["advertiser_id", "campaign_id", "line_item_id", "creative_id", "placement_id", "channel", "sku"]
    with session_scope(make_sessionmaker(engine)) as db:

        def table(model: Any, columns: list[str]) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in db.execute(select(*(getattr(model, c) for c in columns))))

        return {
            "hourly": table(RollupHour, ["day", "hour", *dims, *counts]),
            "daily": table(RollupDay, ["day", *dims, *counts]),
            "interactions": table(RollupInteraction, ["ad_id", "kind", "day", "hour", "time", "user_id", *dims]),
            "attributed": table(
                AttributedItem,
                [
                    "conversion_id",
                    "item_index",
                    "day",
                    "hour",
                    "campaign_id",
                    "purchased_sku",
                    "interaction",
                    "match",
                    "new_to_brand",
                    "quantity",
                    "revenue_micros",
                ],
            ),
            "charges": sorted(
                (c, str(d), -int(v))
                for c, d, v in db.execute(
                    select(LedgerEntry.campaign_id, LedgerEntry.day, func.sum(LedgerEntry.amount_micros))
                    .where(LedgerEntry.kind == EntryKind.CHARGE)
                    .group_by(LedgerEntry.campaign_id, LedgerEntry.day)
                )
                if v
            ),
        }


def roll_in_runs(
    engine: Engine, stored: list[Event], cuts: list[int], settle: float, windows: Windows | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Store the events batch by batch, rolling up after each; then rebuild all. Both rows."""
    seed(engine)
    log = MemoryEventLog()
    job = RollupJob(make_sessionmaker(engine), log, TZ, windows or Windows(), settle_seconds=settle)
    for start, end in zip([0, *cuts], [*cuts, len(stored)], strict=True):
        log.append(stored[start:end])
        job.run()
    incremental = rows(engine)
    job.rebuild_all()
    return incremental, rows(engine)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Event], list[int], float, Windows]:
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    events = history(rng, draw(st.integers(1, 150)))
    late_kinds = draw(st.sampled_from((frozenset(EventType), frozenset({EventType.IMPRESSION}))))
    stored = arrival(
        rng,
        events,
        late=draw(st.sampled_from((0.0, 0.01, 0.05, 0.3))),
        repeats=draw(st.integers(0, 10)),
        late_kinds=late_kinds,
    )
    runs = draw(st.integers(1, 25))
    cuts = sorted(rng.randrange(len(stored) + 1) for _ in range(runs - 1))
    windows = Windows(view_through=draw(st.sampled_from(ViewThrough)))  # which views attribution credits
    return stored, cuts, draw(st.sampled_from((0.0, 5.0, 30.0, 600.0, 3600.0, 20_000.0))), windows


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(scenario=scenarios())
def test_any_split_into_runs_gives_the_rows_of_one_full_rebuild(
    engine: Engine, scenario: tuple[list[Event], list[int], float, Windows]
) -> None:
    stored, cuts, settle, windows = scenario
    incremental, rebuilt = roll_in_runs(engine, stored, cuts, settle, windows)
    for name in rebuilt:
        assert incremental[name] == rebuilt[name], name


@pytest.mark.parametrize("rule", list(ViewThrough))
@pytest.mark.parametrize("settle", [30.0, 7200.0])
def test_caps_bind_and_runs_fold_only_the_tail(engine: Engine, settle: float, rule: ViewThrough) -> None:
    """A fixed stream where every cap binds (the wallet, a daily budget, a total budget),
    rolled in 40 runs with a few late events: the rows equal a rebuild's, and spend is
    capped. (Settling two hours behind, most runs go on from the tail's end.) Under either
    view-through rule, views of both kinds are kept; the rule's views earn the sales."""
    rng = random.Random(7)
    events = history(rng, 400)
    incremental, rebuilt = roll_in_runs(
        engine,
        arrival(rng, events, late=0.02, repeats=5),
        list(range(10, len(events), max(1, len(events) // 40))),
        settle,
        Windows(view_through=rule),
    )
    assert incremental == rebuilt
    kinds = {row[1] for row in rebuilt["interactions"]}
    assert kinds == {"view", "viewable", "click"}
    credited = {row[6] for row in rebuilt["attributed"]}  # the credit's interaction: a click or a view
    assert credited == {"click", "view"}
    spend: dict[str, int] = {}
    for row in rebuilt["daily"]:  # day, the 7 ad dims (campaign second), then the counts (spend fourth)
        spend[row[2]] = spend.get(row[2], 0) + row[1 + 7 + 3]
    assert spend["c-total"] == CAMPAIGNS["c-total"][1]  # bound by the total budget
    assert spend["c-wallet"] + spend["c-wallet-2"] == WALLET_MICROS  # bound by the wallet


def ad(n: int, campaign_id: str, pricing: str, price: int, served: float, user: str = "u1") -> AdFacts:
    return AdFacts(
        ad_id=f"ad{n}",
        placement_id="hero",
        advertiser_id=CAMPAIGNS[campaign_id][0],
        campaign_id=campaign_id,
        line_item_id="li",
        creative_id="cr",
        sku=None,
        pricing=pricing,
        price_micros=price,
        user_id=user,
        served_at=int(served),
        budget_day=datetime.fromtimestamp(served, TZ).date().isoformat(),
    )


def shown(facts: AdFacts, at: float) -> Event:
    return Event(ad_event_key(EventType.IMPRESSION, facts.ad_id), EventType.IMPRESSION, at, facts, facts.user_id)


def clicked(facts: AdFacts, at: float) -> Event:
    return Event(ad_event_key(EventType.CLICK, facts.ad_id), EventType.CLICK, at, facts, facts.user_id)


def test_an_impression_stored_after_its_click_was_settled_on_the_next_day(engine: Engine) -> None:
    """The click (after midnight) was judged without an impression and settled; the
    impression (before midnight) comes a day late: the click's day is folded again."""
    evening = datetime(2026, 10, 26, 23, tzinfo=TZ).timestamp()
    late = ad(1, "c-open", "cpc", 500_000, evening)
    later = [shown(ad(10 + n, "c-open", "cpm", 1_000_000, evening), evening + 3600 * (n + 2)) for n in range(5)]
    stored = [clicked(late, evening + 7200), *later, shown(late, evening)]
    incremental, rebuilt = roll_in_runs(engine, stored, [1, 3, 6], 30.0)
    assert incremental == rebuilt
    assert sum(row[1 + 1 + 7 + 2] for row in rebuilt["hourly"]) == 1  # the click counts


@pytest.mark.parametrize("settle", [30.0, 7200.0])
def test_a_late_event_that_moves_a_day_spend_moves_the_cap_of_the_days_after(engine: Engine, settle: float) -> None:
    """c-total's budget binds on the 26th; a click of the 25th stored on the 26th (in the
    same run as one of the 26th) spends more of it before the 26th: the 26th is capped anew."""
    day_before = datetime(2026, 10, 25, 12, tzinfo=TZ).timestamp()
    day_after = datetime(2026, 10, 26, 9, tzinfo=TZ).timestamp()
    first = ad(1, "c-total", "cpc", 400_000, day_before)
    spenders = [ad(10 + n, "c-total", "cpc", 300_000, day_after + 600 * n, user=f"u{n}") for n in range(6)]
    stored = [shown(first, day_before)]
    for n, facts in enumerate(spenders):
        stored += [shown(facts, day_after + 600 * n), clicked(facts, day_after + 600 * n + 5)]
    stored.append(clicked(first, day_before + 60))  # a day late
    last = ad(20, "c-total", "cpc", 300_000, day_after + 3600, user="u9")
    stored += [shown(last, day_after + 3600), clicked(last, day_after + 3605)]
    incremental, rebuilt = roll_in_runs(engine, stored, list(range(1, len(stored) - 2)), settle)
    assert incremental == rebuilt
    assert sum(c[2] for c in rebuilt["charges"] if c[0] == "c-total") == CAMPAIGNS["c-total"][1]


def test_a_row_left_with_nothing_goes(engine: Engine) -> None:
    """An invalid click alone in its hour (a click before any impression) stops being
    invalid when the ad's next click counts, an hour later and a run later: its row goes,
    as a rebuild would never write it."""
    nine = datetime(2026, 10, 26, 9, 30, tzinfo=TZ).timestamp()
    facts = ad(1, "c-open", "cpc", 500_000, nine)
    early = Event(
        ad_event_key(EventType.CLICK, facts.ad_id, InvalidReason.CLICK_WITHOUT_IMPRESSION),
        EventType.CLICK,
        nine,
        facts,
        facts.user_id,
        invalid=InvalidReason.CLICK_WITHOUT_IMPRESSION,
    )
    stored = [early, shown(facts, nine + 3600), clicked(facts, nine + 3660)]
    incremental, rebuilt = roll_in_runs(engine, stored, [1, 2], 0.0)
    assert incremental == rebuilt
    assert [row[1] for row in rebuilt["hourly"]] == [10]


def became_viewable(facts: AdFacts, at: float) -> Event:
    return Event(ad_event_key(EventType.VIEWABLE, facts.ad_id), EventType.VIEWABLE, at, facts, facts.user_id)


def interactions_of(rows: dict[str, Any]) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in rows["interactions"]]


def test_a_viewable_event_is_a_viewable_view_only_after_a_counted_impression_of_its_ad(engine: Engine) -> None:
    """ad1: served, then viewable; ad2: viewable with no counted impression (a bot's); ad3:
    viewable, its impression stored and timed after it. Only ad1's is a viewable view, and
    only ad1's is a viewable impression: a viewable event before any counted impression of
    its ad counts nowhere (the other two are invalid viewable impressions)."""
    nine = datetime(2026, 10, 26, 9, tzinfo=TZ).timestamp()
    seen, unseen, early = (
        ad(1, "c-open", "cpm", 1_000_000, nine),
        ad(2, "c-open", "cpm", 1_000_000, nine),
        ad(3, "c-open", "cpm", 1_000_000, nine),
    )
    bot = Event(
        ad_event_key(EventType.IMPRESSION, unseen.ad_id, InvalidReason.BOT),
        EventType.IMPRESSION,
        nine,
        unseen,
        unseen.user_id,
        invalid=InvalidReason.BOT,
    )
    stored = [
        shown(seen, nine),
        became_viewable(seen, nine + 1),
        bot,
        became_viewable(unseen, nine + 1),
        became_viewable(early, nine + 1),
        shown(early, nine + 2),
    ]
    incremental, rebuilt = roll_in_runs(engine, stored, [2, 4, 5], 0.0)
    assert incremental == rebuilt
    assert interactions_of(rebuilt) == [("ad1", "view"), ("ad1", "viewable"), ("ad3", "view")]
    assert sum(row[1 + 7 + 1] for row in rebuilt["daily"]) == 1  # day, 7 ad dims, impressions, then viewable ones
    assert sum(row[1 + 7 + 5] for row in rebuilt["daily"]) == 2  # ... clicks, spend, invalid impressions, viewable


@pytest.mark.parametrize("settle", [30.0, 7200.0])
@pytest.mark.parametrize("judged", [EventType.CLICK, EventType.VIEWABLE])
def test_an_impression_stored_late_before_midnight_rejudges_the_next_days_tail(
    engine: Engine, settle: float, judged: EventType
) -> None:
    """A click or viewable event just after midnight is the last event of its day (in its
    unsettled tail), folded with no impression; the impression, a second before midnight,
    is stored a run later. No new event comes to the event's day, yet it is judged again."""
    midnight = datetime(2026, 10, 27, tzinfo=TZ).timestamp()
    late = ad(1, "c-open", "cpc", 500_000, midnight - 1)
    event = clicked(late, midnight + 5) if judged is EventType.CLICK else became_viewable(late, midnight + 5)
    incremental, rebuilt = roll_in_runs(engine, [event, shown(late, midnight - 1)], [1], settle)
    assert incremental == rebuilt
    assert interactions_of(rebuilt) == sorted(
        [("ad1", "view"), ("ad1", "click" if judged is EventType.CLICK else "viewable")]
    )


def test_the_viewable_rule_credits_the_viewable_view_and_a_rebuild_agrees(engine: Engine) -> None:
    """u1 was served ad1 (viewable) and ad2 (not), then bought ad2's SKU and ad1's: under
    the viewable rule ad2's impression earns nothing, ad1's viewable view earns its SKU."""
    nine = datetime(2026, 10, 26, 9, tzinfo=TZ).timestamp()
    seen = replace(ad(1, "c-open", "cpm", 1_000_000, nine), sku="sku1")
    served = replace(ad(2, "c-open", "cpm", 1_000_000, nine), sku="sku2")
    bought = Event(
        "conversion:o1",
        EventType.CONVERSION,
        nine + 600,
        None,
        "u1",
        data={
            "id": "o1",
            "items": [
                {"sku": "sku2", "quantity": 1, "price_micros": 2_000_000},
                {"sku": "sku1", "quantity": 1, "price_micros": 3_000_000},
            ],
        },
    )
    stored = [shown(seen, nine), shown(served, nine + 5), became_viewable(seen, nine + 9), bought]
    for rule, credited in (
        (ViewThrough.IMPRESSION, [("o1", 0, "view", 2_000_000), ("o1", 1, "view", 3_000_000)]),
        (ViewThrough.VIEWABLE, [("o1", 1, "view", 3_000_000)]),
    ):
        incremental, rebuilt = roll_in_runs(engine, stored, [1, 3], 30.0, Windows(view_through=rule))
        assert incremental == rebuilt
        assert [(r[0], r[1], r[6], r[10]) for r in rebuilt["attributed"]] == credited, rule
        empty_all_tables(engine)

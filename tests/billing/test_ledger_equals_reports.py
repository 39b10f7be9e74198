"""The ledger's charges for any period equal the reports' spend for it, exactly, whatever
events arrive, in whatever order, late or repeated, and however often the rollups run.

Events go through the real recorder (duplicates, click rules, wallet and budget caps) into
an in-memory log; the real rollup job rolls them into SQLite and posts the ledger's
charges; the report is the one `/v1/reports` builds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from shelfspace.billing import ledger
from shelfspace.billing.models import EntryKind, LedgerEntry
from shelfspace.catalog.enums import BillingMode
from shelfspace.catalog.models import Advertiser, Campaign
from shelfspace.core.attribution import Windows
from shelfspace.core.money import from_micros
from shelfspace.counters.memory import MemoryCounters
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.decisioning.inventory import LiveCampaign, Pacing
from shelfspace.events.memory_log import MemoryEventLog
from shelfspace.events.model import AdFacts, Event, EventType, ad_event_key
from shelfspace.reporting.job import RollupJob
from shelfspace.reporting.report import Grouping, ReportQuery, build_report
from shelfspace.tracking.recorder import Recorder
from tests.databases import empty_all_tables, migrated_engine, sqlite_url

TZ = ZoneInfo("Europe/London")
FIRST = datetime(2026, 10, 24, tzinfo=TZ)  # the clocks go back on the 25th: a 25-hour day
DAYS = 4
START = datetime(2026, 10, 1, tzinfo=UTC)
# Two advertisers: one prepaid with a small wallet, one on credit with no limit.
WALLET_MICROS = 3_000_000
CAMPAIGNS = {
    "c-wallet": ("adv-wallet", 50_000_000, None),  # more than the wallet holds
    "c-wallet-2": ("adv-wallet", 6_000_000, 2_000_000),
    "c-credit": ("adv-credit", 40_000_000, 12_000_000),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = migrated_engine(sqlite_url(Path(tmp_path_factory.mktemp("ledger"))))
    yield engine
    engine.dispose()


def seed(engine: Engine) -> None:
    seed_accounts(engine, CAMPAIGNS, WALLET_MICROS)


def seed_accounts(engine: Engine, campaigns: dict[str, tuple[str, int, int | None]], wallet_micros: int) -> None:
    """An empty network with a prepaid advertiser (`adv-wallet`, topped up with
    `wallet_micros` on 1 October) and one on credit (`adv-credit`), and their campaigns
    (id -> advertiser, total budget, daily budget)."""
    empty_all_tables(engine)
    with session_scope(make_sessionmaker(engine)) as db:
        db.add(Advertiser(id="adv-wallet", name="Wallet", domain="w.example", billing_mode=BillingMode.PREPAID))
        db.add(Advertiser(id="adv-credit", name="Credit", domain="c.example", billing_mode=BillingMode.CREDIT))
        db.flush()
        for campaign_id, (advertiser_id, total, daily) in campaigns.items():
            db.add(
                Campaign(
                    id=campaign_id,
                    advertiser_id=advertiser_id,
                    name=campaign_id,
                    start=START,
                    end=None,
                    budget_total_micros=total,
                    budget_daily_micros=daily,
                )
            )
        ledger.post(
            db,
            advertiser_id="adv-wallet",
            kind=EntryKind.TOP_UP,
            amount_micros=wallet_micros,
            day=date(2026, 10, 1),
            time=START,
            actor="test",
            reference="BANK-1",
        )


def live(campaign_id: str) -> LiveCampaign:
    advertiser_id, total, daily = CAMPAIGNS[campaign_id]
    funds = WALLET_MICROS if advertiser_id == "adv-wallet" else None
    return LiveCampaign(campaign_id, advertiser_id, START, None, total, daily, Pacing.ASAP, 0, funds)


def stream(rng: random.Random, ads: int) -> list[Event]:
    """Impressions (CPM 1.00 to 9.00) and clicks (CPC 0.10 to 0.90), a few clicks with no
    impression, over four local days; every ad's budget day is the day it was served."""
    events = []
    for n in range(ads):
        campaign_id = rng.choice(list(CAMPAIGNS))
        pricing = rng.choice(("cpm", "cpc"))
        price = rng.randrange(1, 10) * (1_000_000 if pricing == "cpm" else 100_000)
        served = FIRST + timedelta(minutes=rng.randrange(0, DAYS * 24 * 60))
        ad = AdFacts(
            ad_id=f"ad{n}",
            placement_id="hero",
            advertiser_id=CAMPAIGNS[campaign_id][0],
            campaign_id=campaign_id,
            line_item_id="li",
            creative_id="cr",
            sku=None,
            pricing=pricing,
            price_micros=price,
            user_id=f"u{rng.randrange(20)}",
            served_at=int(served.timestamp()),
            budget_day=served.date().isoformat(),
        )
        if rng.random() < 0.9:
            events.append(
                Event(
                    ad_event_key(EventType.IMPRESSION, ad.ad_id),
                    EventType.IMPRESSION,
                    served.timestamp() + 1,
                    ad,
                    ad.user_id,
                )
            )
        if rng.random() < 0.4:
            events.append(
                Event(
                    ad_event_key(EventType.CLICK, ad.ad_id),
                    EventType.CLICK,
                    served.timestamp() + rng.randrange(2, 600),
                    ad,
                    ad.user_id,
                )
            )
    return events


def charges(engine: Engine, start: date, end: date, campaign_id: str | None = None) -> int:
    with session_scope(make_sessionmaker(engine)) as db:
        stmt = select(func.sum(LedgerEntry.amount_micros)).where(
            LedgerEntry.kind == EntryKind.CHARGE, LedgerEntry.day >= start, LedgerEntry.day <= end
        )
        if campaign_id is not None:
            stmt = stmt.where(LedgerEntry.campaign_id == campaign_id)
        return -int(db.scalar(stmt) or 0)


def reported(engine: Engine, start: date, end: date, campaign_id: str | None = None) -> object:
    with session_scope(make_sessionmaker(engine)) as db:
        query = ReportQuery(start, end, (Grouping.CAMPAIGN,), campaign_id=campaign_id)
        return build_report(db, query, Windows(), "Europe/London").totals["spend"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed_=st.integers(0, 2**32 - 1),
    ads=st.integers(1, 120),
    batch=st.integers(1, 40),
    repeats=st.integers(0, 20),
    roll_every=st.integers(1, 6),
)
def test_the_ledger_charges_any_period_what_the_report_spends(
    engine: Engine, seed_: int, ads: int, batch: int, repeats: int, roll_every: int
) -> None:
    seed(engine)
    rng = random.Random(seed_)
    events = stream(rng, ads)
    events += [rng.choice(events) for _ in range(min(repeats, len(events)))]
    rng.shuffle(events)  # late events: a day is rolled, then more of it arrives
    log = MemoryEventLog()
    recorder = Recorder(log, MemoryCounters(), budgets=live)
    recorder.counters.restore([])
    job = RollupJob(make_sessionmaker(engine), log, TZ)
    for n, start in enumerate(range(0, len(events), batch)):
        recorder.record_now(events[start : start + batch])
        if n % roll_every == 0:
            job.run()
    job.run()

    days = [(FIRST + timedelta(days=d)).date() for d in range(DAYS)]
    for first in days:
        for last in days:
            if last >= first:
                assert from_micros(charges(engine, first, last)) == reported(engine, first, last), (first, last)
    for campaign_id in CAMPAIGNS:
        assert from_micros(charges(engine, days[0], days[-1], campaign_id)) == reported(
            engine, days[0], days[-1], campaign_id
        )
    with session_scope(make_sessionmaker(engine)) as db:
        books = ledger.account_sums(db)
        assert sum(books.values()) == 0  # double entry: every posting has its opposite
        # The wallet never pays more than was put in, in the ledger and in the counters.
        assert ledger.balance(db, "adv-wallet") >= 0
    assert recorder.counters.account_use("adv-wallet").spent <= WALLET_MICROS

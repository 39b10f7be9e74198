"""Notices are made once per event, whoever notices it and however often: by a creative's
review (in the review's transaction) and by the background sweep of the campaigns' states
(started, ended, budgets and funds running low or spent). Each brand person's choice of
e-mail decides who is written to."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.billing import ledger
from shelfspace.billing.models import EntryKind
from shelfspace.db.session import session_scope
from shelfspace.notifications import service
from shelfspace.notifications.kinds import NoticeKind
from shelfspace.notifications.runner import Notifier
from shelfspace.notifications.service import Choice, NewNotice
from tests.dashboard.pages import make_user
from tests.notifications.helpers import UNIT, brand, campaign, emails, notices, notifier, now, spend
from tests.support import Api, banner_creative, runtime
from tests.waiting import wait_for

ANNA, BEN = "anna@harbortea.example", "ben@harbortea.example"


def _notice(advertiser: str, period: str = "2026-12-01") -> NewNotice:
    return NewNotice(
        advertiser,
        NoticeKind.BUDGET_SPENT,
        "campaign",
        "cmp_1",
        period,
        "Today's budget spent",
        "Spent.",
        "/brand/campaigns/cmp_1",
    )


def test_the_same_event_makes_one_notice_however_often_it_is_emitted(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    advertiser = brand(operator, engine, people=(ANNA,))
    sessions = runtime(client).db_sessions
    with session_scope(sessions) as db:
        first = service.emit(db, _notice(advertiser), now())
    with session_scope(sessions) as db:  # a restart, or another process: the same event
        again = service.emit(db, _notice(advertiser), now())
    assert first is not None and again is None
    with session_scope(sessions) as db:  # the next day is another event
        assert service.emit(db, _notice(advertiser, "2026-12-02"), now()) is not None
    assert [n.period for n in notices(client)] == ["2026-12-01", "2026-12-02"]


def test_processes_emitting_the_same_event_at_once_make_one_notice_and_one_email(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    advertiser = brand(operator, engine, people=(ANNA,))
    sessions = runtime(client).db_sessions
    with session_scope(sessions) as db:  # Anna wants this kind by e-mail
        user_id = service.email_recipients(db, advertiser, NoticeKind.CREATIVE_REJECTED)[0][0]
        service.choose(db, user_id, [Choice(NoticeKind.BUDGET_SPENT, True, True)])
    start, made = threading.Barrier(6), []

    def emit() -> None:
        start.wait(timeout=10)
        with session_scope(sessions) as db:
            made.append(service.emit(db, _notice(advertiser), now()))

    threads = [threading.Thread(target=emit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(made) == 6 and len([m for m in made if m is not None]) == 1
    assert len(notices(client)) == 1 and len(emails(client)) == 1


def test_a_rejection_tells_the_brand_why_and_where_to_replace_it(
    client: TestClient, operator: Api, advertiser_api: Api, engine: Engine
) -> None:
    brand_id = advertiser_api.advertiser_id
    assert brand_id is not None
    operator.post(
        "/v1/placements",
        {"id": "home-hero", "name": "Home hero", "channel": "web", "format": "banner", "sizes": ["300x250"]},
    )
    make_user(engine, ANNA, Role.ADVERTISER, brand_id)
    made = campaign(operator, brand_id, now() + timedelta(days=1), name="Winter blend", creative=False)
    creative = advertiser_api.post("/v1/creatives", banner_creative(None, made["line_item_id"]))
    assert notices(client) == []  # sent to review: nothing to tell yet

    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "rejected", "review_note": "The logo is too small"})
    [rejected] = notices(client)
    assert rejected.kind is NoticeKind.CREATIVE_REJECTED and rejected.advertiser_id == brand_id
    assert "banner 300x250 for “Winter blend” was rejected" in rejected.message
    assert "“The logo is too small”" in rejected.message and "goes back to review" in rejected.message
    assert rejected.link == f"/brand/creatives/new?replaces={creative['id']}"
    assert [e.to for e in emails(client)] == [ANNA]  # rejected: e-mailed by default

    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "rejected"})  # no change: no new notice
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "approved"})
    kinds = [n.kind for n in notices(client)]
    assert kinds == [NoticeKind.CREATIVE_REJECTED, NoticeKind.CREATIVE_APPROVED]
    assert notices(client)[1].link == f"/brand/campaigns/{made['id']}"
    assert len(emails(client)) == 1  # approved: in the app only, by default


def test_a_failed_review_tells_nothing(client: TestClient, operator: Api, advertiser_api: Api) -> None:
    """The notice is in the review's transaction: a review refused (no reason) leaves none."""
    brand_id = advertiser_api.advertiser_id
    assert brand_id is not None
    operator.post(
        "/v1/placements",
        {"id": "home-hero", "name": "Home hero", "channel": "web", "format": "banner", "sizes": ["300x250"]},
    )
    made = campaign(operator, brand_id, now(), creative=False)
    creative = advertiser_api.post("/v1/creatives", banner_creative(None, made["line_item_id"]))
    operator.call("PATCH", f"/v1/creatives/{creative['id']}", {"status": "rejected"})
    assert notices(client) == []


def test_the_sweep_tells_a_campaign_started_and_ended_once(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = brand(operator, engine, people=(ANNA,))
    started = campaign(operator, advertiser, now() - timedelta(hours=2), name="Green tea launch")
    ended = campaign(operator, advertiser, now() - timedelta(days=5), now() - timedelta(hours=3), name="Autumn")
    old = campaign(
        operator, advertiser, now() - timedelta(days=40), now() + timedelta(days=20), name="Old faithful"
    )  # running for weeks
    later = campaign(operator, advertiser, now() + timedelta(days=2), name="Next week")
    sweeper = notifier(client)
    assert len(sweeper.sweep()) == 2
    assert sweeper.sweep() == []  # seen again: told once
    found = {(n.kind, n.subject_id) for n in notices(client)}
    assert found == {(NoticeKind.CAMPAIGN_STARTED, started["id"]), (NoticeKind.CAMPAIGN_ENDED, ended["id"])}
    assert not {old["id"], later["id"]} & {n.subject_id for n in notices(client)}
    [ended_notice] = notices(client, kind=NoticeKind.CAMPAIGN_ENDED)
    assert "“Autumn” has ended." in ended_notice.message and ended_notice.link == f"/brand/campaigns/{ended['id']}"
    assert [e.to for e in emails(client)] == [ANNA]  # ended: e-mailed by default; started: in the app only


def test_the_sweep_tells_budgets_running_low_and_spent(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = brand(operator, engine)
    start = now() - timedelta(days=10)  # started long enough ago to be no news
    low_total = campaign(operator, advertiser, start, name="Mostly spent", total=100)
    low_day = campaign(operator, advertiser, start, name="Busy day", total=1000, daily=50)
    spent_day = campaign(operator, advertiser, start, name="Capped", total=1000, daily=20)
    spent_total = campaign(operator, advertiser, start, name="All gone", total=30)
    calm = campaign(operator, advertiser, start, name="Calm", total=1000, daily=50)
    spend(client, low_total, 85 * UNIT)
    spend(client, low_day, 41 * UNIT)
    spend(client, spent_day, 20 * UNIT)
    spend(client, spent_total, 30 * UNIT)
    spend(client, calm, 10 * UNIT)
    sweeper = notifier(client)
    sweeper.sweep()
    sweeper.sweep()
    told = {n.subject_id: n for n in notices(client)}
    assert calm["id"] not in told
    day = now().date().isoformat()
    assert (told[low_total["id"]].kind, told[low_total["id"]].period) == (NoticeKind.BUDGET_LOW, "total:100000000")
    assert "spent 85% of its total budget of $100.00" in told[low_total["id"]].message
    assert (told[low_day["id"]].kind, told[low_day["id"]].period) == (NoticeKind.BUDGET_LOW, f"day:{day}")
    assert (told[spent_day["id"]].kind, told[spent_day["id"]].period) == (NoticeKind.BUDGET_SPENT, f"day:{day}")
    assert "resumes tomorrow" in told[spent_day["id"]].message
    assert (told[spent_total["id"]].kind, told[spent_total["id"]].period) == (NoticeKind.BUDGET_SPENT, "total:30000000")
    assert len(notices(client)) == 4

    operator.patch(f"/v1/campaigns/{spent_total['id']}", {"budget_total": 40})  # raised, then spent again
    spend(client, spent_total | {"budget_total": 40}, 10 * UNIT)
    sweeper.sweep()
    assert [n.period for n in notices(client, subject_id=spent_total["id"])] == ["total:30000000", "total:40000000"]


def test_funds_used_up_are_told_once_per_top_up(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = brand(operator, engine, billing_mode="prepaid")
    operator.post(f"/v1/advertisers/{advertiser}/top-ups", {"amount": "100", "reference": "BANK-1"})
    first = campaign(operator, advertiser, now() - timedelta(days=10), name="First")
    second = campaign(operator, advertiser, now() - timedelta(days=10), name="Second")
    spend(client, first, 100 * UNIT - 4_000, funds=100 * UNIT)  # a sliver under a cent is left
    sweeper = notifier(client)
    sweeper.sweep()
    sweeper.sweep()
    [spent] = notices(client)  # one for the brand, not one per campaign
    assert (spent.kind, spent.subject_id, spent.period) == (NoticeKind.FUNDS_SPENT, advertiser, "funds:100000000")
    assert "The prepaid funds are used up" in spent.message and spent.link == "/brand/billing"

    operator.post(f"/v1/advertisers/{advertiser}/top-ups", {"amount": "50", "reference": "BANK-2"})
    sweeper.sweep()
    assert len(notices(client)) == 1  # topped up: nothing to tell
    spend(client, second, 50 * UNIT, funds=150 * UNIT)
    sweeper.sweep()
    assert [n.period for n in notices(client)] == ["funds:100000000", "funds:150000000"]


def test_funds_running_low_follow_the_billing_rule(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = brand(operator, engine, billing_mode="prepaid")
    operator.post(f"/v1/advertisers/{advertiser}/top-ups", {"amount": "100", "reference": "BANK-1"})
    made = campaign(operator, advertiser, now() - timedelta(days=10))
    spend(client, made, 90 * UNIT, funds=100 * UNIT)  # 10 left, at 48 a day: hours of spend
    with session_scope(runtime(client).db_sessions) as db:
        ledger.post(
            db,
            advertiser_id=advertiser,
            kind=EntryKind.CHARGE,
            amount_micros=-48 * UNIT,
            day=date.today() - timedelta(days=1),
            time=now(),
            actor="test",
            campaign_id=made["id"],
        )
    sweeper = notifier(client)
    sweeper.sweep()
    sweeper.sweep()
    [low] = notices(client, kind=NoticeKind.FUNDS_LOW)
    assert low.period == "funds:100000000" and low.subject_id == advertiser
    assert low.message.startswith("$10.00 is left: less than a day of spend at $48.00 a day.")


def test_the_background_thread_sweeps_on_its_own(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = brand(operator, engine)
    made = campaign(operator, advertiser, now() - timedelta(hours=1), name="Green tea launch")
    rt = runtime(client)
    thread = Notifier(
        rt.db_sessions, rt.settings, rt.counters, rt.campaign_facts, rt.clock, send_seconds=0.05, sweep_seconds=0.1
    )
    thread.start()
    try:
        wait_for(lambda: bool(notices(client, kind=NoticeKind.CAMPAIGN_STARTED)), 10, "a sweep by the thread")
    finally:
        thread.stop()
    assert [n.subject_id for n in notices(client)] == [made["id"]]

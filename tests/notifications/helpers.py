"""A brand with people, campaigns and spend, for the notifications' tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.roles import Role
from shelfspace.counters.protocol import BudgetLimits
from shelfspace.db.session import session_scope
from shelfspace.notifications.models import Notice, NoticeEmail
from shelfspace.notifications.runner import Notifier
from tests.dashboard.pages import make_user
from tests.support import BANNER, Api, banner_creative, line_item_body, runtime

UNIT = 1_000_000


def brand(operator: Api, engine: Engine, name: str = "Harbor Tea", people: tuple[str, ...] = (), **billing: Any) -> str:
    if not any(p["id"] == BANNER["id"] for p in operator.get("/v1/placements")["data"]):
        operator.post("/v1/placements", BANNER)
    domain = name.lower().replace(" ", "") + ".example"
    made = operator.post("/v1/advertisers", {"name": name, "domain": domain} | billing)
    for email in people:
        make_user(engine, email, Role.ADVERTISER, made["id"])
    return str(made["id"])


def campaign(
    operator: Api,
    advertiser: str,
    start: datetime,
    end: datetime | None = None,
    name: str = "Tea time",
    total: float = 1000,
    daily: float | None = None,
    creative: bool = True,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "advertiser_id": advertiser,
        "name": name,
        "start": start.isoformat(),
        "end": (end or start + timedelta(days=30)).isoformat(),
        "budget_total": total,
    }
    if daily is not None:
        body["budget_daily"] = daily
    made: dict[str, Any] = operator.post("/v1/campaigns", body)
    made["line_item_id"] = operator.post("/v1/line-items", line_item_body(made["id"]))["id"]
    if creative:
        made["creative_id"] = operator.post("/v1/creatives", banner_creative(advertiser, made["line_item_id"]))["id"]
    return made


def spend(client: TestClient, made: dict[str, Any], micros: int, funds: int | None = None) -> None:
    """Delivery charged today through the budget counters, as the engine charges it."""
    rt = runtime(client)
    day = rt.clock.now().astimezone(UTC).date().isoformat()
    limits = BudgetLimits(
        made["id"], day, made_total(made), made_daily(made), made["advertiser_id"] if funds is not None else None, funds
    )
    assert rt.counters.settle(None, limits, micros) == micros


def made_total(made: dict[str, Any]) -> int:
    return int(float(made["budget_total"]) * UNIT)


def made_daily(made: dict[str, Any]) -> int | None:
    return int(float(made["budget_daily"]) * UNIT) if made.get("budget_daily") is not None else None


def notifier(client: TestClient) -> Notifier:
    rt = runtime(client)
    return Notifier(rt.db_sessions, rt.settings, rt.counters, rt.campaign_facts, rt.clock)


def notices(client: TestClient, **where: Any) -> list[Notice]:
    with session_scope(runtime(client).db_sessions) as db:
        stmt = select(Notice).order_by(Notice.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(Notice, name) == value)
        found = list(db.scalars(stmt))
        db.expunge_all()
        return found


def emails(client: TestClient) -> list[NoticeEmail]:
    with session_scope(runtime(client).db_sessions) as db:
        found = list(db.scalars(select(NoticeEmail).order_by(NoticeEmail.id)))
        db.expunge_all()
        return found


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)

"""`shelfspace demo`, the README's first command, run as a user runs it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx

from tests.servers import base_env, running_server, shelfspace
from tests.support import pdf_text
from tests.waiting import wait_for


def printed_key(log: Path, who: str) -> str:
    match = re.search(rf"^{who} key:\s+(\S+)", log.read_text(), re.MULTILINE)
    assert match, f"no {who} key in the demo's output:\n{log.read_text()}"
    return match.group(1)


def check_demo_decisions(public: httpx.Client, operator: httpx.Client) -> None:
    """The seeded network serves: milk in search brings Dairyland's milk, each SKU once;
    the operator's rules show in `explain`."""
    search = {"placements": [{"id": "search-sponsored", "count": 4}], "context": {"query": "milk"}}
    ads = public.post("/v1/decisions", json=search).json()["decisions"]["search-sponsored"]
    why = operator.post("/v1/decisions", json=search | {"debug": True}).json()["explain"]
    assert ads, why
    assert all(ad["product"]["brand"] == "Dairyland" and "milk" in ad["product"]["title"].lower() for ad in ads)
    assert len(ads) == 1  # one slot per advertiser per placement
    explained = operator.post(
        "/v1/decisions",
        json={
            "placements": [{"id": "recipes-preroll"}, {"id": "ctv-preroll"}],
            "context": {"device": "ctv"},
            "user": {"id": "viewer-1"},
            "consent": {"targeting": True},
            "debug": True,
        },
    ).json()
    reasons = {(e["placement_id"], e["reason"]) for e in explained["explain"]}
    assert ("recipes-preroll", "blocked_category") in reasons  # no streaming services on recipe videos
    assert explained["decisions"]["ctv-preroll"], "the TV pre-roll sells to the bank or the streaming service"


# A lighter week than the default, so the test runs in seconds; the same code path.
DEMO_ARGS = ("--visits-per-day", "150", "--live-visits-per-second", "3")
DEMO_STARTUP_SECONDS = 180


def check_history_and_live_traffic(operator: httpx.Client) -> None:
    """A week of history is in the reports, and live traffic keeps adding to today."""
    today = date.today()
    week = operator.get(
        "/v1/reports",
        params={"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat(), "group_by": "day"},
    ).json()
    days_with_ads = {row["day"] for row in week["rows"] if row["impressions"] > 0}
    whole_days = {(today - timedelta(days=n)).isoformat() for n in range(1, 8)}
    # Seven whole days of history; today's replayed part may hold no ad in its first hours
    # (a light night), so today is judged by the live traffic below.
    assert whole_days <= days_with_ads, week["rows"]
    assert week["totals"]["clicks"] > 0 and week["totals"]["conversions"] > 0
    assert week["disclosure"]["invalid_traffic"]["impressions"]["invalid"] == 0  # the shoppers are browsers
    ctr = week["totals"]["ctr"]
    assert 0.0005 < float(ctr) < 0.05, ctr

    def today_impressions() -> int:
        rows = operator.get("/v1/reports", params={"from": today.isoformat(), "to": today.isoformat()}).json()
        return int(rows["totals"]["impressions"])

    before = today_impressions()
    wait_for(lambda: today_impressions() > before, 30, "live traffic to add impressions to today's report", interval=1)


def check_simulate(url: str, key: str, env: dict[str, str]) -> None:
    """`shelfspace simulate` sends shoppers to a running server through its API, and says so."""
    done = shelfspace(
        "simulate", "--url", url, "--key", key, "--duration", "4", "--rate", "8", "--shoppers", "50", env=env
    )
    summary = re.search(r"^done: decisions ([\d,]+),.* errors (\d+)", done.stderr, re.MULTILINE)
    assert done.returncode == 0 and summary, done.stderr
    assert int(summary.group(1).replace(",", "")) > 0 and summary.group(2) == "0", done.stderr


def check_demo_login(url: str, log: Path) -> None:
    """The printed operator login opens the console."""
    text = log.read_text()
    email = re.search(r"operator:\s+(\S+@\S+)", text)
    password = re.search(r"password for every demo login: (\S+)\)", text)
    assert email and password, text
    with httpx.Client(base_url=url, follow_redirects=True) as browser:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/login").text)
        assert token
        answer = browser.post(
            "/login", data={"email": email.group(1), "password": password.group(1), "csrf_token": token.group(1)}
        )
        assert answer.status_code == 200 and "Network overview" in answer.text


def check_billing(operator: httpx.Client, log: Path) -> None:
    """The prepaid brand's receipts match its report to the cent, in the PDF too, and its
    wallet never went below zero."""
    assert "every one matches its report: True" in log.read_text(), log.read_text()
    assert re.search(r"^Greenfield \(prepaid\): topped up 10\.00, spent ", log.read_text(), re.MULTILINE)
    greenfield = next(
        a for a in operator.get("/v1/advertisers", params={"limit": 200}).json()["data"] if a["name"] == "Greenfield"
    )
    balance = operator.get(f"/v1/advertisers/{greenfield['id']}/balance").json()
    assert balance["mode"] == "prepaid" and balance["balance"] >= 0 and balance["available"] >= 0, balance
    receipts = operator.get("/v1/invoices", params={"advertiser_id": greenfield["id"]}).json()["data"]
    assert receipts and all(r["kind"] == "receipt" and r["status"] == "paid" for r in receipts)
    for receipt in receipts:
        report = operator.get(
            "/v1/reports",
            params={
                "from": receipt["period_start"],
                "to": receipt["period_end"],
                "group_by": "campaign",
                "advertiser_id": greenfield["id"],
            },
        ).json()
        spend = Decimal(str(report["totals"]["spend"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert spend == Decimal(str(receipt["subtotal"])), (receipt, report)  # one campaign: one line
        pdf = operator.get(f"/v1/invoices/{receipt['id']}", params={"format": "pdf"})
        words = pdf_text(pdf.content)
        assert receipt["number"] in words and f"{Decimal(str(receipt['subtotal'])):.2f}" in words


def test_demo_seeds_once_prints_working_keys_and_serves(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    log = tmp_path / "demo.log"
    with running_server(env, command="demo", log=log, args=DEMO_ARGS, startup_seconds=DEMO_STARTUP_SECONDS) as url:
        operator = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {printed_key(log, 'operator')}"})
        brand = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {printed_key(log, 'advertiser')}"})
        assert "seeded the demo network" in log.read_text()
        everyone = operator.get("/v1/campaigns", params={"limit": 200}).json()["data"]
        own = brand.get("/v1/campaigns", params={"limit": 200}).json()["data"]
        assert len({c["advertiser_id"] for c in everyone}) >= 10
        assert own and len({c["advertiser_id"] for c in own}) == 1 and len(own) < len(everyone)
        assert len(operator.get("/v1/creatives", params={"status": "pending"}).json()["data"]) == 2
        history = brand.get("/v1/audit-log", params={"limit": 500}).json()["data"]  # its own objects' only
        assert history and {e["advertiser_id"] for e in history} == {own[0]["advertiser_id"]}
        check_demo_decisions(httpx.Client(base_url=url), operator)
        check_history_and_live_traffic(operator)
        check_simulate(url, printed_key(log, "operator"), env)
        check_demo_login(url, log)
        check_billing(operator, log)

    # A second start serves the same network and does not seed it twice.
    with running_server(env, command="demo", log=log, args=DEMO_ARGS) as url:
        operator = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {printed_key(log, 'operator')}"})
        assert "already" in log.read_text()
        assert len(operator.get("/v1/campaigns", params={"limit": 200}).json()["data"]) == len(everyone)

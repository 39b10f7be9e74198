"""What `shelfspace demo` does between reading its options and serving: seed the synthetic
network and replay its week (or hand over to the Complete Journey's, sim/journey_demo.py),
print what came of it, and greet the person at the terminal with the logins and keys.

Kept out of cli.py so that the command reads as its steps, and so that each step can be
called on its own (tests/cli runs the command itself, in a process).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from rich.console import Console
from sqlalchemy import Engine, select

from shelfspace.accounts.roles import Principal, Role
from shelfspace.accounts.schemas import ApiKeyCreate
from shelfspace.accounts.service import create_key
from shelfspace.billing.models import DocumentKind
from shelfspace.catalog.models import Advertiser
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.logs import configure_logging
from shelfspace.sim.demo_billing import issue_demo_documents, wallets
from shelfspace.sim.demo_logins import DEMO_PASSWORD, ensure_demo_logins, ensure_team_logins
from shelfspace.sim.demo_network import audience_sizes, seed_demo_network
from shelfspace.sim.progress import replay_progress
from shelfspace.sim.runs import Audience, LiveTraffic, replay_history
from shelfspace.sim.truth import check_test_campaigns

HEALTHY_TRIES = 600  # five a second: two minutes for the server to answer before live traffic gives up waiting


def run_synthetic_demo(
    settings: Settings,
    engine: Engine,
    operator_key: str,
    console: Console,
    history_days: int,
    audience: Audience,
    seeded_at: datetime,
) -> None:
    """Seed Freshmart (`DemoAlreadySeeded` if the database holds a network), replay
    `history_days` days up to `seeded_at`, and print the replay's summary, the test
    campaigns' truth against measurement, the audiences, and the invoices issued."""
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as db:
        network = seed_demo_network(db, seeded_at, ZoneInfo(settings.timezone))
    console.print(
        f"seeded the demo network: {len(network.placement_ids)} placements, {network.products} products, "
        f"{len(network.advertiser_ids)} advertisers, {network.campaigns} campaigns, "
        f"{network.line_items} line items, {network.creatives} creatives"
    )
    if not history_days:
        return
    configure_logging(logging.WARNING)  # the replayed week's routine lines would bury the summary
    try:
        started = time.monotonic()
        with replay_progress(console, f"replaying {history_days} days") as on_progress:
            tally = replay_history(
                settings, engine, operator_key, history_days, audience, until=seeded_at, on_progress=on_progress
            )
        console.print(
            f"replayed {history_days} days and today in {time.monotonic() - started:.0f} s: {tally.summary()}"
        )
        for check in check_test_campaigns(settings, engine, tally, datetime.now(UTC)):
            console.print(f"test campaign {check.line()}")
        with session_scope(sessions) as db:
            sizes = audience_sizes(db)
        console.print("audiences: " + ", ".join(f"{name} {size:,} users" for name, size in sizes))
        with session_scope(sessions) as db:
            documents = issue_demo_documents(db, settings, datetime.now(UTC))
            for wallet in wallets(db, settings.currency):
                console.print(wallet.line())
        console.print(
            f"issued {len(documents)} invoices and receipts; every one matches its report: "
            f"{all(d.matches for d in documents)}"
        )
        for document in documents:
            if document.kind is DocumentKind.RECEIPT or not document.matches:
                console.print(f"  {document.line()}")
    finally:
        configure_logging()


def greet(settings: Settings, engine: Engine, by: Principal, operator_key: str, console: Console) -> None:
    """The demo logins (made if missing), a brand key, and where to go: printed."""
    with session_scope(make_sessionmaker(engine)) as db:
        logins = ensure_demo_logins(db)
        team_logins = ensure_team_logins(db)
        first_brand = db.scalars(select(Advertiser.id).order_by(Advertiser.id).limit(1)).first()
        _, brand_key = create_key(
            db, by, ApiKeyCreate(role=Role.ADVERTISER, advertiser_id=first_brand, name="demo brand")
        )
    base = settings.base_url()
    console.print(f"\nShelfspace demo: [bold]{settings.network_name}[/bold] on [bold]{base}[/bold]")
    console.print(f"  dashboard:  {base}/login   (password for every demo login: {DEMO_PASSWORD})")
    console.print(f"  operator:   {logins[0].email}")
    for login in logins[1:3]:
        console.print(f"  brand:      {login.email}  ({login.who})")
    for login in team_logins:  # what a team role changes: the same pages, fewer rights
        console.print(f"  team:       {login.email}  ({login.who})")
    console.print(f"  media kit:  {base}/media-kit    API docs: {base}/docs")
    if settings.smtp_host is None:
        console.print(
            "  sign-ups:   no SMTP host set: each e-mail confirmation link is written to this log "
            "(mail_not_sent_no_smtp_host); set SHELFSPACE_SMTP_HOST to send them"
        )
    console.print()
    console.print(f"operator key:   {operator_key}")
    console.print(f"advertiser key: {brand_key}  (advertiser {first_brand})")
    console.print(f"try: curl -H 'Authorization: Bearer {operator_key}' {base}/v1/campaigns\n")


def start_when_healthy(base: str, live: LiveTraffic) -> None:
    """Live traffic starts once the server answers; it runs until the process ends."""
    for _ in range(HEALTHY_TRIES):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    live.start_in_background()

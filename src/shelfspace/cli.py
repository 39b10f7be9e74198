"""The `shelfspace` command: serve, worker, migrate, keys, users, demo, simulate, backtest-forecasts."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from shelfspace.accounts.roles import Principal, Role
from shelfspace.config import Settings, SettingsError, load_settings
from shelfspace.sim.demo_sources import DemoData

if TYPE_CHECKING:
    from shelfspace.events.log import EventLog

# Which shoppers a demo or a backtest replays: `demo` and `backtest-forecasts` take the same option.
DataOption = Annotated[
    DemoData,
    typer.Option(
        "--data",
        help="synthetic: made-up shoppers; complete-journey: dunnhumby's real baskets (the demo-data extra).",
    ),
]

app = typer.Typer(help="Shelfspace: an open-source media network in a box.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
users_app = typer.Typer(help="Dashboard users.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
tracking_keys_app = typer.Typer(help="The keys that sign tracking URLs.", no_args_is_help=True)
app.add_typer(tracking_keys_app, name="tracking-keys")
console = Console(stderr=True, soft_wrap=True)  # never wrap a key or URL

CLI = Principal(actor="cli", role=Role.OPERATOR)
"""Whoever runs the command on the server's machine: recorded as `cli` in the audit log."""


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def prepared_engine(settings: Settings):  # type: ignore[no-untyped-def]
    """The configured database, migrated to the newest schema."""
    from sqlalchemy.exc import OperationalError

    from shelfspace.db.engine import make_engine
    from shelfspace.db.migrate import current_revision, upgrade

    engine = make_engine(settings.sqlalchemy_url())
    try:
        upgrade(engine)
    except OperationalError as exc:
        console.print(
            f"[red]cannot reach the database {settings.sqlalchemy_url().render_as_string()}: {exc.orig}[/red]"
        )
        raise typer.Exit(1) from None
    console.print(f"database ready at revision {current_revision(engine)}")
    return engine


HostOption = Annotated[str | None, typer.Option("--host", help="Default: SHELFSPACE_HOST or 127.0.0.1.")]
PortOption = Annotated[int | None, typer.Option("--port", help="Default: SHELFSPACE_PORT or 8000.")]


GRACEFUL_SHUTDOWN_SECONDS = 20  # on SIGTERM: requests in flight finish, queued events are stored


@app.command()
def serve(
    host: HostOption = None,
    port: PortOption = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help=(
                "Server processes on this machine. More than one needs production mode "
                "(SHELFSPACE_REDIS_URL and a PostgreSQL SHELFSPACE_DATABASE_URL): they share budgets through Redis."
            ),
        ),
    ] = 1,
) -> None:
    """Migrate the database if needed, then serve the API."""
    import os
    import tempfile

    import uvicorn

    from shelfspace.app import create_app
    from shelfspace.http.metrics import prepare_multiprocess
    from shelfspace.http.server_limits import server_options
    from shelfspace.logs import configure_logging

    settings = settings_or_exit(host=host, port=port)
    if workers > 1 and settings.redis_url is None:
        console.print(
            "[red]--workers above 1 needs SHELFSPACE_REDIS_URL (and a PostgreSQL "
            "SHELFSPACE_DATABASE_URL): each process alone would keep budgets of its own "
            "and could overspend them.[/red]"
        )
        raise typer.Exit(2)
    configure_logging()
    engine = prepared_engine(settings)
    mode = "production: Redis counters, PostgreSQL event log" if settings.redis_url else "embedded"
    console.print(
        f"Shelfspace on {settings.base_url()}  (API docs: {settings.base_url()}/docs; "
        f"{workers} process{'es' if workers > 1 else ''}, {mode})"
    )
    if workers == 1:
        uvicorn.run(
            create_app(settings, engine),
            host=settings.host,
            port=settings.port,
            log_level="info",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            **server_options(),
        )
        return
    engine.dispose()
    # The worker processes read the same settings from the environment.
    os.environ["SHELFSPACE_HOST"], os.environ["SHELFSPACE_PORT"] = settings.host, str(settings.port)
    with tempfile.TemporaryDirectory(prefix="shelfspace-metrics-") as metrics_dir:
        prepare_multiprocess(Path(metrics_dir))  # /metrics adds up every worker's
        uvicorn.run(
            "shelfspace.asgi:app_from_environment",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level="info",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            **server_options(),
        )


@app.command()
def worker() -> None:
    """Production mode: roll up events from the Redis stream into PostgreSQL until stopped."""
    import signal
    from zoneinfo import ZoneInfo

    from shelfspace.db.session import make_sessionmaker
    from shelfspace.events.postgres_log import PostgresEventLog
    from shelfspace.events.stream import EventStream
    from shelfspace.logs import configure_logging
    from shelfspace.reporting.job import RollupJob
    from shelfspace.reporting.worker import RollupWorker

    settings = settings_or_exit()
    if settings.redis_url is None:
        console.print(
            "[red]the worker runs in production mode: set SHELFSPACE_REDIS_URL and a PostgreSQL "
            "SHELFSPACE_DATABASE_URL (the embedded server rolls up by itself)[/red]"
        )
        raise typer.Exit(2)
    configure_logging()
    engine = prepared_engine(settings)
    event_log = PostgresEventLog(settings.postgres_conninfo())
    windows = settings.attribution_windows()
    job = RollupJob(make_sessionmaker(engine), event_log, ZoneInfo(settings.timezone), windows)
    rollups = RollupWorker(job, event_log, EventStream.from_url(settings.redis_url), settings.archive_directory())
    for signum in (signal.SIGTERM, signal.SIGINT):  # finish the step in progress, then stop
        signal.signal(signum, lambda *_: rollups.stopping.set())
    console.print(f"rollup worker {rollups.name}: reading the event stream (Ctrl-C stops it)")
    try:
        rollups.run()
    finally:
        event_log.close()
        engine.dispose()


@app.command()
def archive(
    day: Annotated[str, typer.Option(help="The day to archive, YYYY-MM-DD in the network's time zone.")],
) -> None:
    """Write a day's raw events to a Parquet file (the workers do it for every day that ends)."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from shelfspace.backends import EVENT_LOG_FILE
    from shelfspace.events.archive import archive_day

    try:
        date.fromisoformat(day)
    except ValueError:
        console.print(f"[red]--day: {day!r} is not a date like 2026-11-24[/red]")
        raise typer.Exit(2) from None
    settings = settings_or_exit()
    prepared_engine(settings)
    if settings.redis_url is None:
        from shelfspace.events.sqlite_log import SqliteEventLog

        event_log: EventLog = SqliteEventLog(settings.data_dir / EVENT_LOG_FILE)
    else:
        from shelfspace.events.postgres_log import PostgresEventLog

        event_log = PostgresEventLog(settings.postgres_conninfo())
    try:
        path, count = archive_day(event_log, day, ZoneInfo(settings.timezone), settings.archive_directory())
    finally:
        event_log.close()
    console.print(f"{count} events of {day} archived in {path}")


@app.command()
def invoices(
    month: Annotated[str | None, typer.Option(help="The month to invoice, YYYY-MM; default: last month.")] = None,
) -> None:
    """Issue the month's invoices and receipts: one per advertiser with anything not yet
    billed up to the month's end (run it from cron on the 1st; running it again issues none)."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from shelfspace.accounts.roles import SYSTEM
    from shelfspace.billing.currency import display
    from shelfspace.billing.invoices import issue_month_for_all
    from shelfspace.core.errors import InvalidInput
    from shelfspace.db.session import make_sessionmaker, session_scope

    settings = settings_or_exit()
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    month = month or (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        console.print(f"[red]--month: {month!r} is not a month like 2026-11[/red]")
        raise typer.Exit(2)
    try:
        with session_scope(make_sessionmaker(prepared_engine(settings))) as db:
            issued = issue_month_for_all(db, SYSTEM, month, settings, now)
            lines = [
                f"{i.number}  {i.kind.value:<8} {i.buyer['name']:<30} "
                f"{display(i.total_micros, i.currency):>12} {i.currency}"
                for i in issued
            ]
    except InvalidInput as refused:
        console.print(f"[red]{refused.message}[/red]")
        raise typer.Exit(2) from None
    for line in lines:
        console.print(line)
    console.print(f"{len(lines)} documents issued for {month}")


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema (serve does this by itself)."""
    prepared_engine(settings_or_exit())


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="operator or advertiser")],
    advertiser: Annotated[str | None, typer.Option(help="The advertiser id, for an advertiser key.")] = None,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key and print it (it is shown only once)."""
    from pydantic import ValidationError

    from shelfspace.accounts.schemas import ApiKeyCreate
    from shelfspace.accounts.service import create_key
    from shelfspace.core.errors import ShelfspaceError
    from shelfspace.db.session import make_sessionmaker, session_scope

    engine = prepared_engine(settings_or_exit())
    try:
        spec = ApiKeyCreate(role=role, advertiser_id=advertiser, name=name)
        with session_scope(make_sessionmaker(engine)) as db:
            key, secret = create_key(db, CLI, spec)
    except (ValidationError, ShelfspaceError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"created {key.role} key {key.id}")
    print(secret)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The sign-in email.")],
    role: Annotated[Role, typer.Option(help="operator or advertiser")] = Role.OPERATOR,
    advertiser: Annotated[str | None, typer.Option(help="The advertiser id, for an advertiser user.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create a dashboard user with a password (asked for, never shown)."""
    from pydantic import ValidationError

    from shelfspace.accounts.schemas import UserCreate
    from shelfspace.accounts.service import create_user
    from shelfspace.core.errors import ShelfspaceError
    from shelfspace.db.session import make_sessionmaker, session_scope

    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    engine = prepared_engine(settings_or_exit())
    try:
        spec = UserCreate(email=email, password=password, role=role, advertiser_id=advertiser)
        with session_scope(make_sessionmaker(engine)) as db:
            user = create_user(db, CLI, spec)
    except (ValidationError, ShelfspaceError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"created {user.role} user {user.email} ({user.id})")


@tracking_keys_app.command("rotate")
def tracking_keys_rotate() -> None:
    """Start signing tracking URLs with a new key. URLs signed before still count until
    they expire; keys no living URL can carry are dropped. Restart servers to sign with it."""
    from datetime import timedelta

    from shelfspace.core.clock import utcnow
    from shelfspace.db.session import make_sessionmaker, session_scope
    from shelfspace.tracking.keys import rotate

    settings = settings_or_exit()
    engine = prepared_engine(settings)
    longest = timedelta(seconds=max(settings.impression_url_ttl_seconds, settings.click_url_ttl_seconds))
    with session_scope(make_sessionmaker(engine)) as db:
        key, dropped = rotate(db, utcnow(), longest)
    console.print(f"signing key is now {key.id}" + (f"; dropped {', '.join(dropped)}" if dropped else ""))


HISTORY_DAYS = 7
DEMO_AUDIENCE_VISITS = 1000  # visits a day in the replayed week: enough for every report to read like a shop's


@app.command()
def demo(
    host: HostOption = None,
    port: PortOption = None,
    history_days: Annotated[
        int, typer.Option(min=0, max=60, help="Days of simulated history on the first run.")
    ] = HISTORY_DAYS,
    visits_per_day: Annotated[
        int, typer.Option(min=10, max=100_000, help="Shopper visits a simulated day.")
    ] = DEMO_AUDIENCE_VISITS,
    live_visits_per_second: Annotated[
        float, typer.Option(min=0, max=100, help="Live traffic while serving; 0 for none.")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the simulated shoppers.")] = 7,
    data: DataOption = DemoData.SYNTHETIC,
) -> None:
    """Seed the Freshmart demo network, replay a week of shoppers through it (or, with
    `--data complete-journey`, two weeks of real baskets), then serve the dashboard and
    the API with live simulated traffic. A second run serves what is there."""
    import os
    import threading
    from datetime import UTC, datetime

    import uvicorn

    from shelfspace.accounts.schemas import ApiKeyCreate
    from shelfspace.accounts.service import create_key
    from shelfspace.app import create_app
    from shelfspace.db.session import make_sessionmaker, session_scope
    from shelfspace.http.server_limits import server_options
    from shelfspace.logs import configure_logging
    from shelfspace.sim.demo_network import DemoAlreadySeeded
    from shelfspace.sim.demo_run import greet, run_synthetic_demo, start_when_healthy
    from shelfspace.sim.journey_data import JourneyDataMissing, installed
    from shelfspace.sim.runs import Audience, LiveTraffic

    if data is DemoData.COMPLETE_JOURNEY and not installed():
        console.print(str(JourneyDataMissing()), style="red", markup=False)  # "[demo-data]" is no markup
        raise typer.Exit(2)
    named = {} if os.environ.get("SHELFSPACE_NETWORK_NAME") else {"network_name": "Freshmart"}
    # The demo's traffic is small: forecasts replay all of it.
    settings = settings_or_exit(host=host, port=port, request_sample_percent=100, **named)
    configure_logging()
    engine = prepared_engine(settings)
    audience = Audience(seed=seed, visits_per_day=visits_per_day)
    with session_scope(make_sessionmaker(engine)) as db:
        _, operator_key = create_key(db, CLI, ApiKeyCreate(role=Role.OPERATOR, name="demo operator"))
    try:
        seeded_at = datetime.now(UTC)  # the replay ends here, and the test campaign is read here
        if data is DemoData.COMPLETE_JOURNEY:
            _journey_demo(settings, engine, operator_key, seeded_at, seed)
        else:
            run_synthetic_demo(settings, engine, operator_key, console, history_days, audience, seeded_at)
    except DemoAlreadySeeded:
        console.print(f"the demo network is already in {settings.data_dir}; serving it")
    greet(settings, engine, CLI, operator_key, console)
    if live_visits_per_second > 0:
        live = LiveTraffic(settings.base_url(), operator_key, audience, live_visits_per_second)
        threading.Thread(target=start_when_healthy, args=(settings.base_url(), live), daemon=True).start()
    uvicorn.run(
        create_app(settings, engine), host=settings.host, port=settings.port, log_level="warning", **server_options()
    )


def _journey_demo(settings: Settings, engine: object, operator_key: str, until: object, seed: int) -> None:
    """The network built from the Complete Journey's baskets, replayed up to `until`, its
    summary printed (sim/journey_demo.py)."""
    import logging
    from datetime import datetime

    from sqlalchemy import Engine

    from shelfspace.logs import configure_logging
    from shelfspace.sim.journey_demo import run_journey_demo

    assert isinstance(engine, Engine) and isinstance(until, datetime)
    configure_logging(logging.WARNING)  # the replay's routine lines would bury the summary
    try:
        run_journey_demo(settings, engine, operator_key, console, until=until, seed=seed)
    finally:
        configure_logging()


@app.command()
def simulate(
    url: Annotated[str, typer.Option(help="The server, e.g. http://127.0.0.1:8000.")],
    key: Annotated[str, typer.Option(help="An operator API key (orders and behaviour events need one).")],
    seed: Annotated[int, typer.Option(help="The same seed gives the same shoppers and the same requests.")] = 7,
    shoppers: Annotated[int, typer.Option(min=1, max=1_000_000)] = 1500,
    rate: Annotated[
        float, typer.Option(min=0.01, max=1000, help="Page views a second (a visit is about three).")
    ] = 3.0,
    duration: Annotated[float | None, typer.Option(min=1, help="Seconds to run; default: until Ctrl-C.")] = None,
) -> None:
    """Send simulated shoppers to a running server through its public API, on the real clock."""
    from shelfspace.sim.runs import Audience, LiveTraffic
    from shelfspace.sim.shop_view import DiscoveryFailed
    from shelfspace.sim.shoppers import MEAN_PAGES_PER_VISIT

    live = LiveTraffic(url.rstrip("/"), key, Audience(shoppers=shoppers, seed=seed), rate / MEAN_PAGES_PER_VISIT)
    try:
        tally = live.run(duration, on_window=lambda t: console.print(t.summary()))
    except DiscoveryFailed as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        live.stopped.set()
        tally = live.tally
    console.print(f"done: {tally.summary()}")
    if tally.errors:
        raise typer.Exit(1)


@app.command("backtest-forecasts")
def backtest_forecasts(
    days: Annotated[int, typer.Option(min=2, max=30, help="Days of simulated history (synthetic).")] = 21,
    warm_up: Annotated[int, typer.Option(min=1, max=29, help="Days of history before the first day forecast.")] = 7,
    visits_per_day: Annotated[
        int, typer.Option(min=10, max=100_000, help="Shopper visits a simulated day (synthetic).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated shoppers.")] = 7,
    until: Annotated[
        str | None, typer.Option(help="The UTC day the history ends before (YYYY-MM-DD); default today.")
    ] = None,
    data: DataOption = DemoData.SYNTHETIC,
    weeks: Annotated[
        int | None,
        typer.Option(min=1, max=8, help="Weeks of real baskets replayed (complete-journey); default: the demo's."),
    ] = None,
    each_day: Annotated[bool, typer.Option("--each-day", help="Also print every campaign-day.")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown tables (as in docs/forecasting.md).")
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the simulated network here (an empty folder); default: a temporary one, deleted."),
    ] = None,
) -> None:
    """Measure forecast accuracy: the demo network's history simulated in a database of its
    own (or, with `--data complete-journey`, the network built from `--weeks` of real
    baskets), each day forecast at its first instant from the days before, then compared
    with what the shoppers were served (median absolute percentage error, docs/forecasting.md)."""
    import logging
    import tempfile
    import time
    from datetime import UTC, date, datetime, timedelta

    from shelfspace.db.engine import make_engine
    from shelfspace.db.migrate import upgrade
    from shelfspace.logs import configure_logging
    from shelfspace.sim.backtest import backtest_settings, run_backtest, seed_network
    from shelfspace.sim.backtest_tables import campaign_rows, day_rows, rich_table, summary_rows
    from shelfspace.sim.backtest_tables import markdown as as_markdown
    from shelfspace.sim.journey_backtest import run_journey_backtest
    from shelfspace.sim.journey_data import JourneyDataMissing, installed
    from shelfspace.sim.journey_window import WINDOW_WEEKS, default_window
    from shelfspace.sim.progress import replay_progress
    from shelfspace.sim.runs import Audience

    journey = data is DemoData.COMPLETE_JOURNEY
    if journey and not installed():
        console.print(str(JourneyDataMissing()), style="red", markup=False)  # "[demo-data]" is no markup
        raise typer.Exit(2)
    weeks = weeks or WINDOW_WEEKS
    days = 7 * weeks if journey else days
    if warm_up >= days:
        console.print("[red]--warm-up must be below the days replayed: at least one day is forecast[/red]")
        raise typer.Exit(2)
    try:
        last = date.fromisoformat(until) if until else datetime.now(UTC).date()
    except ValueError:
        console.print("[red]--until: a date, YYYY-MM-DD[/red]")
        raise typer.Exit(2) from None
    end = datetime.combine(last, datetime.min.time(), UTC)
    with tempfile.TemporaryDirectory(prefix="shelfspace-backtest-") as scratch:
        folder = data_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        settings = backtest_settings(folder)
        engine = make_engine(settings.sqlalchemy_url())
        upgrade(engine)
        configure_logging(logging.WARNING)
        started = time.monotonic()
        if journey:
            window = default_window(weeks)
            console.print(
                f"replaying the Complete Journey's {window.first_day} to {window.end - timedelta(days=1)} "
                f"as {(end - timedelta(days=days)).date()} to {last - timedelta(days=1)}; "
                f"forecasting each day after the first {warm_up}"
            )
            with replay_progress(console, f"replaying {days} days of baskets") as on_progress:
                ran = run_journey_backtest(settings, engine, window, end, warm_up, seed, on_progress)
            result = ran.result
            console.print(
                f"{ran.baskets:,} baskets of {len(ran.data.households):,} households; {ran.campaigns} campaigns "
                f"({ran.promotion_weeks} of them display and mailer weeks)"
            )
        else:
            key = seed_network(engine, days, end)
            console.print(
                f"simulating {days} days, {(end - timedelta(days=days)).date()} to {last - timedelta(days=1)}, "
                f"{visits_per_day:,} visits a day; forecasting each day after the first {warm_up}"
            )
            result = run_backtest(
                settings, engine, key, days, Audience(visits_per_day=visits_per_day, seed=seed), end, warm_up
            )
        engine.dispose()
    console.print(
        f"done in {time.monotonic() - started:.0f} s: {len(result.made)} line item forecasts over "
        f"{result.forecast_days[0]} to {result.forecast_days[1]}"
    )
    tables = [("Forecast accuracy", summary_rows(result)), ("By campaign", campaign_rows(result))]
    if each_day:
        tables.append(("Each campaign-day", day_rows(result)))
    out = Console(soft_wrap=not markdown, width=200)
    for title, rows in tables:
        if markdown:
            out.print(f"\n{title}\n\n{as_markdown(rows)}", markup=False, highlight=False)
        else:
            out.print(rich_table(title, rows))

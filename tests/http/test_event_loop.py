"""Nothing blocks the event loop (issue 17).

Every request of a process shares one event loop: a database query, a password hash or a
Redis command made inside an `async def` route stalls every other request, the decisions
of all pages included. Such work belongs in a plain `def` route (FastAPI runs it in its
thread pool) or in `await run_in_threadpool(...)`.

The watch below records each database connection checkout and SQL statement, argon2 hash
or verification and Redis command made on the event loop's thread (where
`asyncio.get_running_loop()` answers). Then every route the app has is called, API and
pages, as the operator and as a brand, and the flows that reach deeper (signing in with a
real password, signing up, the decision API's `debug`) are played; nothing may have
happened on the loop. The watch also counts what happened off the loop, so a watch that
sees nothing fails too. The walk runs embedded (SQLite, PostgreSQL) and in production
mode (Redis counters, PostgreSQL event log), where an ad is also served and counted.

A second test keeps the list of `async def` routes short and explained: a new one must
say here why it never blocks.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import argon2
import psycopg
import pytest
import redis
import redis.client
import redis.exceptions
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from shelfspace.accounts.roles import Role
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.tracking import keys
from tests.conftest import new_key
from tests.counters.conftest import REDIS_URL
from tests.dashboard.pages import PASSWORD, make_user, sign_in, token_of
from tests.databases import empty_all_tables, missing
from tests.support import HERO_ASK, Api, build_network, decide_until, runtime

CHECKOUT = "database connection checkout"
DATABASE = "SQL statement"  # also on a connection the request's session checked out earlier, in a thread
ARGON2 = "argon2"
REDIS = "redis command"

# Routes that stay `async def`, and why each never blocks the loop. Keyed by path, so a
# route keeps its entry however its handler is written.
ASYNC_ROUTES = {
    "/v1/decisions": "the engine reads memory (Redis counters: thread pool); the debug key is looked up in the thread pool",
    "/openrtb2/auction": "the same engine call as /v1/decisions",
    "/v1/vast": "the same engine call as /v1/decisions",
    "/track/impression/{token}": "awaits the recorder's writer thread",
    "/track/viewable/{token}": "awaits the recorder's writer thread",
    "/track/click/{token}": "awaits the recorder's writer thread",
    "/track/video/{event}/{token}": "awaits the recorder's writer thread",
    "/track/programmatic/{token}": "an unknown key is reloaded in the thread pool; awaits the recorder's writer thread",
    "/track/survey/{token}": "awaits the recorder's writer thread",
    "/v1/events/conversions": "reads the body, then awaits the recorder's writer thread",
    "/v1/events/behaviour": "reads the body, then awaits the recorder's writer thread",
    "/v1/products/import": "streams the body (64 MiB at most), then imports in the thread pool",
    "/brand/campaigns/new": "reads the upload, then checks, stores and saves in the thread pool",
    "/healthz/live": "answers from memory: liveness asks nothing outside the process",
}

# Query parameters some routes require before their handler runs; the others ignore them.
QUERY = {"user": "u-1", "from": "2026-06-01", "to": "2026-06-01", "platform": "meta", "answer": "0"}
# Form fields for the pages' POSTs: each page takes what it knows. `action` and `verdict`
# vary, so each page's handler gets past its first check at least once.
FORMS = [
    {"action": "suspend", "verdict": "approve", "status": "paused", "holdout_percent": "10"},
    {"action": "pause", "verdict": "reject", "status": "closed", "holdout_percent": "x"},
    {"action": "save", "verdict": "", "name": "Watched", "question": "Heard of us?", "answers": "Yes\nNo"},
]
SIGN_OUT = "/logout"  # played last: the walk needs its session
REDIS_DB = 12  # a logical database of the shared Redis, apart from tests/production's (11): both may run at once


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def caller() -> str:
    """The innermost frame of the app that led here."""
    frames = [f for f in traceback.extract_stack() if "/shelfspace/" in f.filename and "/tests/" not in f.filename]
    return f"{frames[-1].filename.split('/shelfspace/', 1)[-1]}:{frames[-1].lineno}" if frames else "?"


@dataclass
class LoopWatch:
    """What blocking work happened, on the loop or off it, and during which request."""

    request: str = "(no request)"
    armed: bool = False  # set once the app has started: its startup may do what it likes
    on_loop: list[str] = field(default_factory=list)
    off_loop: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str) -> None:
        if not self.armed:
            return
        with self.lock:
            if on_event_loop():
                self.on_loop.append(f"{self.request}: {what} on the event loop, at {caller()}")
            else:
                self.off_loop[what] += 1

    def wrap(self, what: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kwargs: Any) -> Any:
            self.note(what)
            return original(*args, **kwargs)

        return watched


@pytest.fixture
def watch(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopWatch]:
    """Watches the test's database, argon2 and Redis; the test arms it once its app is up."""
    seen = LoopWatch()

    def checkout(*_: Any) -> None:
        seen.note(CHECKOUT)

    def statement(*_: Any) -> None:
        seen.note(DATABASE)

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "before_cursor_execute", statement)
    for method in ("hash", "verify", "check_needs_rehash"):
        monkeypatch.setattr(argon2.PasswordHasher, method, seen.wrap(ARGON2, getattr(argon2.PasswordHasher, method)))
    # PostgreSQL reached without SQLAlchemy: the production event log and catalogue listener.
    for kind in (psycopg.Cursor, psycopg.Connection):
        monkeypatch.setattr(kind, "execute", seen.wrap(DATABASE, kind.execute))
    monkeypatch.setattr(redis.Redis, "execute_command", seen.wrap(REDIS, redis.Redis.execute_command))
    monkeypatch.setattr(redis.client.Pipeline, "execute", seen.wrap(REDIS, redis.client.Pipeline.execute))
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "before_cursor_execute", statement)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    page: bool  # a dashboard page: answers HTML, posts forms


def routes_of(app: FastAPI) -> list[Route]:
    found = []
    for route in iter_route_contexts(app.routes):
        if route.path is None or not route.methods:
            continue  # mounts: static files and the offline docs' assets
        page = bool(getattr(route.original_route, "renders_html", False))
        found += [Route(m, route.path, page) for m in sorted(route.methods) if m != "HEAD"]
    return found


def url_of(app: FastAPI, path: str) -> str:
    """The path with its parameters filled: ids nobody has, tokens of a known key (an
    unknown key id makes the tracking routes reload the keys; not this test's subject)."""
    known_key = runtime(app).keys.signer.signing_key
    return path.replace("{token}", f"{known_key}.x.x").replace("{event}", "start").replace("{", "").replace("}", "")


def walk(client: TestClient, routes: list[Route], watch: LoopWatch, headers: dict[str, str], pages: bool) -> int:
    """Call each route once (a page's POST once per form); return how many calls were made."""
    app: FastAPI = client.app  # type: ignore[assignment]
    token = _token(client) if pages else ""
    calls = 0
    for route in routes:
        if route.page != pages or route.path == SIGN_OUT:
            continue
        url = url_of(app, route.path)
        watch.request = f"{route.method} {route.path}"
        if route.page and route.method == "POST":
            for form in FORMS:
                client.post(url, data=form | {"csrf_token": token}, params=QUERY, follow_redirects=False)
                calls += 1
            continue
        body: dict[str, Any] | None = {} if route.method in {"POST", "PATCH", "PUT"} else None
        client.request(route.method, url, json=body, params=QUERY, headers=headers, follow_redirects=False)
        calls += 1
    return calls


def test_no_route_blocks_the_event_loop(client: TestClient, engine: Engine, watch: LoopWatch) -> None:
    watch.armed = True
    play_every_route(client, engine, watch)
    assert watch.off_loop[DATABASE] and watch.off_loop[ARGON2], "the watch saw nothing: is it installed?"
    assert not watch.on_loop, "blocking work on the event loop:\n" + "\n".join(dict.fromkeys(watch.on_loop))


@pytest.fixture
def production_client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The app in production mode: counters in Redis, the event log in PostgreSQL (the test
    asks for the PostgreSQL engine alone)."""
    assert engine.dialect.name == "postgresql", "production mode shares PostgreSQL"
    redis_url = REDIS_URL.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    try:
        redis.Redis.from_url(redis_url).flushdb()
    except redis.exceptions.ConnectionError:
        missing(f"Redis is not reachable at {redis_url} (set SHELFSPACE_TEST_REDIS)")
    production = Settings(
        data_dir=settings.data_dir,
        public_url=settings.public_url,
        redis_url=redis_url,
        database_url=engine.url.render_as_string(hide_password=False),
    )
    with TestClient(create_app(production, engine), raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)
    redis.Redis.from_url(redis_url).flushdb()


@pytest.mark.parametrize("engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_production_mode_keeps_redis_and_sql_off_the_loop(
    production_client: TestClient, engine: Engine, watch: LoopWatch
) -> None:
    """The same walk with Redis counters, plus an ad served and its impression counted:
    budgets, caps and pacing are Redis round trips, made in the thread pool."""
    client = production_client
    operator = Api(client, new_key(engine, Role.OPERATOR))
    advertiser = operator.post("/v1/advertisers", {"name": "Hero", "domain": "hero.example"})
    build_network(operator, advertiser["id"])
    watch.armed = True
    watch.request = "POST /v1/decisions serving an ad"
    ads, _ = decide_until(operator, HERO_ASK, "home-hero", 1)
    assert ads, "no ad served: the decision path with Redis counters was not exercised"
    watch.request = "GET /track/impression/{token} of the served ad"
    assert client.get(urlsplit(ads[0]["tracking"]["impression"]).path).status_code == 204
    play_every_route(client, engine, watch)
    assert watch.off_loop[REDIS] and watch.off_loop[DATABASE], "the watch saw no Redis or SQL: is it installed?"
    assert not watch.on_loop, "blocking work on the event loop:\n" + "\n".join(dict.fromkeys(watch.on_loop))


UNKNOWN_KEY_TOKEN = "knew.x.x"  # a key id this process has not loaded: another process rotated, or a forger


@pytest.mark.parametrize(
    "path",
    [
        "/track/programmatic/{token}",
        "/track/impression/{token}",
        "/track/click/{token}",
    ],
)
def test_a_token_of_an_unknown_key_reloads_the_keys_off_the_loop(
    client: TestClient, watch: LoopWatch, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setattr(keys, "RELOAD_SECONDS", 0.0)  # a reload is due at once
    watch.armed = True
    watch.request = f"GET {path} with a token of an unknown key"
    client.get(path.replace("{token}", UNKNOWN_KEY_TOKEN), follow_redirects=False)
    assert not watch.on_loop, "blocking work on the event loop:\n" + "\n".join(dict.fromkeys(watch.on_loop))
    assert watch.off_loop[DATABASE], "the keys were not reloaded: the test missed its subject"


def play_every_route(client: TestClient, engine: Engine, watch: LoopWatch) -> None:
    """Every route as the operator's key and as each side's signed-in person, then the
    flows that reach deeper: signing in and up (argon2), the decision API's `debug`."""
    app: FastAPI = client.app  # type: ignore[assignment]
    operator_key = new_key(engine, Role.OPERATOR)
    operator = {"Authorization": f"Bearer {operator_key}"}
    brand = client.post("/v1/advertisers", json={"name": "Acme", "domain": "acme.example"}, headers=operator).json()
    make_user(engine, "ops@network.example")
    make_user(engine, "brand@acme.example", Role.ADVERTISER, brand["id"])
    routes = routes_of(app)

    watch.request = "the API, with an operator key"
    calls = walk(client, routes, watch, operator, pages=False)
    watch.request = "POST /v1/decisions with debug"
    client.post("/v1/decisions", json={"placements": [{"id": "x"}], "debug": True}, headers=operator)

    for email in ("ops@network.example", "brand@acme.example"):
        watch.request = f"POST /login as {email}"  # the password checked (argon2)
        sign_in(client, email)
        calls += walk(client, routes, watch, {}, pages=True)
        watch.request = f"POST {SIGN_OUT} as {email}"
        assert client.post(SIGN_OUT, data={"csrf_token": _token(client)}, follow_redirects=False).status_code == 303

    watch.request = "POST /login with a wrong password"
    form = {"email": "ops@network.example", "password": "not the password 1", "csrf_token": _token(client)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 400
    watch.request = "POST /signup"  # a new user's password hashed (argon2)
    form = {
        "name": "Bolt",
        "domain": "bolt.example",
        "email": "brand@bolt.example",
        "password": PASSWORD,
        "csrf_token": _token(client),
    }
    assert client.post("/signup", data=form, follow_redirects=False).status_code == 303

    assert calls >= len(routes), "some routes were not called"


def _token(client: TestClient) -> str:
    """The session's form token, read from a page any visitor may open."""
    return token_of(client.get("/signup").text)


def test_every_async_route_says_why_it_does_not_block(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    coroutines = {
        r.path
        for r in iter_route_contexts(app.routes)
        if r.path is not None
        and inspect.iscoroutinefunction(r.endpoint)
        and getattr(r.endpoint, "__module__", "").startswith("shelfspace.")
    }
    unexplained = sorted(coroutines - ASYNC_ROUTES.keys())
    assert not unexplained, (
        "these routes are `async def`: make them plain `def` (FastAPI runs those in its thread "
        "pool), or list them in ASYNC_ROUTES with why they never block: " + ", ".join(unexplained)
    )

"""The sampled request log's size: bytes per row, and MB per million sampled requests.

`rows` realistic decision requests of a grocery network (1-2 slots, keywords, a category
path, a search query on search pages, SKUs on product and cart pages, device, country,
a user id on most; spread over 28 days) go through the real `RequestSampler` (at 100%,
so every one is a row; with the network's HMAC pseudonym) and `RequestLog.write_batch`
into a fresh, migrated SQLite file and, when reachable, a fresh PostgreSQL database.
Measured there: the table with its indexes (SQLite's dbstat, else the file; PostgreSQL's
pg_total_relation_size after VACUUM), and the write rate. Beside it, what `offer` costs
the decision route per request at the default 10%.

Measured, never asserted: `python benchmarks/request_log_size.py [--rows 100000]`.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent.parent))  # for tests.databases (fresh PostgreSQL)

from shelfspace.db.engine import make_engine  # noqa: E402
from shelfspace.db.migrate import upgrade  # noqa: E402
from shelfspace.db.session import make_sessionmaker  # noqa: E402
from shelfspace.decisioning.request import Context, DecisionRequest, SlotRequest  # noqa: E402
from shelfspace.forecasting.request_log import RequestLog  # noqa: E402
from shelfspace.forecasting.sample import RETENTION_DAYS, RequestSampler  # noqa: E402
from shelfspace.tracking.signing import Signer  # noqa: E402

END = datetime(2026, 12, 5, tzinfo=UTC)
CATEGORIES = ["dairy/milk", "dairy/cheese/hard", "beverages/coffee/ground", "beverages/tea", "snacks/crisps",
              "bakery/bread/sourdough", "produce/fruit/citrus", "household/laundry", "personal-care/hair/shampoo",
              "frozen/meat/chicken", "pantry/pasta", "baby/nappies", "pet/dog/dry-food", "wine/red"]
WORDS = ["organic", "oat milk", "semi skimmed", "cheddar", "decaf", "espresso", "green tea", "sea salt", "wholemeal",
         "sourdough", "lemons", "non bio", "sensitive", "free range", "gluten free", "family pack", "offer",
         "vegan", "low fat", "fusilli", "size 4", "grain free", "merlot", "multipack"]
QUERIES = ["oat milk", "decaf coffee beans", "sourdough loaf", "salt and vinegar crisps", "anti dandruff shampoo",
           "frozen chicken breast", "fusilli 1kg", "size 4 nappies", "dry dog food grain free", "red wine offer"]
PAGES = [  # placement(s) asked for, share of traffic, page kind
    (("home-hero",), 0.15, "home"),
    (("search-top",), 0.30, "search"),
    (("category-banner", "category-grid"), 0.30, "category"),
    (("product-page",), 0.20, "product"),
    (("cart-upsell",), 0.05, "cart"),
]
DEVICES = ["mobile"] * 6 + ["desktop"] * 3 + ["tablet"]
COUNTRIES = ["GB"] * 8 + ["IE", "FR"]
USERS = 200_000


def requests(rows: int, seed: int) -> list[tuple[DecisionRequest, datetime]]:
    rng = random.Random(seed)
    span = timedelta(days=RETENTION_DAYS).total_seconds()
    weights = [share for _, share, _ in PAGES]
    made = []
    for _ in range(rows):
        placements, _, kind = rng.choices(PAGES, weights)[0]
        category = rng.choice(CATEGORIES) if kind in ("category", "product", "search") else None
        keywords = tuple(rng.sample(WORDS, rng.randint(0, 4))) if kind != "cart" else ()
        query = rng.choice(QUERIES) if kind == "search" else None
        skus = tuple(f"SKU-{rng.randrange(40_000):06d}" for _ in range(rng.randint(1, 6))) if kind in (
            "product", "cart") else ()
        slots = tuple(SlotRequest(p, 3 if p in ("search-top", "category-grid") else 1) for p in placements)
        user = f"shopper-{rng.randrange(USERS)}" if rng.random() < 0.85 else None
        context = Context(keywords=keywords, category=category, query=query, skus=skus, device=rng.choice(DEVICES),
                          country=rng.choice(COUNTRIES))
        at = END - timedelta(seconds=rng.random() * span)
        made.append((DecisionRequest(slots, context, user, consent=user is not None and rng.random() < 0.7), at))
    made.sort(key=lambda r: r[1])
    return made


def table_bytes(engine: Engine) -> tuple[int, str]:
    """The table and its indexes on disk, and how it was measured."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE sampled_requests"))
            size = conn.execute(text("SELECT pg_total_relation_size('sampled_requests')")).scalar_one()
            return int(size), "pg_total_relation_size (heap, TOAST, indexes)"
        try:
            size = conn.execute(text("SELECT SUM(pgsize) FROM dbstat WHERE name IN "
                                     "('sampled_requests', 'ix_sampled_requests_at')")).scalar_one()
            return int(size), "dbstat (table and index pages)"
        except Exception:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            path = make_url(str(engine.url)).database or ""
            return os.path.getsize(path), "file size (whole database)"


def measure(engine: Engine, made: list[tuple[DecisionRequest, datetime]], pseudonym: Signer) -> tuple[int, str, float]:
    upgrade(engine)
    log = RequestLog(make_sessionmaker(engine), RequestSampler(100, pseudonym.pseudonym), ZoneInfo("Europe/London"),
                     max_buffered=len(made))
    for request, at in made:
        log.offer(request, at)
    began = time.perf_counter()
    written = log.write_batch(now=END)
    seconds = time.perf_counter() - began
    assert written == len(made), f"wrote {written} of {len(made)}"
    size, how = table_bytes(engine)
    return size, how, seconds


def offer_cost(made: list[tuple[DecisionRequest, datetime]], signer: Signer) -> tuple[float, float]:
    """Nanoseconds `offer` costs the decision route per request at 10% (what is kept is
    appended), best of 3; beside it, the keyed hash alone (the network's HMAC pseudonym)."""
    offers, hashes = [], []
    for _ in range(3):
        log = RequestLog(make_sessionmaker(make_engine(make_url("sqlite://"))), RequestSampler(10, signer.pseudonym),
                         ZoneInfo("UTC"), max_buffered=len(made))
        began = time.perf_counter()
        for request, at in made:
            log.offer(request, at)
        offers.append((time.perf_counter() - began) / len(made) * 1e9)
        began = time.perf_counter()
        for request, _ in made:
            signer.pseudonym(f"forecast-user.{request.user_id}")
        hashes.append((time.perf_counter() - began) / len(made) * 1e9)
    return min(offers), min(hashes)


def size_benchmark(rows: int, seed: int = 11) -> Table:
    signer = Signer({"k1": secrets.token_bytes(32)}, "k1")
    made = requests(rows, seed)
    table = Table(title=f"Sampled request log: {rows:,} requests over {RETENTION_DAYS} days")
    for column in ("database", "on disk", "bytes per row", "MB per million sampled", "write rate", "measured by"):
        table.add_column(column, justify="left" if column in ("database", "measured by") else "right")
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        targets = [("SQLite", f"sqlite:///{folder / 'size.db'}")]
        try:
            from tests.databases import fresh_postgres

            targets.append(("PostgreSQL", stack.enter_context(fresh_postgres())))
        except KeyboardInterrupt:
            raise
        except BaseException as away:  # pytest's skip (unreachable server): measured on SQLite only
            table.caption = f"PostgreSQL not measured: {str(away).splitlines()[0] if str(away) else type(away)}"
        for name, url in targets:
            engine = make_engine(make_url(url))
            try:
                size, how, seconds = measure(engine, made, signer)
            finally:
                engine.dispose()
            table.add_row(name, f"{size / 1e6:,.1f} MB", f"{size / rows:,.0f}", f"{size / rows:,.0f}",
                          f"{rows / seconds:,.0f} rows/s", how)
    offer, keyed_hash = offer_cost(made, signer)
    table.add_row("offer() at 10%", f"{offer:,.0f} ns a request", "", "", "", "the decision route's cost, best of 3")
    table.add_row("of which the hash", f"{keyed_hash:,.0f} ns a request", "", "", "", "signer.pseudonym alone")
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    Console(width=150).print(size_benchmark(parser.parse_args().rows))

"""Prometheus metrics of the HTTP layer, on a registry owned by each app instance.

Labels use the route template (`/v1/campaigns/{id}`), never the raw path, so the number
of series stays bounded whatever ids clients send.

With several processes (`shelfspace serve --workers N`) each keeps its own values, and a
scrape reaches one of them. `serve` then sets `PROMETHEUS_MULTIPROC_DIR` before the
workers start: prometheus_client keeps every process's counters and histograms in files
there, and /metrics answers their sum, whichever process is asked. Every metric of the
app is therefore a real Counter or Histogram (no custom collectors, which that mode
cannot add up).

/metrics is not public: its series name every demand partner and show the network's
traffic. A scrape sends `Authorization: Bearer` with SHELFSPACE_METRICS_TOKEN (what
Prometheus' `authorization` setting sends) or an operator API key; see docs/security.md.
It stays on the API's own port, so `--workers N` needs no second listener in each process.
The route and that check are `accounts/metrics_route.py` (an operator key is accounts'
business); this module is the middleware and the exposition.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable


def prepare_multiprocess(directory: Path) -> None:
    """Before worker processes start: their metrics go to files in `directory`, emptied
    of a previous run's (whose processes are gone)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(directory)


def exposition(registry: CollectorRegistry) -> bytes:
    """The text /metrics answers: this process's registry, or with several processes the
    sum of all of theirs."""
    if os.environ.get(MULTIPROCESS_DIR):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
    return generate_latest(registry)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "shelfspace_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "shelfspace_http_request_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics
        # Each request's two series, found once: `labels()` takes a lock and builds a key
        # every call, a measurable share of a decision's time.
        self.series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            key = (scope["method"], getattr(route, "path", UNMATCHED), status)
            series = self.series.get(key)
            if series is None:  # bounded: methods x route templates x statuses
                series = self.series[key] = (
                    self.metrics.requests.labels(key[0], key[1], str(status)),
                    self.metrics.latency.labels(key[0], key[1]),
                )
            series[0].inc()
            series[1].observe(elapsed)

"""What every route that serves ads does around the engine, written once.

`POST /v1/decisions`, `GET /v1/vast` and `POST /openrtb2/auction` speak different
formats but serve the same way: run the engine (in the thread pool when the counters are
a network away), count the opportunities asked for and filled (fill rates), offer the
request to the forecasting sample, note the lift-study marks, and give each served ad its
signed tracking URLs. Keeping these steps here means a served ad is counted and tracked
the same whichever face served it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool

from shelfspace.core.money import from_micros
from shelfspace.decisioning.engine import Decision, Engine, ServedAd
from shelfspace.decisioning.holdout import StudyMark
from shelfspace.decisioning.index import Snapshot
from shelfspace.decisioning.request import DecisionRequest
from shelfspace.delivery.opportunities import Opportunities
from shelfspace.delivery.vast_xml import QUARTILES, VideoAd
from shelfspace.events.model import VideoEvent
from shelfspace.tracking.urls import UrlLifetimes, facts_of, landing_of, tracking_urls, video_url

if TYPE_CHECKING:
    from shelfspace.tracking.keys import KeyRing


@dataclass(frozen=True, slots=True)
class Serving:
    """What serving needs beside the request, and nothing more: the engine, where it runs,
    the counts it feeds, and how served ads are signed and priced."""

    ad_engine: Engine
    in_thread_pool: bool  # the counters are a network away (Redis)
    opportunities: Opportunities
    note_study: Callable[[Iterable[StudyMark]], None]  # the lift-study log (measurement/study_log.py)
    keys: KeyRing  # its signer is read at each use: loaded when the app starts
    base_url: str
    url_lifetimes: UrlLifetimes
    currency: str


async def decide(serving: Serving, snapshot: Snapshot, request: DecisionRequest) -> Decision:
    """The engine's answer, run on the event loop when counters are in memory (microseconds,
    cheaper than a thread hop) and in the thread pool when they are in Redis (each step a
    round trip, which must not hold the event loop)."""
    engine = serving.ad_engine
    if serving.in_thread_pool:
        return await run_in_threadpool(engine.decide, snapshot, request)
    return engine.decide(snapshot, request)


def note_decision(
    serving: Serving, request: DecisionRequest, decision: Decision, asked: Iterable[tuple[str, int, int]], now: datetime
) -> None:
    """Count each placement's slots asked for and filled (`(placement, asked, filled)`),
    offer the request to the forecasting sample, and keep the decision's lift-study marks."""
    serving.opportunities.asked(request, now, list(asked))
    if decision.study:
        serving.note_study(decision.study.values())


def tracking_for(serving: Serving, ad: ServedAd, user_id: str | None, served_at: int) -> dict[str, str]:
    """The ad's signed impression, viewable and click URLs."""
    facts = facts_of(ad, user_id, served_at)
    return tracking_urls(serving.keys.signer, serving.base_url, facts, landing_of(ad), serving.url_lifetimes)


def video_ad(serving: Serving, ad: ServedAd, user_id: str | None, served_at: int) -> VideoAd:
    """A served video ad with every tracking URL its VAST carries (impression, viewable,
    click, the quartiles and errors)."""
    base_url = serving.base_url
    facts = facts_of(ad, user_id, served_at)
    signer = serving.keys.signer
    urls = tracking_for(serving, ad, user_id, served_at)
    progress = {name: video_url(signer, base_url, facts, serving.url_lifetimes, name) for name in QUARTILES}
    # The IAB schema types <Error> as xs:anyURI, which has no room for the [ERRORCODE]
    # macro's brackets; the URL counts the error, and a player may still append ?code=.
    error = video_url(signer, base_url, facts, serving.url_lifetimes, VideoEvent.ERROR)
    creative = ad.creative
    return VideoAd(
        ad_id=ad.ad_id,
        creative_id=creative.id,
        title=f"{ad.candidate.line_item.id} video",
        advertiser=ad.candidate.line_item.advertiser_id,
        media_url=creative.media_url or "",
        duration_seconds=creative.duration_seconds or 15,
        size=creative.size,
        media_type=creative.media_type,
        bitrate_kbps=creative.bitrate_kbps,
        price=from_micros(ad.price_micros),
        currency=serving.currency,
        impression_url=urls["impression"],
        viewable_url=urls["viewable"],
        click_url=urls["click"],
        progress_urls=progress,
        error_url=error,
    )

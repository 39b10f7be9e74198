"""A Python client for Shelfspace's HTTP API, on httpx, sync and async.

Requests are values: `shelfspace.client.api` builds a `Call` for each operation, and a
client sends it, so the sync and async clients share every operation's definition:

    from shelfspace.client import Shelfspace, api

    with Shelfspace("http://127.0.0.1:8000", key) as shelfspace:
        answer = shelfspace.send(api.decide(["home-hero"], user_id="shopper-1", consent=True))
        for ad in answer["decisions"]["home-hero"]:
            # the shopper's own browser or app user agent: without one, it is invalid traffic
            shelfspace.track(ad["tracking"]["impression"], user_agent=shopper_user_agent)

`AsyncShelfspace` is the same with `await`. An error answer raises `ApiError`, with the
API's code, message and the fields at fault.
"""

from shelfspace.client.api import Call
from shelfspace.client.clients import ApiError, AsyncShelfspace, Shelfspace

__all__ = ["ApiError", "AsyncShelfspace", "Call", "Shelfspace", "api"]

from shelfspace.client import api  # noqa: E402  (the module of call builders)

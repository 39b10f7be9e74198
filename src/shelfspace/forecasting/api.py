"""`POST /v1/forecasts`: what a line item would buy, before it is created.

The body is the line item as `POST /v1/line-items` takes it (and a new campaign as
`POST /v1/campaigns` takes it, or an existing campaign's id), validated by the same
services in a transaction that is rolled back (`proposals.py`): the same 422s, fields
named within this body (`line_item.bid`, `campaign.end`), and nothing written.

Who may forecast: both roles (accounts/roles.py has only the operator and the
advertiser). An advertiser's key forecasts for itself only, by the catalogue's tenancy:
a new campaign is its own (another advertiser's `campaign.advertiser_id` is refused), and
`line_item.campaign_id` and `replaces` must be its own (another's read as no such object,
422 naming the field, as `POST /v1/line-items` answers). What it learns of the market is
what a bid would win; its competitors are anonymised (`answer.py`).

The forecast is blocking work (SQL, the replay): a plain `def` route, run in the thread pool.
"""

from fastapi import APIRouter

from shelfspace.accounts.caller import Caller
from shelfspace.core.jsonbody import JsonBody
from shelfspace.forecasting.answer import competitor_names, forecast_out
from shelfspace.forecasting.forecaster import Forecaster
from shelfspace.forecasting.proposals import ForecastIn
from shelfspace.forecasting.schemas import ForecastOut
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES


def forecasts_router(forecaster: Forecaster) -> APIRouter:
    router = APIRouter(
        tags=["forecasting"], responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 403, 422)}
    )

    @router.post(
        "/v1/forecasts",
        status_code=200,
        response_model=ForecastOut,
        summary="Forecast a line item: impressions, clicks, spend and reach a day, and what limits them",
    )
    def forecast(db: Db, caller: Caller, body: ForecastIn) -> JsonBody:
        """Replays the last 14 days of sampled requests on the line item's placements
        against the auctions the live line items ran on them, with the line item in them:
        each day of the flight (or the next 30 days, without an end date) replays a sampled
        day of the same weekday, with its targeting, bid, frequency cap, budget and pacing.
        `method` says how, in words; `limits` what stops it buying more (targeting, floor,
        bid, cap, budget, funds) and what to change; `competition` the live line items it
        meets. Without a sampled request on its placements, `has_history` is false and
        nothing is forecast. Nothing is written."""
        answer = forecaster.forecast(caller, body)
        names = competitor_names(db, answer) if caller.is_operator else None
        return JsonBody(forecast_out(answer, caller, names).model_dump(mode="python", by_alias=True))

    return router

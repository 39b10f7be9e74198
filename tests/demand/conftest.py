"""A fake partner for the whole session, reset before each test, and a network to bid on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shelfspace.config import Settings
from tests.demand.fake_partner import FakePartner
from tests.support import HERO_ASK, Api, build_network, decide_until, runtime
from tests.waiting import wait_for

SIDE = {
    "id": "side-banner",
    "name": "Side banner",
    "channel": "web",
    "format": "banner",
    "sizes": ["300x250", "728x90"],
    "floor_cpm": 1.0,
    "max_ads": 2,
}
# The campaign wins home-hero; side-banner has no campaign at all.
BOTH = HERO_ASK | {"placements": [{"id": "home-hero"}, {"id": "side-banner"}]}


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fake partner listens on 127.0.0.1, a private address Shelfspace refuses to call
    by default (core/outbound.py): these tests allow it, as an operator may. The refusal
    itself is tested with it off, in test_outbound.py."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test", outbound_allow_private=True
    )


@pytest.fixture(scope="session")
def fake_partner_server() -> Iterator[FakePartner]:
    server = FakePartner()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_partner(fake_partner_server: FakePartner) -> FakePartner:
    fake_partner_server.reset()
    return fake_partner_server


@pytest.fixture
def network(operator: Api, advertiser_api: Api) -> dict[str, Any]:
    """The tour network (its campaign wins home-hero) plus an unsold side banner."""
    built = build_network(operator, advertiser_api.advertiser_id or "")
    operator.post("/v1/placements", SIDE)
    decide_until(Api(operator.client, None), BOTH, "home-hero", 1)
    return built


# The impression URL is fired by the shopper's browser: tracking/ivt.py counts nothing from
# a client that is not one (the test client's own user agent included).
SHOPPER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}

# The fake partner shares this process (and its GIL) with the app: on a slow machine the
# default 150 ms can pass before it has read the request. Tests of timeouts set their own.
PATIENT = {"timeout_ms": 1000}


def add_partner(operator: Api, endpoint: str, patient: bool = True, **fields: Any) -> dict[str, Any]:
    """Create a partner and wait until the decision path has it (within a snapshot poll)."""
    body = {"name": "Fake DSP", "endpoint": endpoint} | (PATIENT if patient else {}) | fields
    partner: dict[str, Any] = operator.post("/v1/demand-partners", body)
    if partner["status"] == "live":
        wait_for_partners(operator, {partner["id"]}, exactly=False)
    return partner


def wait_for_partners(operator: Api, wanted: set[str], exactly: bool = True) -> None:
    """Until the decision path's live partners are `wanted` (or include them)."""
    demand = runtime(operator.client).demand

    def arrived() -> bool:
        live = {p.id for p in demand.partners}
        return live == wanted or (not exactly and wanted <= live)

    wait_for(arrived, 3, f"the live partners to be {wanted}{'' if exactly else ' (at least)'}")


def settled_notices(operator: Api, partner: FakePartner) -> list[str]:
    """The notices the partner received, once none is in flight. An impression's notices
    are started before its answer (demand/api.py `impression`), so once the test has its
    answers and the started ones have finished, no other can come: an absence is proven."""
    demand = runtime(operator.client).demand
    wait_for(lambda: not demand._notices, 3, "the partner's notices in flight to finish")
    return sorted(partner.notices)

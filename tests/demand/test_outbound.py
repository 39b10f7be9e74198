"""Outbound calls go only to public addresses (core/outbound.py), with the private-address
setting OFF, as in production: the rule itself, a real client against a real server on
loopback, the partner API refusing private endpoints, and an auction that never calls one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from shelfspace.accounts.roles import SYSTEM
from shelfspace.config import Settings
from shelfspace.core import outbound
from shelfspace.core.outbound import OutboundPolicy, Refusal, async_client, is_public, refusal_in, refusal_of_url
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.demand import service
from shelfspace.demand.schemas import PartnerCreate
from shelfspace.demand.stats import BidOutcome
from tests.demand.conftest import BOTH, wait_for_partners
from tests.demand.fake_partner import FakePartner
from tests.support import Api, decide, field_errors, runtime

STRICT = OutboundPolicy(allow_private=False)
LENIENT = OutboundPolicy(allow_private=True)

NOT_PUBLIC = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.251",
    "239.255.255.250",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.fixture
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """As in production: private addresses are not called (the default, stated here)."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"), public_url="http://shelfspace.test", outbound_allow_private=False
    )


def url_of(address: str, path: str = "/bid") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}{path}"


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_loopback_private_link_local_multicast_and_mapped_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    refused = refusal_of_url(url_of(address), STRICT)
    assert refused is not None and refused.reason is Refusal.NOT_PUBLIC
    assert refusal_of_url(url_of(address), LENIENT) is None  # the operator's setting allows them


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
    assert refusal_of_url(url_of(address), STRICT) is None


def test_a_name_is_judged_by_every_address_it_resolves_to(monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 6761: a localhost name is the loopback, whatever a resolver says.
    for loopback in ("http://localhost:8080/bid", "http://LocalHost./", "http://dsp.localhost/bid"):
        refused = refusal_of_url(loopback, STRICT)
        assert refused is not None and refused.reason is Refusal.NOT_PUBLIC, loopback
    # Other names by what they resolve to (a fake resolver: no DNS query leaves the machine).
    answers = {
        "inside.dsp-one.com": ["10.0.0.8"],
        "mixed.dsp-one.com": ["8.8.8.8", "10.1.2.3"],
        "public.dsp-one.com": ["8.8.8.8", "2606:4700:4700::1111"],
        "mapped.dsp-one.com": ["::ffff:127.0.0.1"],
    }
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address(a) for a in answers[host]])
    for name in ("inside", "mixed", "mapped"):
        refused = refusal_of_url(f"https://{name}.dsp-one.com/bid", STRICT)
        assert refused is not None and refused.reason is Refusal.NOT_PUBLIC, name
    mixed = refusal_of_url("https://mixed.dsp-one.com/bid", STRICT)
    assert mixed is not None and "10.1.2.3" in mixed.explanation  # one private address is enough
    assert refusal_of_url("https://public.dsp-one.com/bid", STRICT) is None
    assert refusal_of_url("https://mixed.dsp-one.com/bid", LENIENT) is None
    for bad in ("ftp://8.8.8.8/", "file:///etc/passwd", "http:///nohost", "gopher://1.1.1.1/"):
        not_web = refusal_of_url(bad, STRICT)
        assert not_web is not None and not_web.reason is Refusal.NOT_WEB, bad


def get(policy: OutboundPolicy, url: str) -> httpx.Response | BaseException:
    async def call() -> httpx.Response:
        async with async_client(policy, timeout=5) as client:
            return await client.get(url)

    try:
        return asyncio.run(call())
    except httpx.HTTPError as error:
        return error


def test_the_client_refuses_to_connect_to_a_private_address(fake_partner: FakePartner) -> None:
    for url in (
        f"{fake_partner.base}/win",
        f"http://localhost:{fake_partner.port}/win",
        f"http://[::ffff:127.0.0.1]:{fake_partner.port}/win",
    ):
        answer = get(STRICT, url)
        assert isinstance(answer, httpx.ConnectError), (url, answer)
        assert refusal_in(answer) is Refusal.NOT_PUBLIC
    assert fake_partner.notices == []  # nothing reached the server
    # The same client with the operator's setting on: the guarded transport really connects.
    allowed = get(LENIENT, f"{fake_partner.base}/win?ok=1")
    assert isinstance(allowed, httpx.Response) and allowed.status_code == 200
    assert fake_partner.notices == [f"{fake_partner.base}/win?ok=1"]


def test_the_connection_goes_to_the_address_checked_not_to_a_second_lookup(
    fake_partner: FakePartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is resolved once, by the guard, and that answer is what the
    connection uses. `rebind.test` exists only in this fake resolver: if anything else
    looked the name up again, the call could not connect."""
    lookups: list[str] = []
    answers = {"rebind.test": "127.0.0.1"}

    async def fake_getaddrinfo(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(outbound.anyio, "getaddrinfo", fake_getaddrinfo)
    refused = get(STRICT, f"http://rebind.test:{fake_partner.port}/win")
    assert isinstance(refused, httpx.ConnectError) and refusal_in(refused) is Refusal.NOT_PUBLIC
    connected = get(LENIENT, f"http://rebind.test:{fake_partner.port}/win?pinned=1")
    assert isinstance(connected, httpx.Response) and connected.status_code == 200
    assert lookups == ["rebind.test", "rebind.test"]  # once per call, by the guard only
    assert fake_partner.notices == [f"http://rebind.test:{fake_partner.port}/win?pinned=1"]  # Host kept


def test_redirects_are_not_followed(fake_partner: FakePartner) -> None:
    answer = get(LENIENT, f"{fake_partner.base}/moved")
    assert isinstance(answer, httpx.Response) and answer.status_code == 302
    assert fake_partner.notices == [f"{fake_partner.base}/moved"]  # /win, where it points, never called


PRIVATE_ENDPOINTS = [
    "http://127.0.0.1:9/bid",
    "http://localhost/bid",
    "http://bid.localhost/",
    "http://[::1]/bid",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/bid",
    "http://224.0.0.1/bid",
    "http://[::ffff:127.0.0.1]/bid",
    "http://[fe80::1]/bid",
]


@pytest.mark.parametrize("endpoint", PRIVATE_ENDPOINTS)
def test_a_partner_with_a_private_endpoint_is_refused_naming_the_field(operator: Api, endpoint: str) -> None:
    answer = operator.post("/v1/demand-partners", {"name": "Inside", "endpoint": endpoint}, status=422)
    assert set(field_errors(answer)) == {"endpoint"}, answer
    assert "not a public address" in field_errors(answer)["endpoint"]
    assert operator.get("/v1/demand-partners")["data"] == []  # nothing written
    public = operator.post("/v1/demand-partners", {"name": "Outside", "endpoint": "https://8.8.8.8/bid"})
    changed = operator.patch(f"/v1/demand-partners/{public['id']}", {"endpoint": endpoint}, status=422)
    assert set(field_errors(changed)) == {"endpoint"}
    assert operator.get(f"/v1/demand-partners/{public['id']}")["endpoint"] == "https://8.8.8.8/bid"


def test_a_stored_private_endpoint_is_never_called(
    operator: Api, network: dict[str, Any], engine: Engine, fake_partner: FakePartner
) -> None:
    """A partner stored before this rule (or with the setting on, then turned off) gets no
    bid request: the connection itself refuses, and the auction says why."""
    with session_scope(make_sessionmaker(engine)) as db:
        partner = service.create(
            db, SYSTEM, PartnerCreate(name="Old", endpoint=fake_partner.endpoint, timeout_ms=1000), LENIENT
        )
        partner_id = partner.id
    wait_for_partners(operator, {partner_id})
    answer = decide(Api(operator.client, None), BOTH)
    assert answer["decisions"]["side-banner"] == []
    assert fake_partner.requests == []
    stats = runtime(operator.client).demand.stats
    assert {str(o): n for (p, o), n in stats.outcomes.items() if p == partner_id} == {str(BidOutcome.NOT_PUBLIC): 1}


def test_a_partner_whose_name_resolves_to_a_private_address_is_refused(
    operator: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbound, "resolve", lambda host, port: [ipaddress.ip_address("10.20.30.40")])
    answer = operator.post(
        "/v1/demand-partners", {"name": "Rebound", "endpoint": "https://bid.dsp-one.com/rtb"}, status=422
    )
    assert set(field_errors(answer)) == {"endpoint"} and "10.20.30.40" in field_errors(answer)["endpoint"]
    assert operator.get("/v1/demand-partners")["data"] == []

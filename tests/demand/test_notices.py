"""Win and billing notices go only to the partner's own domains (demand/notices.py): a bid
naming another host still serves and pays, but that notice is never called, and the
reason is counted on /metrics."""

from __future__ import annotations

from typing import Any

from shelfspace.demand.notices import NoticeKind, NoticeOutcome, notice_domains, refusal_of
from tests.demand.conftest import BOTH, SHOPPER, add_partner, settled_notices
from tests.demand.fake_partner import FakePartner, bid_everything
from tests.support import Api, decide, field_errors, runtime

BASE = "http://shelfspace.test"


def notice_counts(operator: Api, partner_id: str) -> dict[tuple[str, str], int]:
    stats = runtime(operator.client).demand.stats
    return {(str(k), str(o)): n for (p, k, o), n in stats.notices.items() if p == partner_id}


def show(operator: Api) -> dict[str, Any]:
    """Decide, then fire the partner's ad's impression URL as the page would."""
    public = Api(operator.client, None)
    [ad] = decide(public, BOTH)["decisions"]["side-banner"]
    assert public.client.get(ad["tracking"]["impression"].removeprefix(BASE), headers=SHOPPER).status_code == 204
    return ad


def test_the_domain_rule() -> None:
    domains = notice_domains("https://bid.dsp.example:8443/openrtb", [])
    assert domains == {"bid.dsp.example"}  # none declared: the endpoint's host
    assert refusal_of("https://bid.dsp.example/win?p=1", domains) is None
    assert refusal_of("https://eu.bid.dsp.example/win", domains) is None  # a name under it
    assert refusal_of("https://dsp.example/win", domains) is NoticeOutcome.OFF_DOMAIN  # above it is not
    assert refusal_of("https://bid.dsp.example.evil.example/win", domains) is NoticeOutcome.OFF_DOMAIN
    assert refusal_of("https://evilbid.dsp.example/win", domains) is NoticeOutcome.OFF_DOMAIN
    assert refusal_of("https://x@evil.example/win", domains) is NoticeOutcome.OFF_DOMAIN
    assert refusal_of("javascript:alert(1)", domains) is NoticeOutcome.NOT_WEB
    declared = notice_domains("https://bid.dsp.example/", ["Track.DSP.example"])
    assert declared == {"track.dsp.example"} and refusal_of("https://bid.dsp.example/w", declared) is not None


def test_a_notice_on_another_host_is_not_called_but_the_bid_still_serves(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    # The endpoint is at 127.0.0.1; the win notice names `localhost`, the same server
    # under another name: were it called, the fake partner would see it.
    partner = add_partner(operator, fake_partner.endpoint)
    fake_partner.answer = bid_everything(nurl=f"http://localhost:{fake_partner.port}/win?price=${{AUCTION_PRICE}}")
    show(operator)
    assert settled_notices(operator, fake_partner) == [f"{fake_partner.base}/bill?price=3&imp=side-banner"]
    assert notice_counts(operator, partner["id"]) == {
        (str(NoticeKind.BILLING), "sent"): 1,
        (str(NoticeKind.WIN), "off_domain"): 1,
    }
    metrics = operator.client.get("/metrics", headers=operator.headers).text
    assert (
        f'shelfspace_demand_partner_notices_total{{kind="nurl",outcome="off_domain",partner="{partner["id"]}"}} 1.0'
        in metrics
    )


def test_declared_notice_domains_replace_the_endpoints_host(
    operator: Api, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    refused = operator.post(
        "/v1/demand-partners",
        {"name": "X", "endpoint": fake_partner.endpoint, "notice_domains": ["not a domain"]},
        status=422,
    )
    assert set(field_errors(refused)) == {"notice_domains.0"}
    partner = add_partner(operator, fake_partner.endpoint, notice_domains=["notices.dsp.example"])
    assert partner["notice_domains"] == ["notices.dsp.example"]
    show(operator)  # its burl and nurl are on 127.0.0.1: neither may be called now
    assert notice_counts(operator, partner["id"]) == {("burl", "off_domain"): 1, ("nurl", "off_domain"): 1}
    assert settled_notices(operator, fake_partner) == []
    changed = operator.patch(f"/v1/demand-partners/{partner['id']}", {"notice_domains": []})
    assert changed["notice_domains"] == []  # back to the endpoint's host

"""/console/demand-partners: the list with this month's revenue, the add form, pause and resume."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from tests.dashboard.pages import focused, make_user, post_form, sign_in
from tests.demand.conftest import BOTH, SHOPPER, add_partner
from tests.demand.fake_partner import FakePartner
from tests.support import Api, decide

PAGE = "/console/demand-partners"


def test_an_operator_adds_pauses_and_resumes_a_partner_and_sees_its_revenue(
    client: TestClient, operator: Api, engine: Engine, network: dict[str, Any], fake_partner: FakePartner
) -> None:
    partner = add_partner(operator, fake_partner.endpoint, name="Loopback DSP")
    [ad] = decide(Api(operator.client, None), BOTH)["decisions"]["side-banner"]
    client.get(ad["tracking"]["impression"].removeprefix("http://shelfspace.test"), headers=SHOPPER)
    make_user(engine, "ops@network.example")
    sign_in(client, "ops@network.example")
    page = client.get(PAGE)
    assert page.status_code == 200 and "Loopback DSP" in page.text
    row = page.text[page.text.index("Loopback DSP") :]
    assert '<td class="num" data-revenue>$0.00</td>' in row[: row.index("</tr>")]  # one impression at 3.00 CPM, not "–"

    bad = post_form(
        client,
        PAGE,
        PAGE,
        {
            "name": "Bad",
            "endpoint": "ftp://dsp.example/",
            "timeout_ms": "5000",
            "floor_cpm": "1",
            "placements": "",
            "notice_domains": "not a domain",
        },
    )
    assert bad.status_code == 400 and 'id="endpoint-error"' in bad.text and 'id="timeout_ms-error"' in bad.text
    assert focused(bad.text) == ["endpoint"]  # the first of them in the form
    assert 'id="notice_domains-error"' in bad.text
    assert 'value="ftp://dsp.example/"' in bad.text
    good = post_form(
        client,
        PAGE,
        PAGE,
        {
            "name": "New DSP",
            "endpoint": "https://dsp.example/bid",
            "timeout_ms": "",
            "floor_cpm": "0.5",
            "placements": "side-banner",
            "notice_domains": "track.dsp.example, DSP.example",
        },
    )
    assert good.status_code == 303
    [added] = [p for p in operator.get("/v1/demand-partners")["data"] if p["name"] == "New DSP"]
    assert added["timeout_ms"] == 150 and added["floor_cpm"] == 0.5 and added["placements"] == ["side-banner"]
    assert added["notice_domains"] == ["track.dsp.example", "dsp.example"]

    paused = post_form(client, PAGE, f"{PAGE}/{partner['id']}/status", {"action": "pause"})
    assert paused.status_code == 303 and operator.get(f"/v1/demand-partners/{partner['id']}")["status"] == "paused"
    post_form(client, PAGE, f"{PAGE}/{partner['id']}/status", {"action": "resume"})
    assert operator.get(f"/v1/demand-partners/{partner['id']}")["status"] == "live"
    forged = client.post(f"{PAGE}/{partner['id']}/status", data={"action": "pause"}, follow_redirects=False)
    assert forged.status_code == 403  # no form token
    assert operator.get(f"/v1/demand-partners/{partner['id']}")["status"] == "live"


def test_an_advertiser_user_does_not_find_the_page(client: TestClient, engine: Engine, advertiser_api: Api) -> None:
    make_user(engine, "brand@acme.example", role=Role.ADVERTISER, advertiser_id=advertiser_api.advertiser_id)
    sign_in(client, "brand@acme.example")
    assert client.get(PAGE).status_code == 404

"""API keys in the pages (dashboard/api_keys.py): a brand's admin creates a key, sees it
once on the page the form redirects to (never cached, never again: a reload makes no
second key), revokes it after a confirmation; the operator creates
any key; errors stand beside their field; another brand's key reads as not found."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, update

from shelfspace.accounts.models import User
from shelfspace.accounts.rights import TeamRole
from shelfspace.accounts.roles import Role
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import focused, make_user, post_form, sign_in
from tests.support import Api

ANNA, CARL, BOSS = "anna@harbortea.example", "carl@harbortea.example", "boss@shop.example"
SECRET = re.compile(r'value="(ssk_[A-Za-z0-9_-]{40,})"')


def _brand(operator: Api, engine: Engine, name: str = "Harbor Tea") -> str:
    advertiser = operator.post("/v1/advertisers", {"name": name, "domain": f"{name.split()[0].lower()}.example"})["id"]
    make_user(engine, ANNA, Role.ADVERTISER, advertiser)
    return str(advertiser)


def _shown(client: TestClient, posted: Response) -> Response:
    """The form's answer is a redirect (POST-redirect-GET): the page it leads to shows the key."""
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    assert re.fullmatch(r"/(brand|console)/keys/created\?once=[0-9a-f]+", location), location
    return client.get(location)


def _row(page: str, name: str) -> str:
    start = page.index(f"<strong>{name}</strong>")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


def test_a_brand_admin_creates_a_key_sees_it_once_and_revokes_it(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    _brand(operator, engine)
    sign_in(client, ANNA)
    page = client.get("/brand/keys").text
    assert "No keys yet" in page and 'value="campaign_manager"' in page and 'value="reporting"' in page
    assert 'value="ad_ops"' not in page and 'name="advertiser_id"' not in page  # a brand's own scopes, for itself

    refused = post_form(client, "/brand/keys", "/brand/keys", {"name": "", "team_role": "reporting"})
    assert refused.status_code == 400
    assert re.search(r'<span class="field-error" id="name-error">Give the key a name', refused.text)
    assert focused(refused.text) == ["name"]
    assert '<option value="reporting" selected>' in refused.text  # what was chosen stays chosen

    made = _shown(
        client, post_form(client, "/brand/keys", "/brand/keys", {"name": "Nightly export", "team_role": "reporting"})
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    assert "it will not be shown again" in made.text and 'data-copy="new-key-value"' in made.text
    found = SECRET.search(made.text)
    assert found
    secret = found.group(1)

    listed = client.get("/brand/keys").text
    assert secret not in listed
    row = _row(listed, "Nightly export")
    assert f"<code>{secret[:10]}…</code>" in row and "Reporting only" in row and f"by {ANNA}" in row
    assert "never" in row and 'data-status="active"' in row

    key = Api(client, secret)
    key.get("/v1/campaigns")
    key.post("/v1/campaigns", {"name": "x"}, status=403)  # a reporting key
    assert "never" not in _row(client.get("/brand/keys").text, "Nightly export")

    key_id = re.search(r'data-key="(key_[a-z0-9]+)"', row)
    assert key_id
    confirm = client.get(f"/brand/keys/{key_id.group(1)}/revoke").text
    assert "Revoke key “Nightly export”" in confirm and "Integrations using it stop at once." in confirm
    answer = post_form(client, f"/brand/keys/{key_id.group(1)}/revoke", f"/brand/keys/{key_id.group(1)}/revoke", {})
    assert answer.status_code == 303 and answer.headers["location"] == "/brand/keys"
    after = client.get("/brand/keys").text
    assert "is revoked" in after and 'data-status="revoked"' in _row(after, "Nightly export")
    key.get("/v1/campaigns", status=401)


def test_another_brands_key_reads_as_not_found_on_the_pages(client: TestClient, operator: Api, engine: Engine) -> None:
    _brand(operator, engine)
    other = operator.post("/v1/advertisers", {"name": "Bolt", "domain": "bolt.example"})["id"]
    theirs = operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": other, "name": "Bolt CI"})
    sign_in(client, ANNA)
    assert "Bolt CI" not in client.get("/brand/keys").text
    assert client.get(f"/brand/keys/{theirs['id']}/revoke").status_code == 404
    answer = post_form(client, "/brand/keys", f"/brand/keys/{theirs['id']}/revoke", {})
    assert answer.status_code == 404
    Api(client, theirs["key"]).get("/v1/campaigns")  # still working


def test_a_campaign_manager_does_not_open_the_keys_page(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = _brand(operator, engine)
    make_user(engine, CARL, Role.ADVERTISER, advertiser)
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(User).where(User.email == CARL).values(team_role=TeamRole.CAMPAIGN_MANAGER))
    sign_in(client, CARL)
    assert client.get("/brand/keys").status_code == 403
    assert 'href="/brand/keys"' not in client.get("/brand").text


def test_the_operator_creates_network_and_brand_keys(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = _brand(operator, engine)
    make_user(engine, BOSS)
    sign_in(client, BOSS)
    page = client.get("/console/keys").text
    assert f'<option value="{advertiser}">Harbor Tea</option>' in page
    assert '<optgroup label="Brand keys only">' in page and '<optgroup label="Network keys only">' in page

    wrong = post_form(
        client, "/console/keys", "/console/keys", {"name": "Tea CI", "team_role": "ad_ops", "advertiser_id": advertiser}
    )
    assert wrong.status_code == 400 and 'id="team_role-error">ad operations is not a scope of a brand' in wrong.text
    assert f'<option value="{advertiser}" selected>' in wrong.text and focused(wrong.text) == ["team_role"]
    unknown = post_form(
        client, "/console/keys", "/console/keys", {"name": "x", "team_role": "admin", "advertiser_id": "adv_nope"}
    )
    assert unknown.status_code == 400 and 'id="advertiser_id-error"' in unknown.text
    assert focused(unknown.text) == ["advertiser_id"]

    for name, scope, brand in (("Tea CI", "campaign_manager", advertiser), ("Ledger sync", "finance", "")):
        made = _shown(
            client,
            post_form(
                client, "/console/keys", "/console/keys", {"name": name, "team_role": scope, "advertiser_id": brand}
            ),
        )
        assert made.status_code == 200 and SECRET.search(made.text), made.text
    listed = client.get("/console/keys").text
    assert "Harbor Tea" in _row(listed, "Tea CI") and "Campaign manager" in _row(listed, "Tea CI")
    assert "The network" in _row(listed, "Ledger sync") and f"by {BOSS}" in _row(listed, "Ledger sync")
    keys = {k["name"]: k for k in operator.get("/v1/api-keys")["data"]}
    assert keys["Tea CI"]["advertiser_id"] == advertiser and keys["Tea CI"]["team_role"] == "campaign_manager"
    assert keys["Ledger sync"]["role"] == "operator" and keys["Ledger sync"]["team_role"] == "finance"

    sign_in(client, ANNA)  # the brand sees the operator's person as the network's, not by e-mail
    assert "by The network&#39;s operator" in _row(client.get("/brand/keys").text, "Tea CI")


def test_reloading_the_new_key_page_makes_no_second_key_and_shows_it_no_more(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    _brand(operator, engine)
    sign_in(client, ANNA)
    posted = post_form(client, "/brand/keys", "/brand/keys", {"name": "Nightly export", "team_role": "reporting"})
    shown = _shown(client, posted)
    found = SECRET.search(shown.text)
    assert shown.status_code == 200 and found

    again = client.get(posted.headers["location"])  # the browser's reload: a GET, nothing posted
    assert again.status_code == 410 and again.headers["cache-control"] == "no-store"
    assert "Key already shown" in again.text and "No other key was made" in again.text
    assert found.group(1) not in again.text and not SECRET.search(again.text)
    names = [k["name"] for k in operator.get("/v1/api-keys")["data"]]
    assert names.count("Nightly export") == 1
    Api(client, found.group(1)).get("/v1/campaigns")  # the one key works


def test_the_new_key_page_shows_nothing_to_another_session_or_a_made_up_nonce(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    _brand(operator, engine)
    sign_in(client, ANNA)
    posted = post_form(client, "/brand/keys", "/brand/keys", {"name": "Nightly export", "team_role": "reporting"})
    location = posted.headers["location"]
    assert client.get("/brand/keys/created?once=" + "0" * 24).status_code == 410
    sign_in(client, ANNA)  # a new session: the cookie still in the jar was sealed for the old one
    other = client.get(location)
    assert other.status_code == 410 and not SECRET.search(other.text)

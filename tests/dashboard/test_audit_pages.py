"""The audit history pages (dashboard/audit_pages.py): the operator's whole network at
/console/audit and each brand's own objects at /brand/audit; newest first, 50 a page,
filtered by who, what, object and days; actors, objects and changes in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from shelfspace.accounts.models import AuditEntry, User
from shelfspace.accounts.rights import TeamRole
from shelfspace.accounts.roles import Role
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.dashboard.pages import make_user, post_form, sign_in
from tests.support import BANNER, Api, banner_creative, campaign_body, line_item_body

BOSS, ANN, BOB = "boss@shop.example", "ann@acme.example", "bob@bolt.example"
ROW = re.compile(r'<tr data-entry="(\d+)" data-action="([a-z_]+)" data-object="([^"]+)">(.*?)</tr>', re.S)
HIDDEN = re.compile(r'<span class="visually-hidden">.*?</span>', re.S)


def _words(html: str) -> str:
    """The text a sighted reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", HIDDEN.sub("", html))).strip()


def _rows(html: str) -> list[tuple[str, str, str]]:
    """(action, object id, the row's words) of each entry shown, top to bottom."""
    return [(action, object_id, _words(cells)) for _, action, object_id, cells in ROW.findall(html)]


def _network(operator: Api, engine: Engine) -> dict[str, str]:
    """Two brands with a person each, and a campaign each that the operator renamed."""
    operator.post("/v1/placements", BANNER)
    made: dict[str, str] = {}
    for name, email in (("Acme", ANN), ("Bolt", BOB)):
        brand = operator.post("/v1/advertisers", {"name": name, "domain": f"{name.lower()}.example"})["id"]
        make_user(engine, email, Role.ADVERTISER, brand)
        campaign = operator.post("/v1/campaigns", campaign_body(brand))["id"]
        line_item = operator.post("/v1/line-items", line_item_body(campaign))["id"]
        made[f"{name}:creative"] = operator.post("/v1/creatives", banner_creative(brand, line_item))["id"]
        operator.patch(f"/v1/campaigns/{campaign}", {"name": f"{name} winter"})
        made[name], made[f"{name}:campaign"] = brand, campaign
    make_user(engine, BOSS)
    return made


def _seed(engine: Engine, count: int, brand: str | None = None) -> None:
    """`count` entries by Shelfspace itself, an hour apart, ending an hour ago."""
    start = datetime.now(UTC) - timedelta(hours=count + 1)
    with session_scope(make_sessionmaker(engine)) as db:
        db.add_all(
            AuditEntry(
                actor="system",
                action="update",
                object_type="placement",
                object_id=f"p-{n:03d}",
                changes={"name": [f"old {n}", f"new {n}"]},
                advertiser_id=brand,
                at=start + timedelta(hours=n),
            )
            for n in range(count)
        )


def test_the_operator_reads_every_change_in_words(client: TestClient, operator: Api, engine: Engine) -> None:
    made = _network(operator, engine)
    key = operator.post("/v1/api-keys", {"role": "advertiser", "advertiser_id": made["Acme"], "name": "Acme feed"})
    Api(client, key["key"]).patch(f"/v1/campaigns/{made['Acme:campaign']}", {"budget_total": 2500})
    sign_in(client, BOSS)
    page = client.get("/console/audit")
    assert page.status_code == 200 and "<h1>Audit history</h1>" in page.text
    rows = _rows(page.text)
    assert rows[0][:2] == ("update", made["Acme:campaign"])  # newest first
    assert "API key Acme feed" in rows[0][2] and "Budget total: $1,000.00 → $2,500.00" in rows[0][2]
    renamed = next(
        words for action, object_id, words in rows if (action, object_id) == ("update", made["Bolt:campaign"])
    )
    assert "Name: Spring sale → Bolt winter" in renamed and "Campaign Bolt winter" in renamed
    assert f'<a href="/console/campaigns/{made["Bolt:campaign"]}/measurement">Bolt winter</a>' in page.text
    assert f'<a href="/console/review/creatives/{made["Bolt:creative"]}/preview">' in page.text
    created = next(words for action, object_id, words in rows if (action, object_id) == ("create", made["Bolt"]))
    assert "Created Advertiser Bolt" in created and "Name: Bolt" in created and "Domain: bolt.example" in created
    new_campaign = next(
        words for action, object_id, words in rows if (action, object_id) == ("create", made["Bolt:campaign"])
    )
    assert "Advertiser: Bolt" in new_campaign and "Budget total: $1,000.00" in new_campaign
    new_key = next(words for action, object_id, words in rows if (action, object_id) == ("create", key["id"]))
    assert "Created API key Acme feed" in new_key and "Advertiser: Acme" in new_key  # a brand by its name
    assert "key:" not in _words(page.text) and "user:" not in _words(page.text)  # no raw actor ids
    # The operator's own change reads as the key that made it, and Shelfspace as itself.
    _seed(engine, 1)
    assert "Shelfspace" in _rows(client.get("/console/audit").text)[0][2]


def test_fifty_a_page_newest_first_with_older_and_newer(client: TestClient, operator: Api, engine: Engine) -> None:
    make_user(engine, BOSS)
    _seed(engine, 120)
    sign_in(client, BOSS)
    first = client.get("/console/audit").text
    shown = [object_id for _, object_id, _ in _rows(first)]
    assert len(shown) == 50 and shown[0] > shown[-1]  # newest first
    assert 'rel="prev"' not in first
    older = re.search(r'href="(/console/audit\?before=\d+)" rel="next"', first)
    assert older, "an Older link"
    second = client.get(older.group(1)).text
    second_ids = [object_id for _, object_id, _ in _rows(second)]
    assert len(second_ids) == 50 and not set(second_ids) & set(shown) and second_ids[0] < shown[-1]
    newer = re.search(r'href="(/console/audit\?after=\d+)" rel="prev"', second)
    assert newer and [o for _, o, _ in _rows(client.get(newer.group(1)).text)] == shown
    third = re.search(r'href="(/console/audit\?before=\d+)" rel="next"', second)
    assert third and len(_rows(client.get(third.group(1)).text)) >= 20
    assert client.get("/console/audit?before=zz&after=-1").status_code == 200  # a wrong cursor: the first page


def test_filters_by_who_what_object_and_days(client: TestClient, operator: Api, engine: Engine) -> None:
    made = _network(operator, engine)
    sign_in(client, ANN)  # the brand's person pauses its campaign from its page
    campaign_page = f"/brand/campaigns/{made['Acme:campaign']}"
    assert post_form(client, campaign_page, f"{campaign_page}/status", {"status": "paused"}).status_code == 303
    client.cookies.clear()
    sign_in(client, BOSS)

    by_ann = _rows(client.get("/console/audit", params={"who": "ANN@acme"}).text)
    assert by_ann and all(object_id == made["Acme:campaign"] for _, object_id, _ in by_ann)
    assert all(ANN in words for _, _, words in by_ann)
    created = _rows(client.get("/console/audit", params={"action": "create", "type": "campaign"}).text)
    assert {object_id for _, object_id, _ in created} == {made["Acme:campaign"], made["Bolt:campaign"]}
    one = _rows(client.get("/console/audit", params={"type": "campaign", "object": made["Bolt:campaign"]}).text)
    assert [action for action, _, _ in one] == ["update", "create"]
    today = datetime.now(UTC).date()
    assert _rows(client.get("/console/audit", params={"from": today.isoformat(), "to": today.isoformat()}).text)
    assert not _rows(client.get("/console/audit", params={"to": (today - timedelta(days=3)).isoformat()}).text)
    wrong = client.get(
        "/console/audit", params={"from": "yesterday", "to": "2026-01-01", "action": "dance", "object": "<script>"}
    )
    assert wrong.status_code == 200
    assert '<span class="field-error" id="from-error">is not a date: write it as YYYY-MM-DD</span>' in wrong.text
    assert 'id="action-error">is not an action the history records' in wrong.text
    assert 'id="object-error">is not an id' in wrong.text and "<script>" not in wrong.text
    backwards = client.get("/console/audit", params={"from": "2026-06-02", "to": "2026-06-01"}).text
    assert 'id="to-error">must not be before `from`' in backwards
    assert "No entries match these filters." in client.get("/console/audit", params={"who": "nobody@x"}).text


def test_a_brand_reads_only_its_own_objects_history(client: TestClient, operator: Api, engine: Engine) -> None:
    made = _network(operator, engine)
    _seed(engine, 3, made["Bolt"])
    sign_in(client, ANN)
    page = client.get("/brand/audit").text
    assert "<h1>History</h1>" in page
    objects = {object_id for _, object_id, _ in _rows(page)}
    assert made["Acme:campaign"] in objects and made["Acme"] in objects
    assert not objects & {made["Bolt"], made["Bolt:campaign"], made["Bolt:creative"], "p-000"}
    # Even asked for Bolt's objects by id, the page shows none of them.
    for kind, object_id in (
        ("campaign", made["Bolt:campaign"]),
        ("advertiser", made["Bolt"]),
        ("placement", "p-000"),
        ("", made["Bolt:creative"]),
    ):
        assert _rows(client.get("/brand/audit", params={"type": kind, "object": object_id}).text) == []
    # The operator's changes to the brand's objects are there, made by "Shelfspace".
    renamed = next(
        words for action, object_id, words in _rows(page) if (action, object_id) == ("update", made["Acme:campaign"])
    )
    assert "Shelfspace" in renamed and "Name: Spring sale → Acme winter" in renamed
    assert f'<a href="/brand/campaigns/{made["Acme:campaign"]}">Acme winter</a>' in page
    assert BOSS not in page and "Bolt" not in _words(page)
    # The campaign page links to its history.
    campaign_page = client.get(f"/brand/campaigns/{made['Acme:campaign']}").text
    link = f"/brand/audit?type=campaign&amp;object={made['Acme:campaign']}"
    assert f'href="{link}">History</a>' in campaign_page
    history = client.get(link.replace("&amp;", "&")).text
    assert {object_id for _, object_id, _ in _rows(history)} == {made["Acme:campaign"]}
    assert client.get("/console/audit").status_code == 404  # the other side's page


def test_the_console_campaign_pages_link_to_the_history(client: TestClient, operator: Api, engine: Engine) -> None:
    made = _network(operator, engine)
    sign_in(client, BOSS)
    link = f'href="/console/audit?type=campaign&amp;object={made["Acme:campaign"]}"'
    assert link in client.get("/console/campaigns").text
    assert link in client.get(f"/console/campaigns/{made['Acme:campaign']}/measurement").text


def test_roles_without_the_audit_right_see_no_history(client: TestClient, operator: Api, engine: Engine) -> None:
    made = _network(operator, engine)
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(User).where(User.email == ANN).values(team_role=TeamRole.CAMPAIGN_MANAGER))
    sign_in(client, ANN)
    assert client.get("/brand/audit").status_code == 403
    assert ">History</a>" not in client.get(f"/brand/campaigns/{made['Acme:campaign']}").text

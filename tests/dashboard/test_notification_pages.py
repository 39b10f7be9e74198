"""The brand's notifications on its pages: the bell's count in the navigation, the list
(newest first, a page at a time, marked read one by one or all at once) and each person's
choices, in the app and by e-mail, per kind (dashboard/brand/notifications.py)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.db.session import session_scope
from shelfspace.notifications import service
from shelfspace.notifications.kinds import KINDS, NoticeKind
from shelfspace.notifications.service import NewNotice
from tests.dashboard.pages import filled_form, make_user, post_form, sign_in
from tests.notifications.helpers import brand, campaign, notices, now
from tests.support import Api, banner_creative, runtime

ANNA, BEN, BOSS = "anna@harbortea.example", "ben@harbortea.example", "boss@shop.example"
BELL = re.compile(r'<a class="bell" href="/brand/notifications" data-unread="(\d+)"')


def _bell(client: TestClient, page: str = "/brand") -> int | None:
    found = BELL.search(client.get(page).text)
    return int(found.group(1)) if found else None


def _tell(client: TestClient, advertiser: str, count: int, kind: NoticeKind = NoticeKind.BUDGET_LOW) -> list[str]:
    made = []
    with session_scope(runtime(client).db_sessions) as db:
        for n in range(count):
            notice_id = service.emit(
                db,
                NewNotice(
                    advertiser,
                    kind,
                    "campaign",
                    f"cmp_{advertiser[-8:]}",
                    f"{kind}:{n}",
                    f"Notice number {n}",
                    f"What happened {n}.",
                    "/brand",
                ),
                now(),
            )
            assert notice_id is not None
            made.append(notice_id)
    return made


def test_a_rejected_creative_rings_the_bell_and_reads_with_its_reason_and_replace_link(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    advertiser = brand(operator, engine, people=(ANNA,))
    made = campaign(operator, advertiser, now() + timedelta(days=1), name="Winter blend", creative=False)
    creative = operator.post("/v1/creatives", banner_creative(advertiser, made["line_item_id"]))
    sign_in(client, ANNA)
    assert _bell(client) == 0
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "rejected", "review_note": "The logo is too small"})
    assert _bell(client) == 1 and _bell(client, f"/brand/campaigns/{made['id']}") == 1  # on every brand page
    page = client.get("/brand/notifications").text
    item = page[page.index('data-kind="creative_rejected"') :]
    assert 'data-read="no"' in item and "“The logo is too small”" in item and "Winter blend" in item
    assert f'<a href="/brand/creatives/new?replaces={creative["id"]}">Replace the creative</a>' in item
    [notice] = notices(client)
    answer = post_form(
        client, "/brand/notifications", f"/brand/notifications/{notice.id}/read", {"page": "1", "show": "all"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/brand/notifications"
    assert "“Creative rejected” marked read." in client.get("/brand/notifications").text
    assert _bell(client) == 0 and notices(client)[0].read_at is not None


def test_the_list_pages_filters_and_marks_all_read(client: TestClient, operator: Api, engine: Engine) -> None:
    advertiser = brand(operator, engine, people=(ANNA,))
    made = _tell(client, advertiser, 23)
    sign_in(client, ANNA)
    first = client.get("/brand/notifications").text
    assert first.count('data-read="no"') == 20 and "1–20 of 23" in first and "page 1 of 2" in first
    assert first.index("Notice number 22") < first.index("Notice number 21")  # newest first
    second = client.get("/brand/notifications?page=2").text
    assert second.count("data-notice=") == 3 and "Notice number 0" in second and 'rel="prev"' in second
    assert "data-notice=" in client.get("/brand/notifications?page=zzz").text  # a wrong page: the first, not 422
    post_form(client, "/brand/notifications", f"/brand/notifications/{made[0]}/read", {"page": "2", "show": "unread"})
    unread = client.get("/brand/notifications?show=unread").text
    assert unread.count("data-notice=") == 20 and "Unread (22)" in unread
    answer = post_form(client, "/brand/notifications", "/brand/notifications/read-all", {})
    assert answer.status_code == 303
    after = client.get("/brand/notifications?show=unread").text
    assert "22 notifications marked read." in after and "Nothing unread." in after and _bell(client) == 0


def test_each_person_chooses_per_kind_in_the_app_and_by_email(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    advertiser = brand(operator, engine, people=(ANNA, BEN))
    _tell(client, advertiser, 2, NoticeKind.BUDGET_LOW)
    _tell(client, advertiser, 1, NoticeKind.CAMPAIGN_ENDED)
    sign_in(client, ANNA)
    page = client.get("/brand/settings/notifications").text
    shown = filled_form(page, 'data-form="notification-settings"', repeated=("in_app", "email"))
    assert shown["in_app"] == [k.value for k in NoticeKind]  # the defaults: everything in the app
    assert shown["email"] == [k.value for k, info in KINDS.items() if info.email]
    assert shown["email"] == ["creative_rejected", "funds_spent", "campaign_ended"]

    chosen = {
        "in_app": [k.value for k in NoticeKind if k is not NoticeKind.BUDGET_LOW],
        "email": ["creative_rejected", "budget_low"],
    }
    answer = post_form(client, "/brand/settings/notifications", "/brand/settings/notifications", chosen)
    assert answer.status_code == 303
    page = client.get("/brand/settings/notifications").text
    assert "Your notification settings are saved." in page
    again = filled_form(page, 'data-form="notification-settings"', repeated=("in_app", "email"))
    assert again["email"] == ["creative_rejected", "budget_low"] and "budget_low" not in again["in_app"]
    assert _bell(client) == 1  # budget notices hidden from Anna's bell and list
    listed = client.get("/brand/notifications").text
    assert 'data-kind="budget_low"' not in listed and 'data-kind="campaign_ended"' in listed
    assert "Not shown, as you chose: budget running low." in listed
    with session_scope(runtime(client).db_sessions) as db:
        to = [address for _, address in service.email_recipients(db, advertiser, NoticeKind.BUDGET_LOW)]
        ended = [address for _, address in service.email_recipients(db, advertiser, NoticeKind.CAMPAIGN_ENDED)]
    assert to == [ANNA] and sorted(ended) == [BEN]  # Ben keeps the defaults; Anna turned ended e-mails off

    client.cookies.clear()
    sign_in(client, BEN)
    assert _bell(client) == 3


def test_another_brands_notice_is_not_found_and_operators_have_no_bell(
    client: TestClient, operator: Api, engine: Engine
) -> None:
    mine = brand(operator, engine, people=(ANNA,))
    theirs = brand(operator, engine, "Bolt Coffee")
    [other] = _tell(client, theirs, 1)
    _tell(client, mine, 1)
    sign_in(client, ANNA)
    answer = post_form(client, "/brand/notifications", f"/brand/notifications/{other}/read", {})
    assert answer.status_code == 404 and notices(client, id=other)[0].read_at is None
    assert "Notice number 0" in client.get("/brand/notifications").text and _bell(client) == 1
    forged = client.post("/brand/notifications/read-all", data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and _bell(client) == 1
    client.cookies.clear()
    make_user(engine, BOSS, Role.OPERATOR)
    sign_in(client, BOSS)
    assert 'class="bell"' not in client.get("/console").text
    assert client.get("/brand/notifications").status_code == 404

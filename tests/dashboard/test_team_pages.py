"""The team pages (dashboard/team.py): a brand's admin invites people, the e-mailed link is
followed and a password chosen, roles are changed and people disabled behind a confirmation;
a brand acts on its own team only, and those without the team right never see the pages.

A real SMTP server (aiosmtpd on 127.0.0.1) receives each invitation; the app runs on a
clock the test moves, so an expired link is reached without sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from shelfspace.accounts.models import AuditEntry, User
from shelfspace.accounts.rights import Role, TeamRole
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.mail import SmtpSecurity
from shelfspace.sim.clock import SteppedClock
from shelfspace.sim.demo_logins import DEMO_PASSWORD, FINANCE_EMAIL, ensure_demo_logins, ensure_team_logins
from tests.conftest import new_key
from tests.dashboard.conftest import START
from tests.dashboard.mailbox import Mailbox, running_mailbox
from tests.dashboard.pages import focused, make_user, post_form, sign_in, token_of
from tests.databases import empty_all_tables
from tests.support import Api

ADMIN, OTHER = "ann@acme.example", "bea@bolt.example"
NEW_PASSWORD = "lantern orchard velvet 42"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(START)


@pytest.fixture
def web(engine: Engine, settings: Settings, mailbox: Mailbox, clock: SteppedClock) -> Iterator[TestClient]:
    mailed = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_security": SmtpSecurity.NONE,
            "network_name": "FreshMart Media",
        }
    )
    with TestClient(create_app(mailed, engine, clock=clock), raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)


@pytest.fixture
def brands(web: TestClient, engine: Engine) -> dict[str, str]:
    """Acme with its admin Ann, Bolt with its admin Bea."""
    boss = Api(web, new_key(engine, Role.OPERATOR))
    made = {
        name: boss.post("/v1/advertisers", {"name": name, "domain": f"{name.lower()}.example"})["id"]
        for name in ("Acme", "Bolt")
    }
    make_user(engine, ADMIN, Role.ADVERTISER, made["Acme"])
    make_user(engine, OTHER, Role.ADVERTISER, made["Bolt"])
    return made


def _invite(client: TestClient, email: str, team_role: str, base: str = "/brand/team"):  # type: ignore[no-untyped-def]
    return post_form(client, base, f"{base}/invites", {"email": email, "team_role": team_role})


def _link(mailbox: Mailbox, count: int) -> str:
    return mailbox.path_in(mailbox.wait_for(count), "/invite/")


def _accept(client: TestClient, link: str, password: str = NEW_PASSWORD, again: str | None = None):  # type: ignore[no-untyped-def]
    token = token_of(client.get(link).text)
    return client.post(
        link,
        data={"password": password, "password_again": password if again is None else again, "csrf_token": token},
        follow_redirects=False,
    )


def _user(engine: Engine, email: str) -> User:
    with session_scope(make_sessionmaker(engine)) as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        db.expunge(user)
        return user


def _row(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split("</tr>", 1)[0]


def test_an_invited_campaign_manager_joins_and_sees_what_the_role_opens(
    web: TestClient, engine: Engine, mailbox: Mailbox, brands: dict[str, str]
) -> None:
    sign_in(web, ADMIN)
    page = web.get("/brand/team").text
    assert 'data-member="ann@acme.example" data-role="admin"' in page and "(you)" in page
    assert "Reads campaigns and reports; changes nothing." in page  # each role says what it may do
    answer = _invite(web, "Cam@Acme.example", "campaign_manager")
    assert answer.status_code == 303 and answer.headers["location"] == "/brand/team"
    page = web.get("/brand/team").text
    assert "We e-mailed cam@acme.example a link to join, valid for 7 days." in page
    assert "Campaign manager" in _row(page, 'data-invite="cam@acme.example"')
    message = mailbox.wait_for(1)
    assert "Join Acme on FreshMart Media" == message["Subject"] and ADMIN in mailbox.body_of(message)
    link = _link(mailbox, 1)

    web.cookies.clear()  # the invited person's own browser
    welcome = web.get(link)
    assert welcome.status_code == 200 and "Join Acme" in welcome.text and "campaign manager" in welcome.text
    assert 'value="cam@acme.example"' in welcome.text
    mismatch = _accept(web, link, again="something else entirely 7")
    assert mismatch.status_code == 400 and 'id="password_again-error"' in mismatch.text
    weak = _accept(web, link, password="password1")
    assert weak.status_code == 400 and 'id="password-error"' in weak.text
    joined = _accept(web, link)
    assert joined.status_code == 303 and joined.headers["location"] == "/brand"
    home = web.get("/brand").text
    assert "Welcome to Acme: you are signed in as cam@acme.example (campaign manager)." in home
    nav = home.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert "New campaign" in nav and "/brand/team" not in nav
    refused = web.get("/brand/team")
    assert refused.status_code == 403 and "campaign manager" in refused.text
    assert web.get("/brand/campaigns/new").status_code == 200
    person = _user(engine, "cam@acme.example")
    assert (person.team_role, person.advertiser_id, person.email_verified_at is not None) == (
        TeamRole.CAMPAIGN_MANAGER,
        brands["Acme"],
        True,
    )

    web.cookies.clear()
    again = web.get(link)
    assert again.status_code == 409 and "already been accepted" in again.text
    sign_in(web, ADMIN)
    page = web.get("/brand/team").text
    assert 'data-invite="cam@acme.example"' not in page and 'data-member="cam@acme.example"' in page


def test_invitation_mistakes_show_beside_their_field(web: TestClient, brands: dict[str, str]) -> None:
    sign_in(web, ADMIN)
    for email, team_role, field, words in (
        (ADMIN, "reporting", "email", "has an account already"),
        (OTHER, "reporting", "email", "has an account already"),
        ("not an address", "reporting", "email", "email"),
        ("dee@acme.example", "finance", "team_role", "is not a role of a brand"),
        ("dee@acme.example", "owner", "team_role", "Choose one of the roles listed"),
    ):
        answer = _invite(web, email, team_role)
        assert answer.status_code == 400, answer.text
        error = re.search(rf'id="{field}-error">([^<]+)<', answer.text)
        assert error and words in error.group(1), (email, answer.text[:300])
        assert f'value="{email}"' in answer.text  # what was typed stays
        assert focused(answer.text) == [field]


def test_resend_replaces_the_link_and_withdrawn_or_expired_links_say_so(
    web: TestClient, mailbox: Mailbox, clock: SteppedClock, brands: dict[str, str]
) -> None:
    sign_in(web, ADMIN)
    _invite(web, "dan@acme.example", "reporting")
    first = _link(mailbox, 1)
    page = web.get("/brand/team").text
    resend = re.search(r'action="(/brand/team/invites/[^"]+/resend)"', page)
    assert resend
    post_form(web, "/brand/team", resend.group(1), {})
    assert "the earlier one no longer works" in web.get("/brand/team").text
    second = _link(mailbox, 2)
    assert first != second
    refused = web.get(first)
    assert refused.status_code == 410 and "withdrawn, or replaced by a newer one" in refused.text

    withdraw = re.search(r'action="(/brand/team/invites/[^"]+/withdraw)"', web.get("/brand/team").text)
    assert withdraw
    post_form(web, "/brand/team", withdraw.group(1), {})
    assert "is withdrawn" in web.get("/brand/team").text
    assert web.get(second).status_code == 410

    _invite(web, "eve@acme.example", "reporting")
    late = _link(mailbox, 3)
    clock.advance_to(START + timedelta(days=7, minutes=1))
    web.cookies.clear()
    expired = web.get(late)
    assert expired.status_code == 410 and "has expired" in expired.text
    altered = web.get(late[:-3] + "AAA")
    assert altered.status_code == 400 and "not valid" in altered.text


def test_roles_change_and_people_are_disabled_after_a_confirmation(
    web: TestClient, engine: Engine, brands: dict[str, str]
) -> None:
    cam = make_user(engine, "cam@acme.example", Role.ADVERTISER, brands["Acme"])
    with session_scope(make_sessionmaker(engine)) as db:
        db.execute(update(User).where(User.id == cam).values(team_role=TeamRole.CAMPAIGN_MANAGER))
    ann = _user(engine, ADMIN).id
    sign_in(web, ADMIN)
    alone = post_form(web, "/brand/team", f"/brand/team/members/{ann}/role", {"team_role": "reporting"})
    assert alone.status_code == 409
    assert "only active admin" in _row(alone.text, f'data-member="{ADMIN}"')  # beside the person's role
    changed = post_form(web, "/brand/team", f"/brand/team/members/{cam}/role", {"team_role": "reporting"})
    assert changed.status_code == 303
    page = web.get("/brand/team").text
    assert "cam@acme.example is now reporting only." in page
    assert 'data-member="cam@acme.example" data-role="reporting"' in page

    other = TestClient(web.app, raise_server_exceptions=False)  # Cam's own browser
    sign_in(other, "cam@acme.example")
    assert other.get("/brand").status_code == 200
    nav = other.get("/brand").text.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert "New campaign" not in nav and "Team" not in nav
    assert other.get("/brand/team").status_code == 403

    confirm = web.get(f"/brand/team/members/{cam}/disable")
    assert confirm.status_code == 200 and "signed out everywhere" in confirm.text
    assert 'data-status="active"' in _row(web.get("/brand/team").text, 'data-member="cam@acme.example"')
    done = post_form(web, f"/brand/team/members/{cam}/disable", f"/brand/team/members/{cam}/disable", {})
    assert done.status_code == 303
    assert "is disabled and signed out everywhere" in web.get("/brand/team").text
    assert other.get("/brand", follow_redirects=False).headers["location"].startswith("/login")
    assert web.get(f"/brand/team/members/{ann}/disable").status_code == 200
    self_disable = post_form(web, "/brand/team", f"/brand/team/members/{ann}/disable", {})
    assert self_disable.status_code == 409 and "your own account" in self_disable.text
    post_form(web, f"/brand/team/members/{cam}/enable", f"/brand/team/members/{cam}/enable", {})
    assert "enabled again" in web.get("/brand/team").text
    sign_in(other, "cam@acme.example")
    assert other.get("/brand").status_code == 200
    with session_scope(make_sessionmaker(engine)) as db:
        actions = [
            e.changes for e in db.scalars(select(AuditEntry).where(AuditEntry.object_id == cam).order_by(AuditEntry.id))
        ][1:]
    assert ["team_role" in actions[0], "sessions_ended" in actions[1], actions[2]["disabled_at"][1]] == [
        True,
        True,
        None,
    ]


def test_a_brand_acts_on_its_own_team_only_and_the_console_on_its_staff(
    web: TestClient, engine: Engine, mailbox: Mailbox, brands: dict[str, str]
) -> None:
    bea = _user(engine, OTHER).id
    sign_in(web, OTHER)
    _invite(web, "new@bolt.example", "reporting")
    invite = re.search(r'/brand/team/invites/([^/"]+)/withdraw', web.get("/brand/team").text)
    assert invite
    web.cookies.clear()
    sign_in(web, ADMIN)
    page = web.get("/brand/team").text
    assert OTHER not in page and "new@bolt.example" not in page
    assert web.get(f"/brand/team/members/{bea}/disable").status_code == 404
    for action, data in (
        (f"/brand/team/members/{bea}/role", {"team_role": "reporting"}),
        (f"/brand/team/members/{bea}/disable", {}),
        (f"/brand/team/invites/{invite.group(1)}/withdraw", {}),
        (f"/brand/team/invites/{invite.group(1)}/resend", {}),
    ):
        assert post_form(web, "/brand/team", action, data).status_code == 404, action
    assert _user(engine, OTHER).disabled_at is None and len(mailbox.messages) == 1
    assert web.get("/console/team").status_code == 404

    make_user(engine, "boss@freshmart.example")
    web.cookies.clear()
    sign_in(web, "boss@freshmart.example")
    console = web.get("/console/team").text
    assert 'data-member="boss@freshmart.example"' in console and ADMIN not in console
    form = console.split('action="/console/team/invites"', 1)[1]
    assert re.search(r'<option value="finance"\s+selected>', form)  # the least of the offered roles, by default
    assert "Billing: top-ups, credits, invoices and advertisers&#39; terms." in console
    _invite(web, "money@freshmart.example", "finance", "/console/team")
    web.cookies.clear()
    assert _accept(web, _link(mailbox, 2)).headers["location"] == "/console"
    staff = _user(engine, "money@freshmart.example")
    assert (staff.role, staff.team_role, staff.advertiser_id) == (Role.OPERATOR, TeamRole.FINANCE, None)
    assert web.get("/console/team").status_code == 403 and web.get("/console/billing").status_code == 200


def test_the_demos_team_people_open_what_their_roles_open(web: TestClient, engine: Engine) -> None:
    """The demo seeds the operator's finance person and a reporting-only brand person."""
    Api(web, new_key(engine, Role.OPERATOR)).post(
        "/v1/advertisers", {"name": "Dairyland", "domain": "dairyland.example"}
    )
    with session_scope(make_sessionmaker(engine)) as db:
        ensure_demo_logins(db)
        logins = ensure_team_logins(db)
        assert ensure_team_logins(db) == logins  # again: nothing new
    assert [login.email for login in logins] == [FINANCE_EMAIL, "reports.dairyland@brands.example"]
    sign_in(web, FINANCE_EMAIL, DEMO_PASSWORD)
    assert web.get("/console/billing").status_code == 200 and web.get("/console/team").status_code == 403
    web.cookies.clear()
    sign_in(web, logins[1].email, DEMO_PASSWORD)
    assert web.get("/brand").status_code == 200 and web.get("/brand/campaigns/new").status_code == 403

"""Team invitations and team management through the API (accounts/invites.py, accounts/team.py).

A real SMTP server (aiosmtpd on 127.0.0.1) receives each invitation; the link in it is
followed through the service the accept page calls. Who may invite whom, an address with
an account, a second invitation replacing the first, links that expired, were withdrawn,
used or altered (each saying which), and the members' roles and status: a brand's admin
acts on its own team only, nobody gives more than they hold, and the last active admin
stays one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from shelfspace.accounts import invites
from shelfspace.accounts.invites import InviteProblem, InviteRefused
from shelfspace.accounts.models import ApiKey, AuditEntry, DashboardSession, Invite, User
from shelfspace.accounts.rights import Role, TeamRole
from shelfspace.accounts.service import hash_key
from shelfspace.accounts.sessions import start_session
from shelfspace.accounts.signing_secret import session_secret
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.core.clock import utcnow
from shelfspace.core.errors import InvalidInput
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.mail import SmtpSecurity
from tests.conftest import new_key
from tests.dashboard.mailbox import Mailbox, running_mailbox
from tests.databases import empty_all_tables
from tests.support import Api, field_errors, runtime

PASSWORD = "lantern orchard velvet 42"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def mailed(engine: Engine, settings: Settings, mailbox: Mailbox) -> Iterator[TestClient]:
    mailed_settings = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_security": SmtpSecurity.NONE}
    )
    with TestClient(create_app(mailed_settings, engine), raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)


@pytest.fixture
def boss(mailed: TestClient, engine: Engine) -> Api:
    return Api(mailed, new_key(engine, Role.OPERATOR))


def _brand(boss: Api, engine: Engine, name: str, team_role: TeamRole = TeamRole.ADMIN) -> Api:
    advertiser = boss.post("/v1/advertisers", {"name": name, "domain": f"{name.lower()}.example"})["id"]
    secret = new_key(engine, Role.ADVERTISER, advertiser)
    if team_role is not TeamRole.ADMIN:
        with session_scope(make_sessionmaker(engine)) as db:
            db.execute(update(ApiKey).where(ApiKey.key_hash == hash_key(secret)).values(team_role=team_role))
    api = Api(boss.client, secret)
    api.advertiser_id = advertiser
    return api


def _token(mailbox: Mailbox, count: int) -> str:
    return mailbox.path_in(mailbox.wait_for(count), "/invite/").removeprefix("/invite/")


def _accept(client: TestClient, engine: Engine, token: str, password: str = PASSWORD, days: int = 0) -> User:
    secret = session_secret(runtime(client).settings)
    with session_scope(make_sessionmaker(engine)) as db:
        user = invites.accept(db, secret, token, password, utcnow() + timedelta(days=days))
        db.expunge(user)
        return user


def _refusal(client: TestClient, engine: Engine, token: str, days: int = 0) -> InviteProblem:
    with pytest.raises(InviteRefused) as refused:
        _accept(client, engine, token, days=days)
    return refused.value.problem


def _people(engine: Engine, advertiser_id: str, team_role: TeamRole, *emails: str) -> list[str]:
    made = []
    with session_scope(make_sessionmaker(engine)) as db:
        for email in emails:
            user = User(
                id=f"usr_{email.split('@')[0]}",
                email=email,
                password_hash="x",
                role=Role.ADVERTISER,
                advertiser_id=advertiser_id,
                team_role=team_role,
                email_verified_at=utcnow(),
            )
            db.add(user)
            made.append(user.id)
    return made


def test_a_brand_admin_invites_and_the_link_makes_a_verified_account_once(
    mailed: TestClient, boss: Api, mailbox: Mailbox, engine: Engine
) -> None:
    acme = _brand(boss, engine, "Acme")
    made = acme.post("/v1/invites", {"email": "Cam@Acme.example", "team_role": "campaign_manager"})
    assert made["mail"] == "sent" and made["email"] == "cam@acme.example" and "token" not in made
    assert (made["role"], made["advertiser_id"], made["team_role"]) == (
        "advertiser",
        acme.advertiser_id,
        "campaign_manager",
    )
    message = mailbox.wait_for(1)
    body = mailbox.body_of(message)
    assert message["To"] == "cam@acme.example" and "Acme" in message["Subject"]
    assert "campaign manager" in body and "7 days" in body

    user = _accept(mailed, engine, _token(mailbox, 1))
    assert (user.role, user.advertiser_id, user.team_role) == (
        Role.ADVERTISER,
        acme.advertiser_id,
        TeamRole.CAMPAIGN_MANAGER,
    )
    assert user.email == "cam@acme.example" and user.email_verified_at is not None
    with session_scope(make_sessionmaker(engine)) as db:
        invite = db.get(Invite, made["id"])
        assert invite is not None and invite.accepted_at is not None and invite.user_id == user.id
        audited = {(e.object_type, e.action, e.advertiser_id) for e in db.scalars(select(AuditEntry))}
    assert {
        ("invite", "create", acme.advertiser_id),
        ("user", "create", acme.advertiser_id),
        ("invite", "update", acme.advertiser_id),
    } <= audited
    assert _refusal(mailed, engine, _token(mailbox, 1)) is InviteProblem.USED
    listed = acme.get("/v1/users")["data"]
    assert [(u["email"], u["team_role"]) for u in listed] == [("cam@acme.example", "campaign_manager")]


def test_who_may_invite_whom(boss: Api, engine: Engine) -> None:
    acme, bolt = _brand(boss, engine, "Acme"), _brand(boss, engine, "Bolt")
    assert "team_role" in field_errors(
        acme.post("/v1/invites", {"email": "f@acme.example", "team_role": "finance"}, status=422)
    )
    refused = acme.post(
        "/v1/invites",
        {"email": "x@acme.example", "team_role": "reporting", "advertiser_id": bolt.advertiser_id},
        status=422,
    )
    assert "advertiser_id" in field_errors(refused)
    manager = _brand(boss, engine, "Cargo", TeamRole.CAMPAIGN_MANAGER)
    answer = manager.post("/v1/invites", {"email": "y@cargo.example", "team_role": "reporting"}, status=403)
    assert "campaign manager" in answer["error"]["message"]

    staff = boss.post("/v1/invites", {"email": "money@network.example", "team_role": "finance"})
    assert (staff["role"], staff["advertiser_id"]) == ("operator", None)
    into_brand = boss.post(
        "/v1/invites", {"email": "r@bolt.example", "team_role": "reporting", "advertiser_id": bolt.advertiser_id}
    )
    assert (into_brand["role"], into_brand["advertiser_id"]) == ("advertiser", bolt.advertiser_id)
    assert "team_role" in field_errors(
        boss.post(
            "/v1/invites",
            {"email": "q@bolt.example", "team_role": "finance", "advertiser_id": bolt.advertiser_id},
            status=422,
        )
    )
    assert "advertiser_id" in field_errors(
        boss.post(
            "/v1/invites",
            {"email": "q@bolt.example", "team_role": "reporting", "advertiser_id": "adv_nope"},
            status=422,
        )
    )
    assert "email" in field_errors(
        boss.post("/v1/invites", {"email": "not an address", "team_role": "admin"}, status=422)
    )

    # Each side lists its own: a brand never sees staff invitations or another brand's.
    assert [i["email"] for i in bolt.get("/v1/invites")["data"]] == ["r@bolt.example"]
    assert acme.get("/v1/invites")["data"] == []
    assert {i["email"] for i in boss.get("/v1/invites")["data"]} == {"money@network.example", "r@bolt.example"}
    assert acme.delete(f"/v1/invites/{into_brand['id']}", status=404)["error"]["code"] == "not_found"
    assert bolt.delete(f"/v1/invites/{into_brand['id']}")["revoked_at"] is not None


def test_an_account_is_not_invited_and_a_second_invitation_replaces_the_first(
    mailed: TestClient, boss: Api, mailbox: Mailbox, engine: Engine
) -> None:
    acme = _brand(boss, engine, "Acme")
    _people(engine, acme.advertiser_id or "", TeamRole.REPORTING, "ann@acme.example")
    refused = acme.post("/v1/invites", {"email": "ANN@acme.example", "team_role": "reporting"}, status=422)
    assert "has an account already" in field_errors(refused)["email"]

    first = acme.post("/v1/invites", {"email": "ben@acme.example", "team_role": "reporting"})
    second = acme.post("/v1/invites", {"email": "ben@acme.example", "team_role": "campaign_manager"})
    listed = {i["id"]: i for i in acme.get("/v1/invites")["data"]}
    assert listed[first["id"]]["revoked_at"] is not None and listed[second["id"]]["revoked_at"] is None
    assert _refusal(mailed, engine, _token(mailbox, 1)) is InviteProblem.REVOKED
    assert _accept(mailed, engine, _token(mailbox, 2)).team_role is TeamRole.CAMPAIGN_MANAGER
    assert acme.delete(f"/v1/invites/{second['id']}", status=409)["error"]["code"] == "conflict"


def test_expired_withdrawn_and_altered_links_say_which(
    mailed: TestClient, boss: Api, mailbox: Mailbox, engine: Engine
) -> None:
    acme = _brand(boss, engine, "Acme")
    acme.post("/v1/invites", {"email": "old@acme.example", "team_role": "reporting"})
    token = _token(mailbox, 1)
    assert _refusal(mailed, engine, token, days=8) is InviteProblem.EXPIRED
    for altered in (token[:-2] + ("xx" if not token.endswith("xx") else "yy"), "nonsense", "a" * 2000):
        assert _refusal(mailed, engine, altered) is InviteProblem.INVALID
    with pytest.raises(InvalidInput) as weak:  # the one strength rule: nothing is made
        _accept(mailed, engine, token, password="password1")
    assert weak.value.fields[0].field == "password"

    withdrawn = acme.post("/v1/invites", {"email": "gone@acme.example", "team_role": "reporting"})
    acme.delete(f"/v1/invites/{withdrawn['id']}")
    assert _refusal(mailed, engine, _token(mailbox, 2)) is InviteProblem.REVOKED
    with session_scope(make_sessionmaker(engine)) as db:
        assert db.scalars(select(User.email)).all() == []
    assert _accept(mailed, engine, token, days=6).email == "old@acme.example"  # within its 7 days


def test_an_admin_changes_roles_and_disables_within_its_own_team(boss: Api, engine: Engine) -> None:
    acme, bolt = _brand(boss, engine, "Acme"), _brand(boss, engine, "Bolt")
    ann, cam = _people(engine, acme.advertiser_id or "", TeamRole.ADMIN, "ann@acme.example", "cam@acme.example")
    [bea] = _people(engine, bolt.advertiser_id or "", TeamRole.ADMIN, "bea@bolt.example")
    assert acme.patch(f"/v1/users/{cam}", {"team_role": "reporting"})["team_role"] == "reporting"
    assert "team_role" in field_errors(acme.patch(f"/v1/users/{cam}", {"team_role": "finance"}, status=422))
    for body in ({"team_role": "reporting"}, {"disabled": True}):  # Ann is the last active admin
        answer = acme.patch(f"/v1/users/{ann}", body, status=409)
        assert "only active admin" in answer["error"]["message"]
    assert acme.patch(f"/v1/users/{bea}", {"disabled": True}, status=404)["error"]["code"] == "not_found"
    assert acme.patch(f"/v1/users/{cam}", {"password": "another long password 9"}, status=403)
    assert {u["id"] for u in acme.get("/v1/users")["data"]} == {ann, cam}

    with session_scope(make_sessionmaker(engine)) as db:
        start_session(db, cam, utcnow())
    assert acme.patch(f"/v1/users/{cam}", {"disabled": True})["disabled_at"] is not None
    with session_scope(make_sessionmaker(engine)) as db:
        sessions = list(db.scalars(select(DashboardSession).where(DashboardSession.user_id == cam)))
        assert sessions and all(s.revoked_at is not None for s in sessions)
        changes: list[dict[str, Any]] = [
            e.changes for e in db.scalars(select(AuditEntry).where(AuditEntry.object_id == cam).order_by(AuditEntry.id))
        ]
    assert changes[0] == {"team_role": ["admin", "reporting"]} and changes[1]["sessions_ended"] == 1
    assert acme.patch(f"/v1/users/{cam}", {"disabled": False})["disabled_at"] is None
    assert acme.patch(f"/v1/users/{cam}", {"team_role": "admin"})["team_role"] == "admin"
    assert acme.patch(f"/v1/users/{ann}", {"team_role": "reporting"})["team_role"] == "reporting"  # Cam is admin now
    manager = _brand(boss, engine, "Cargo", TeamRole.CAMPAIGN_MANAGER)
    assert manager.get("/v1/users", status=403)["error"]["code"] == "forbidden"
    assert boss.patch(f"/v1/users/{bea}", {"team_role": "campaign_manager"}, status=409)  # Bolt's last admin
    created = boss.post(
        "/v1/users", {"email": "ops@network.example", "password": PASSWORD, "role": "operator", "team_role": "ad_ops"}
    )
    assert created["team_role"] == "ad_ops"
    assert "team_role" in field_errors(
        boss.post(
            "/v1/users",
            {"email": "r@network.example", "password": PASSWORD, "role": "operator", "team_role": "reporting"},
            status=422,
        )
    )

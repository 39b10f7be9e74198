"""Sign-up proves the e-mail address and cannot be repeated at will.

A real SMTP server (aiosmtpd on 127.0.0.1) receives the e-mail; the test follows the link
as the person would. Until then the account sees only "check your e-mail"; the link works
once, expires, and a changed link is refused with a message saying so. Sign-ups are counted
per network address in the database, so two app instances (two processes) share the limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from shelfspace.accounts.email_verification import LINK_TTL, make_token
from shelfspace.accounts.models import AuditEntry, User
from shelfspace.accounts.roles import Role
from shelfspace.accounts.signing_secret import session_secret
from shelfspace.accounts.signup_models import SignupAction, SignupAttempt
from shelfspace.accounts.signup_throttle import Limit, Throttled, take
from shelfspace.app import create_app
from shelfspace.catalog.models import Advertiser
from shelfspace.config import Settings
from shelfspace.core.clock import utcnow
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.mail import Mail, Mailer, MailNotSent, SmtpSecurity
from shelfspace.sim.demo_logins import DEMO_PASSWORD, OPERATOR_EMAIL, brand_email, ensure_demo_logins
from tests.conftest import new_key
from tests.dashboard.mailbox import Mailbox, running_mailbox
from tests.dashboard.pages import PASSWORD, make_user, sign_in, token_of
from tests.databases import empty_all_tables
from tests.servers import free_port
from tests.support import Api

EMAIL = "ops@harbortea.example"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def mailed_settings(settings: Settings, mailbox: Mailbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_security": SmtpSecurity.NONE,
            "mail_from": "ads@freshmart.example",
        }
    )


@pytest.fixture
def mailed(engine: Engine, mailed_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(mailed_settings, engine), raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)


def signup(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    token = token_of(client.get("/signup").text)
    data = {
        "name": "Harbor Tea",
        "domain": "harbortea.example",
        "category": "beverages/tea",
        "email": EMAIL,
        "password": PASSWORD,
    } | fields
    return client.post("/signup", data=data | {"csrf_token": token}, follow_redirects=False)


def _user(engine: Engine, email: str = EMAIL) -> User:
    with session_scope(make_sessionmaker(engine)) as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None
        db.expunge(user)
        return user


def _verifications(engine: Engine) -> int:
    with session_scope(make_sessionmaker(engine)) as db:
        return (
            db.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.object_type == "user", AuditEntry.action == "update")
            )
            or 0
        )


def test_the_emailed_link_verifies_the_address_once(mailed: TestClient, mailbox: Mailbox, engine: Engine) -> None:
    assert signup(mailed).status_code == 303
    message = mailbox.wait_for(1)
    assert message["To"] == EMAIL and "ads@freshmart.example" in message["From"]
    assert "Harbor Tea" in mailbox.body_of(message)

    # Until the link is followed, the account sees "check your e-mail" and nothing else.
    assert _user(engine).email_verified_at is None
    for page in ("/brand", "/brand/campaigns/new", "/media-kit", "/brand/audiences"):
        answer = mailed.get(page)
        assert answer.status_code == 403 and 'data-state="check-email"' in answer.text, page
        assert EMAIL in answer.text

    link = mailbox.link_in(message)
    answer = mailed.get(link)
    assert answer.status_code == 200 and "is confirmed" in answer.text
    assert _user(engine).email_verified_at is not None
    home = mailed.get("/brand")  # now the brand waits for the operator instead
    assert 'data-state="awaiting-approval"' in home.text and "reviewing" in home.text

    again = mailed.get(link)  # a second click changes nothing and says why
    assert again.status_code == 409 and "already been used" in again.text
    assert _verifications(engine) == 1

    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    refused = mailed.get(tampered)
    assert refused.status_code == 400 and "not valid" in refused.text
    assert mailed.get("/signup/verify?token=").status_code == 400


def test_an_expired_or_foreign_link_verifies_nothing(
    mailed: TestClient, mailed_settings: Settings, engine: Engine
) -> None:
    assert signup(mailed).status_code == 303
    user = _user(engine)
    secret = session_secret(mailed_settings)
    old = make_token(secret, user, utcnow() - LINK_TTL - timedelta(minutes=1))
    answer = mailed.get(f"/signup/verify?token={old}")
    assert answer.status_code == 410 and "expired" in answer.text
    forged = make_token("not the site's secret", user, utcnow())
    assert mailed.get(f"/signup/verify?token={forged}").status_code == 400
    assert _user(engine).email_verified_at is None
    fresh = make_token(secret, user, utcnow() - LINK_TTL + timedelta(minutes=1))  # still inside its 48 hours
    assert mailed.get(f"/signup/verify?token={fresh}").status_code == 200
    assert _user(engine).email_verified_at is not None


def test_resending_the_email_is_throttled(mailed: TestClient, mailbox: Mailbox, engine: Engine) -> None:
    assert signup(mailed).status_code == 303
    mailbox.wait_for(1)
    for sent in (2, 3):
        page = mailed.get("/brand").text
        answer = mailed.post("/signup/resend", data={"csrf_token": token_of(page)}, follow_redirects=False)
        assert answer.status_code == 303
        mailbox.wait_for(sent)
    page = mailed.get("/brand").text
    assert "We sent a link to" in page
    refused = mailed.post("/signup/resend", data={"csrf_token": token_of(page)}, follow_redirects=False)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "Ask again in" in refused.text
    assert len(mailbox.messages) == 3
    # Every link sent works until one of them is used; then all of them read "already used".
    links = [mailbox.link_in(m) for m in mailbox.messages]
    assert mailed.get(links[0]).status_code == 200
    assert all(mailed.get(link).status_code == 409 for link in links)


def test_sign_ups_are_limited_per_address_across_processes(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    other_settings = Settings(data_dir=tmp_path / "second", public_url="http://shelfspace.test")
    address = ("203.0.113.7", 40000)
    try:
        with (
            TestClient(create_app(settings, engine), raise_server_exceptions=False, client=address) as first,
            TestClient(create_app(other_settings, engine), raise_server_exceptions=False, client=address) as second,
        ):
            invalid = signup(first, password="short")  # a mistake costs nothing
            assert invalid.status_code == 400
            for n in range(settings.signups_per_address_per_hour):
                client = first if n % 2 == 0 else second
                answer = signup(client, name=f"Brand {n}", domain=f"brand{n}.example", email=f"ops@brand{n}.example")
                assert answer.status_code == 303, (n, answer.text)
                client.cookies.clear()
            refused = signup(second, name="One too many", domain="toomany.example", email="ops@toomany.example")
            assert refused.status_code == 429
            retry_after = int(refused.headers["Retry-After"])
            assert 3000 < retry_after <= 3600
            assert "Too many sign-ups from your network address" in refused.text
            assert re.search(r"Try again in (\d+ minutes|a minute)", refused.text)
            with TestClient(first.app, raise_server_exceptions=False, client=("198.51.100.9", 40000)) as elsewhere:
                assert (
                    signup(
                        elsewhere, name="Elsewhere", domain="elsewhere.example", email="ops@elsewhere.example"
                    ).status_code
                    == 303
                )
        with session_scope(make_sessionmaker(engine)) as db:
            names = set(db.scalars(select(Advertiser.name)))
        assert "One too many" not in names and len(names) == settings.signups_per_address_per_hour + 1
    finally:
        empty_all_tables(engine)


def test_without_an_smtp_host_the_link_is_written_to_the_log(
    client: TestClient, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert signup(client).status_code == 303
    logged = capsys.readouterr()
    found = re.search(r"/signup/verify\?token=([A-Za-z0-9_.\-]+)", logged.out + logged.err)
    assert found, "the verification link is not in the log"
    assert client.get(f"/signup/verify?token={found.group(1)}").status_code == 200
    assert _user(engine).email_verified_at is not None


def test_the_review_queue_shows_whether_the_email_is_verified(
    mailed: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    assert signup(mailed).status_code == 303
    link = mailbox.link_in(mailbox.wait_for(1))
    make_user(engine, "ops@network.example", Role.OPERATOR)
    operator = TestClient(mailed.app, raise_server_exceptions=False)
    sign_in(operator, "ops@network.example")
    queue = operator.get("/console/review").text
    assert "Harbor Tea" in queue and 'data-email-verified="no"' in queue and "e-mail not verified" in queue
    assert mailed.get(link).status_code == 200
    queue = operator.get("/console/review").text
    assert 'data-email-verified="yes"' in queue and 'data-email-verified="no"' not in queue


def test_an_unreachable_or_unsafe_smtp_server_is_reported(mailed_settings: Settings, mailbox: Mailbox) -> None:
    mail = Mail(to=EMAIL, subject="Hello", body="A body")
    # The test server offers no STARTTLS: a STARTTLS setting refuses to send in clear.
    with pytest.raises(MailNotSent):
        Mailer(mailed_settings.model_copy(update={"smtp_security": SmtpSecurity.STARTTLS})).send(mail)
    with pytest.raises(MailNotSent):
        Mailer(mailed_settings.model_copy(update={"smtp_port": free_port()})).send(mail)  # nothing listens there
    assert mailbox.messages == []


def test_racing_sign_ups_never_pass_the_limit(engine: Engine) -> None:
    """Sixteen threads at once for one address: at most the limit get through (the throttle's
    rows are committed before they are counted), and the refused ones leave no row behind."""
    sessions = make_sessionmaker(engine)
    limit = Limit(5, timedelta(hours=1))
    now = utcnow()

    def attempt(_: int) -> bool:
        try:
            take(sessions, SignupAction.SIGN_UP, "192.0.2.1", limit, now)
        except Throttled as refused:
            assert 0 < refused.retry_after <= 3600
            return False
        return True

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            allowed = sum(pool.map(attempt, range(16)))
        assert allowed <= limit.count  # racing tries may all be refused at the edge, never all let through
        with session_scope(sessions) as db:
            kept = db.scalar(select(func.count()).select_from(SignupAttempt)) or 0
        assert kept == allowed
    finally:
        empty_all_tables(engine)


def test_the_demos_seeded_logins_need_no_link(client: TestClient, engine: Engine) -> None:
    """The demo's brand logins are made by Shelfspace itself: they open the brand's pages at once."""
    operator = Api(client, new_key(engine, Role.OPERATOR))
    operator.post("/v1/advertisers", {"name": "Dairyland", "domain": "dairyland.example"})
    with session_scope(make_sessionmaker(engine)) as db:
        logins = ensure_demo_logins(db)
    sign_in(client, brand_email("dairyland.example"), DEMO_PASSWORD)
    home = client.get("/brand")
    assert home.status_code == 200 and "check-email" not in home.text and "awaiting-approval" not in home.text
    assert {login.email for login in logins} == {OPERATOR_EMAIL, "dairyland@brands.example"}

"""Notices by e-mail, through a real SMTP server on 127.0.0.1 (aiosmtpd): a rejected creative
is e-mailed to the brand person who chose e-mail for it and not to the one who turned it
off; the app's own background thread sends it, never a request. A failed send is tried
again later and never costs the notice in the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shelfspace.accounts.roles import Role
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.db.session import session_scope
from shelfspace.mail import SmtpSecurity
from shelfspace.notifications import runner, service
from shelfspace.notifications.kinds import NoticeKind
from shelfspace.notifications.outbox import Outbox, retry_after
from tests.conftest import new_key
from tests.dashboard.mailbox import Mailbox, running_mailbox
from tests.databases import empty_all_tables
from tests.notifications.helpers import brand, campaign, emails, notices, now
from tests.servers import free_port
from tests.support import Api, banner_creative, runtime
from tests.waiting import wait_for

ANNA, BEN = "anna@harbortea.example", "ben@harbortea.example"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


def _mailed(settings: Settings, port: int) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": SmtpSecurity.NONE,
            "mail_from": "ads@freshmart.example",
            "network_name": "FreshMart Media",
        }
    )


@pytest.fixture
def mailed(engine: Engine, settings: Settings, mailbox: Mailbox) -> Iterator[TestClient]:
    with TestClient(create_app(_mailed(settings, mailbox.port), engine), raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)


def _rejected(client: TestClient, engine: Engine) -> tuple[str, str]:
    """Harbor Tea (Anna and Ben) sends a creative; the operator rejects it. Ben turned
    e-mails of rejections off first."""
    operator = Api(client, new_key(engine, Role.OPERATOR))
    advertiser = brand(operator, engine, people=(ANNA, BEN))
    with session_scope(runtime(client).db_sessions) as db:
        ben = [
            uid
            for uid, address in service.email_recipients(db, advertiser, NoticeKind.CREATIVE_REJECTED)
            if address == BEN
        ][0]
        service.choose(db, ben, [service.Choice(NoticeKind.CREATIVE_REJECTED, True, False)])
    made = campaign(operator, advertiser, now() + timedelta(days=1), name="Winter blend", creative=False)
    brand_api = Api(client, new_key(engine, Role.ADVERTISER, advertiser))
    creative = brand_api.post("/v1/creatives", banner_creative(None, made["line_item_id"]))
    operator.patch(f"/v1/creatives/{creative['id']}", {"status": "rejected", "review_note": "The logo is too small"})
    return advertiser, creative["id"]


def test_a_rejection_is_emailed_to_who_chose_email_and_not_to_who_did_not(
    mailed: TestClient, engine: Engine, mailbox: Mailbox
) -> None:
    _, creative = _rejected(mailed, engine)
    message = mailbox.wait_for(1)  # sent by the app's notifications thread, within seconds
    assert message["To"] == ANNA and message["Subject"] == "Creative rejected · FreshMart Media"
    assert message["From"] == "FreshMart Media <ads@freshmart.example>"
    body = mailbox.body_of(message)
    assert "“The logo is too small”" in body and "Winter blend" in body
    assert f"http://shelfspace.test/brand/creatives/new?replaces={creative}" in body
    assert "http://shelfspace.test/brand/settings/notifications" in body
    wait_for(lambda: all(e.sent_at is not None for e in emails(mailed)), 10, "the e-mail marked sent")
    assert [e.to for e in emails(mailed)] == [ANNA]  # Ben has no e-mail waiting either
    assert [m["To"] for m in mailbox.messages] == [ANNA]
    assert len(notices(mailed)) == 1  # both see the notice in the app


@pytest.fixture
def quiet(engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with its notifications thread held back: the test sends, at the times it chooses."""
    monkeypatch.setattr(runner, "SEND_SECONDS", 3600.0)
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)


def test_a_failed_send_is_tried_again_later_and_the_notice_stays(
    quiet: TestClient, engine: Engine, settings: Settings
) -> None:
    client = quiet
    _rejected(client, engine)
    sessions = runtime(client).db_sessions
    closed = free_port()  # nothing listens there: the SMTP server is down
    moment = now() + timedelta(seconds=1)  # the e-mail is due
    down = Outbox(sessions, _mailed(settings, closed), lambda: moment)
    assert down.deliver() == 0
    [waiting] = emails(client)
    assert waiting.attempts == 1 and waiting.sent_at is None and waiting.failed_at is None and waiting.last_error
    assert waiting.next_attempt_at == moment + retry_after(1)
    assert down.deliver() == 0 and emails(client)[0].attempts == 1  # not due yet: not tried again
    assert len(notices(client)) == 1 and notices(client)[0].read_at is None

    with running_mailbox() as box:  # the server is back; a minute later the e-mail goes
        later = moment + retry_after(1)
        back = Outbox(sessions, _mailed(settings, box.port), lambda: later)
        assert back.deliver() == 1
        assert box.wait_for(1)["To"] == ANNA
        assert back.deliver() == 0  # sent once
    assert emails(client)[0].sent_at is not None and emails(client)[0].attempts == 2

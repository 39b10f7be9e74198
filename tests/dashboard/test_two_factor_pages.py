"""The pages of a forgotten password and of two-factor sign-in.

Reset e-mails go to a real SMTP server (aiosmtpd on 127.0.0.1) and the test follows the
link as the person would; codes are made by pyotp from the secret the enrolment page
shows, as the person's app would. Time-bound rules (the throttle's window, a pending
session's ten minutes, a link's hour) run on a clock the test moves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from shelfspace.accounts import password_reset, two_factor
from shelfspace.accounts.models import AuditEntry, DashboardSession, User
from shelfspace.accounts.rights import Role
from shelfspace.accounts.sessions import SECOND_FACTOR_LIFETIME, token_hash
from shelfspace.accounts.sign_in_throttle import WINDOW
from shelfspace.app import create_app
from shelfspace.config import Settings
from shelfspace.core.clock import SteppedClock
from shelfspace.dashboard.approval_gate import OPEN_BEFORE_APPROVAL, OPEN_BEFORE_ENROLMENT
from shelfspace.dashboard.session import SESSION_COOKIE
from shelfspace.db.session import make_sessionmaker, session_scope
from shelfspace.mail import SmtpSecurity
from tests.dashboard.conftest import START
from tests.dashboard.mailbox import Mailbox, running_mailbox
from tests.dashboard.pages import PASSWORD, make_user, post_form, sign_in, token_of
from tests.dashboard.test_pending_brand_pages import PARAM, page_routes
from tests.databases import empty_all_tables
from tests.support import Api, runtime

EMAIL = "ops@network.example"
NEW_PASSWORD = "quiet orchard lantern 58"
RESET_LINK = re.compile(r"http://shelfspace\.test(/password/reset/[A-Za-z0-9_-]+)")
SECRET = re.compile(r"<code class=\"secret\" data-secret>([A-Z2-7 ]+)</code>")
CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@pytest.fixture
def mailed(engine: Engine, settings: Settings, mailbox: Mailbox, clock: SteppedClock) -> Iterator[TestClient]:
    """The app on the test's clock, sending its mail to `mailbox`."""
    mailed_settings = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": mailbox.port, "smtp_security": SmtpSecurity.NONE}
    )
    with TestClient(create_app(mailed_settings, engine, clock=clock), raise_server_exceptions=False) as client:
        yield client
    empty_all_tables(engine)


def _enrol(client: TestClient, clock: SteppedClock | None = None) -> tuple[str, list[str]]:
    """Set up two-factor sign-in on the pages, as the signed-in person: (secret, recovery codes)."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200, page.text
    found = SECRET.search(page.text)
    assert found and "<svg" in page.text
    secret = found.group(1).replace(" ", "")
    answer = post_form(client, "/account/two-factor", "/account/two-factor", {"code": _code(secret, clock)})
    assert answer.status_code == 200 and 'data-state="recovery-codes"' in answer.text, answer.text
    codes = CODES.findall(answer.text)
    assert len(codes) == 10
    return secret, codes


def _code(secret: str, clock: SteppedClock | None = None, ahead: int = 0) -> str:
    """The app's code `ahead` steps after now: a code works once, so a second use within the
    same 30 seconds takes the next step's (still inside the window either side of now)."""
    totp = pyotp.TOTP(secret)
    return totp.at((clock.now() if clock is not None else datetime.now(UTC)) + ahead * timedelta(seconds=30))


def _password(client: TestClient, email: str = EMAIL, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """The first step of signing in, from a browser with no session."""
    client.cookies.clear()
    token = token_of(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )


def _code_step(client: TestClient, code: str, next_path: str = ""):  # type: ignore[no-untyped-def]
    token = token_of(client.get("/login/code").text)
    return client.post(
        "/login/code", data={"code": code, "next": next_path, "csrf_token": token}, follow_redirects=False
    )


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<span class="field-error" id="{field}-error">([^<]+)</span>', html)
    assert found, f"no error beside {field}"
    return found.group(1)


def _autofocused(html: str) -> list[str]:
    return re.findall(r'<input [^>]*name="([a-z_]+)"[^>]*\bautofocus\b', html)


# Forgotten passwords


def test_the_emailed_link_sets_a_new_password_and_signs_nobody_in(
    mailed: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    make_user(engine, EMAIL)
    sign_in(mailed, EMAIL)
    kept = mailed.cookies.get(SESSION_COOKIE)
    mailed.cookies.clear()
    login = mailed.get("/login").text
    assert 'href="/password/forgot"' in login and "Forgot your password?" in login

    asked = post_form(mailed, "/password/forgot", "/password/forgot", {"email": EMAIL})
    assert asked.status_code == 200 and 'data-state="reset-link-asked"' in asked.text
    message = mailbox.wait_for(1)
    assert message["To"] == EMAIL
    link = RESET_LINK.search(Mailbox.body_of(message))
    assert link, Mailbox.body_of(message)

    # An address without an account reads the same page, and no e-mail goes.
    unknown = post_form(mailed, "/password/forgot", "/password/forgot", {"email": "nobody@network.example"})
    assert unknown.status_code == 200
    assert unknown.text.replace("nobody@network.example", EMAIL) == asked.text
    assert len(mailbox.messages) == 1

    form = mailed.get(link.group(1))
    assert form.status_code == 200 and EMAIL in form.text and _autofocused(form.text) == ["password"]
    mismatch = post_form(mailed, link.group(1), link.group(1), {"password": NEW_PASSWORD, "password_again": "other"})
    assert (
        mismatch.status_code == 400
        and _field_error(mismatch.text, "password_again") == "does not match the new password"
    )
    assert _autofocused(mismatch.text) == ["password_again"]
    weak = post_form(
        mailed, link.group(1), link.group(1), {"password": "password1234", "password_again": "password1234"}
    )
    assert weak.status_code == 400 and "too easy to guess" in _field_error(weak.text, "password")
    assert _autofocused(weak.text) == ["password"]

    done = post_form(mailed, link.group(1), link.group(1), {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 200 and 'data-state="password-reset"' in done.text and "1 signed-in" in done.text
    assert mailed.get("/console", follow_redirects=False).headers["location"].startswith("/login")  # not signed in
    mailed.cookies.set(SESSION_COOKIE, kept or "")
    assert mailed.get("/console", follow_redirects=False).status_code == 303  # the old session ended
    mailed.cookies.clear()
    sign_in(mailed, EMAIL, NEW_PASSWORD)
    assert mailed.get("/console").status_code == 200

    again = mailed.get(link.group(1))
    assert again.status_code == 409 and "already been used" in again.text


def test_a_wrong_address_is_named_beside_the_field(mailed: TestClient) -> None:
    for typed, message in (("", "enter the e-mail address you sign in with"), ("not-an-address", "is not an e-mail")):
        answer = post_form(mailed, "/password/forgot", "/password/forgot", {"email": typed})
        assert answer.status_code == 400 and message in _field_error(answer.text, "email")
        assert _autofocused(answer.text) == ["email"]


def test_an_expired_or_unknown_link_says_which(mailed: TestClient, engine: Engine, clock: SteppedClock) -> None:
    make_user(engine, EMAIL)
    rt = runtime(mailed)
    mail = password_reset.request_reset(rt.db_sessions, rt.settings, EMAIL, clock.now())
    assert mail is not None
    path = RESET_LINK.search(mail.body).group(1)  # type: ignore[union-attr]
    assert mailed.get(path).status_code == 200
    clock.advance_to(START + password_reset.LINK_TTL)
    expired = mailed.get(path)
    assert expired.status_code == 410 and "has expired" in expired.text and 'href="/password/forgot"' in expired.text
    refused = post_form(mailed, "/password/forgot", path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert refused.status_code == 410
    unknown = mailed.get(path[:-2] + "xx")
    assert unknown.status_code == 400 and "not valid" in unknown.text
    assert mailed.get("/password/reset/" + "a" * 2000).status_code == 400


def test_the_link_does_not_skip_the_second_factor(
    mailed: TestClient, mailbox: Mailbox, engine: Engine, clock: SteppedClock
) -> None:
    make_user(engine, EMAIL)
    sign_in(mailed, EMAIL)
    _enrol(mailed, clock)
    mailed.cookies.clear()
    post_form(mailed, "/password/forgot", "/password/forgot", {"email": EMAIL})
    path = RESET_LINK.search(Mailbox.body_of(mailbox.wait_for(1))).group(1)  # type: ignore[union-attr]
    post_form(mailed, path, path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    answer = _password(mailed, password=NEW_PASSWORD)
    assert answer.headers["location"] == "/login/code"
    assert mailed.get("/console", follow_redirects=False).headers["location"] == "/login/code?next=/console"


# Signing in with a second factor


def test_after_the_password_a_code_is_owed_and_the_right_one_opens_a_new_session(
    client: TestClient, engine: Engine
) -> None:
    make_user(engine, EMAIL)
    sign_in(client, EMAIL)
    secret, _ = _enrol(client)
    answer = _password(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/login/code"
    pending = client.cookies.get(SESSION_COOKIE)
    assert pending
    # The pending session opens nothing but the code page.
    for page in ("/console", "/account", "/console/security"):
        moved = client.get(page, follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == f"/login/code?next={page}", page
    page = client.get("/login/code?next=/console/review")
    assert (
        page.status_code == 200 and _autofocused(page.text) == ["code"] and 'autocomplete="one-time-code"' in page.text
    )

    wrong = _code_step(client, "000000" if _code(secret) != "000000" else "111111", "/console/review")
    assert wrong.status_code == 400 and _field_error(wrong.text, "code") == two_factor.WRONG_CODE
    assert 'value="/console/review"' in wrong.text
    empty = _code_step(client, "")
    assert empty.status_code == 400 and "6-digit code" in _field_error(empty.text, "code")

    right = _code_step(client, _code(secret, ahead=1), "/console/review")
    assert right.status_code == 303 and right.headers["location"] == "/console/review"
    full = client.cookies.get(SESSION_COOKIE)
    assert full and full != pending
    assert client.get("/console").status_code == 200
    with session_scope(make_sessionmaker(engine)) as db:
        assert db.get(DashboardSession, token_hash(pending)) is None
        row = db.get(DashboardSession, token_hash(full))
        assert row is not None and not row.second_factor_pending
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, pending)  # the token from before the code opens nothing after it
    assert client.get("/console", follow_redirects=False).headers["location"] == "/login?next=/console"
    assert client.get("/login/code", follow_redirects=False).headers["location"] == "/login"


def test_a_recovery_code_signs_in_once(client: TestClient, engine: Engine) -> None:
    make_user(engine, EMAIL)
    sign_in(client, EMAIL)
    _, codes = _enrol(client)
    _password(client)
    assert _code_step(client, codes[0].upper().replace("-", " ")).headers["location"] == "/console"
    _password(client)
    again = _code_step(client, codes[0])
    assert again.status_code == 400 and _field_error(again.text, "code") == two_factor.WRONG_CODE
    assert _code_step(client, codes[1]).headers["location"] == "/console"
    assert client.get("/account").text.count("<strong>8</strong> of 10") == 1
    with session_scope(make_sessionmaker(engine)) as db:
        used = [
            e.changes
            for e in db.scalars(select(AuditEntry).where(AuditEntry.object_type == "user"))
            if e.changes.get("two_factor") == "recovery_code_used"
        ]
    assert [u["recovery_codes_left"] for u in used] == [9, 8]


def test_wrong_codes_count_like_wrong_passwords_and_the_password_again_buys_no_more(
    app_client: TestClient, engine: Engine, clock: SteppedClock
) -> None:
    make_user(engine, EMAIL)
    sign_in(app_client, EMAIL)
    secret, _ = _enrol(app_client, clock)
    wrong = "000000" if _code(secret, clock) != "000000" else "111111"
    _password(app_client)
    for _ in range(4):
        assert _code_step(app_client, wrong).status_code == 400
    assert _password(app_client).headers["location"] == "/login/code"  # the right password: no failure, no reset
    assert _code_step(app_client, wrong).status_code == 400  # the fifth failure
    locked = _code_step(app_client, _code(secret, clock))
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text and locked.headers["Retry-After"]
    assert _password(app_client).status_code == 429  # the password is not even checked now
    clock.advance_to(START + WINDOW + timedelta(seconds=1))
    assert _password(app_client).headers["location"] == "/login/code"
    assert _code_step(app_client, _code(secret, clock)).headers["location"] == "/console"


def test_a_pending_session_lapses_after_ten_minutes(
    app_client: TestClient, engine: Engine, clock: SteppedClock
) -> None:
    make_user(engine, EMAIL)
    sign_in(app_client, EMAIL)
    secret, _ = _enrol(app_client, clock)
    _password(app_client)
    token = token_of(app_client.get("/login/code").text)
    clock.advance_to(START + SECOND_FACTOR_LIFETIME)
    late = app_client.post(
        "/login/code", data={"code": _code(secret, clock), "csrf_token": token}, follow_redirects=False
    )
    assert late.status_code == 303 and late.headers["location"] == "/login"


# The account page and the policy


def test_the_account_page_sets_up_renews_and_turns_off_the_second_factor(client: TestClient, engine: Engine) -> None:
    make_user(engine, EMAIL)
    sign_in(client, EMAIL)
    hub = client.get("/account")
    assert hub.status_code == 200 and EMAIL in hub.text and "Admin" in hub.text
    assert 'href="/account/password"' in hub.text and 'data-two-factor="off"' in hub.text
    enrol = client.get("/account/two-factor")
    secret = SECRET.search(enrol.text).group(1).replace(" ", "")  # type: ignore[union-attr]
    refused = post_form(client, "/account/two-factor", "/account/two-factor", {"code": "12345"})
    assert refused.status_code == 400 and "does not match" in _field_error(refused.text, "code")
    assert _autofocused(refused.text) == ["code"]
    assert SECRET.search(refused.text).group(1).replace(" ", "") == secret  # type: ignore[union-attr]
    _, codes = _enrol(client)
    assert client.get("/account/two-factor", follow_redirects=False).headers["location"] == "/account"
    hub = client.get("/account")
    assert 'data-two-factor="on"' in hub.text and "<strong>10</strong> of 10" in hub.text

    wrong = post_form(client, "/account", "/account/two-factor/recovery-codes", {"code": "nope"})
    assert wrong.status_code == 400 and _field_error(wrong.text, "code") == two_factor.WRONG_CODE
    assert _autofocused(wrong.text) == ["code"]
    renewed = post_form(client, "/account", "/account/two-factor/recovery-codes", {"code": _code(secret, ahead=1)})
    new_codes = CODES.findall(renewed.text)
    assert renewed.status_code == 200 and len(new_codes) == 10 and not set(new_codes) & set(codes)

    off = post_form(client, "/account", "/account/two-factor/off", {"password": "not it", "code": _code(secret)})
    assert off.status_code == 400 and _field_error(off.text, "password") == "is not your current password"
    assert _autofocused(off.text) == ["password"]
    off = post_form(client, "/account", "/account/two-factor/off", {"password": PASSWORD, "code": new_codes[0]})
    assert off.status_code == 303
    assert "Two-factor sign-in is off" in client.get("/account").text
    assert _password(client).headers["location"] == "/console"


def test_staff_without_a_second_factor_set_it_up_before_any_console_page_when_required(
    client: TestClient, engine: Engine, operator: Api
) -> None:
    make_user(engine, EMAIL)
    brand = operator.post("/v1/advertisers", {"name": "Acme", "domain": "acme.example"})["id"]
    make_user(engine, "ops@acme.example", Role.ADVERTISER, brand)
    assert operator.call("PUT", "/v1/access-policy", json={"staff_two_factor_required": True}).status_code == 200
    sign_in(client, EMAIL)
    token = token_of(client.get("/account").text)
    walked = 0
    for method, template in page_routes(client):
        if template in OPEN_BEFORE_APPROVAL | OPEN_BEFORE_ENROLMENT:
            continue
        url = PARAM.sub("x", template)
        answer = client.request(
            method, url, data={"csrf_token": token} if method == "POST" else None, follow_redirects=False
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/account/two-factor", f"{method} {url}"
        walked += 1
    assert walked >= 40
    owed = client.get("/account/two-factor")
    assert 'data-state="two-factor-owed"' in owed.text
    secret, _ = _enrol(client)
    assert client.get("/console").status_code == 200
    hub = client.get("/account")
    assert 'data-state="required"' in hub.text and "/account/two-factor/off" not in hub.text
    refused = post_form(client, "/account", "/account/two-factor/off", {"password": PASSWORD, "code": _code(secret)})
    assert refused.status_code == 400 and "cannot be turned off" in refused.text
    client.cookies.clear()
    sign_in(client, "ops@acme.example")  # a brand's people choose for themselves
    assert client.get("/brand").status_code == 200


def test_the_security_page_asks_first_then_sets_the_policy(client: TestClient, engine: Engine) -> None:
    admin = make_user(engine, EMAIL)
    make_user(engine, "finance@network.example")
    sign_in(client, EMAIL)
    page = client.get("/console/security")
    assert page.status_code == 200 and 'data-required="no"' in page.text
    confirmation = re.search(r'data-state="confirmation">(.*?)</p>', page.text, re.S)
    assert confirmation and "2 staff accounts" in confirmation.group(1) and "That includes you" in confirmation.group(1)
    assert 'data-confirm="Require two-factor sign-in for staff? 2 staff accounts' in page.text
    nothing = post_form(client, "/console/security", "/console/security", {})
    assert nothing.status_code == 303
    answer = post_form(client, "/console/security", "/console/security", {"staff_two_factor": "require"})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/security"
    assert client.get("/console/security", follow_redirects=False).headers["location"] == "/account/two-factor"
    _enrol(client)
    page = client.get("/console/security")
    assert 'data-required="yes"' in page.text and f"by {EMAIL}" in page.text
    post_form(client, "/console/security", "/console/security", {"staff_two_factor": "optional"})
    assert "optional for staff" in client.get("/console/security").text
    with session_scope(make_sessionmaker(engine)) as db:
        changes = [
            (e.actor, e.changes)
            for e in db.scalars(
                select(AuditEntry).where(AuditEntry.object_type == "access_policy").order_by(AuditEntry.id)
            )
        ]
        assert db.scalar(select(User.totp_enabled_at).where(User.id == admin)) is not None
    assert changes == [
        (f"user:{admin}", {"staff_two_factor_required": [False, True]}),
        (f"user:{admin}", {"staff_two_factor_required": [True, False]}),
    ]


@contextmanager
def _policy_reads(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements that touch the sign-in policy's table while the block runs."""
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if "access_policy" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_page_view_reads_the_sign_in_policy_once_at_most(client: TestClient, engine: Engine, operator: Api) -> None:
    """dashboard/session.py reads the policy with the user, once a request, and only for staff
    without a second factor; the account page asks it only of staff with one."""
    make_user(engine, EMAIL)
    sign_in(client, EMAIL)
    for required in (False, True):
        assert (
            operator.call("PUT", "/v1/access-policy", json={"staff_two_factor_required": required}).status_code == 200
        )
        for page in ("/console", "/console/keys", "/account", "/account/two-factor"):
            with _policy_reads(engine) as reads:
                assert client.get(page, follow_redirects=False).status_code in (200, 303)
            assert len(reads) == 1, (required, page, reads)
    _enrol(client)
    for page, expected in (("/console", 0), ("/console/keys", 0), ("/account", 1)):
        with _policy_reads(engine) as reads:
            assert client.get(page).status_code == 200
        assert len(reads) == expected, (page, reads)
    assert 'data-state="required"' in client.get("/account").text

"""Helpers for page tests: dashboard users, signing in, and the form token of a page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from shelfspace.accounts.email_verification import make_token
from shelfspace.accounts.models import User
from shelfspace.accounts.roles import SYSTEM, Role
from shelfspace.accounts.schemas import UserCreate
from shelfspace.accounts.service import create_user
from shelfspace.accounts.signing_secret import session_secret
from shelfspace.core.clock import utcnow
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.support import runtime

PASSWORD = "a long password 123"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(engine: Engine, email: str, role: Role = Role.OPERATOR, advertiser_id: str | None = None) -> str:
    with session_scope(make_sessionmaker(engine)) as db:
        user = create_user(
            db, SYSTEM, UserCreate(email=email, password=PASSWORD, role=role, advertiser_id=advertiser_id)
        )
        return user.id


def token_of(html: str) -> str:
    """The form token a page carries: what a browser would send back."""
    found = _TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Sign the test client in as a person would: open the form, then post it."""
    token = token_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def post_form(client: TestClient, page: str, action: str, data: dict[str, str | list[str]], **kwargs: object):  # type: ignore[no-untyped-def]
    """Post a form the way the browser does: with the token from the page it is on."""
    token = token_of(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token}, follow_redirects=False, **kwargs)


def confirm_email(client: TestClient, engine: Engine, email: str) -> None:
    """Follow the link a sign-up e-mails, as the person would (the link is made as the app makes it)."""
    with session_scope(make_sessionmaker(engine)) as db:
        user = db.scalar(select(User).where(User.email == email))
        assert user is not None, f"no user {email}"
        token = make_token(session_secret(runtime(client).settings), user, utcnow())
    answer = client.get(f"/signup/verify?token={token}")
    assert answer.status_code == 200, answer.text


_FIELD = re.compile(r'<input type="(?:hidden|text|date|number|time|url|email)" name="([a-z_0-9]+)" value="([^"]*)"')
_TICKED = re.compile(r'<input type="checkbox" name="([a-z_0-9]+)" value="([^"]+)"[^>]*?\bchecked\b')
_CHOSEN = re.compile(r'<select name="([a-z_0-9]+)">.*?<option value="([^"]+)" selected', re.S)


def filled_form(html: str, marker: str, repeated: tuple[str, ...] = ()) -> dict[str, str | list[str]]:
    """The fields of the form holding `marker` as the page fills them in, as a browser would
    send them: text-like inputs, ticked boxes (lists) and chosen options. Fields named in
    `repeated` are lists even when the page has one."""
    form = html.split(marker, 1)[1].split("</form>", 1)[0]
    sent: dict[str, list[str]] = {}
    for name, value in _FIELD.findall(form):
        sent.setdefault(name, []).append(value)
    values: dict[str, str | list[str]] = {k: v if k in repeated else v[0] for k, v in sent.items()}
    for name, value in _TICKED.findall(form):
        ticked = values.setdefault(name, [])
        assert isinstance(ticked, list), name
        ticked.append(value)
    for name, value in _CHOSEN.findall(form):
        values[name] = value
    return values


def focused(html: str) -> list[str]:
    """The names of the fields a page opens focused on (`autofocus`): after a refused form,
    the one field in error that comes first, so the browser scrolls to it."""
    return re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"[^>]*\bautofocus\b', html)

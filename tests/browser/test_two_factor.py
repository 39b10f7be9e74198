"""Two-factor sign-in in Debian's Chromium against the real server: an operator sets up an
authenticator (the QR code's secret read off the page, codes made by pyotp as the app
would), signs out, signs in with the password then a code, and a recovery code works once.
axe checks every new page: forgotten password, reset, code, account, enrolment, recovery
codes and the security policy.

Screenshots land in tests/artifacts/screenshots/two-factor-*.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp

from shelfspace.accounts import password_reset
from shelfspace.config import Settings
from shelfspace.db.engine import make_engine
from shelfspace.db.session import make_sessionmaker
from tests.browser.accessibility import assert_accessible
from tests.servers import BOOTSTRAP, base_env, running_server

PASSWORD = "a long password 123"
EMAIL = "ops@network.example"
SHOTS = Path(__file__).parent.parent / "artifacts" / "screenshots"


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"two-factor-{name}.png"), full_page=True)


def _focused(page: Any, name: str) -> None:
    """The field has the focus (autofocus lands at the page's first rendering: waited for)."""
    from playwright.sync_api import expect

    expect(page.locator(f"input[name={name}]")).to_be_focused()


def _password(page: Any, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _code(page: Any, url: str, code: str) -> None:
    page.wait_for_url(f"{url}/login/code")
    page.fill("input[name=code]", code)
    page.click("form[action='/login/code'] button[type=submit]")
    page.wait_for_load_state()


def _sign_out(page: Any, url: str) -> None:
    page.click("form.signout button[type=submit]")
    page.wait_for_url(f"{url}/login")


def test_enrol_sign_out_and_back_in_with_a_code_and_a_recovery_code_once(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    data = tmp_path / "data"
    env = base_env(data, SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        made = api.post("/v1/users", json={"email": EMAIL, "password": PASSWORD, "role": "operator"})
        assert made.status_code == 201, made.text

        # A forgotten password: the way in from the sign-in page, and the link's page.
        page.goto(f"{url}/login")
        page.click("text=Forgot your password?")
        page.wait_for_url(f"{url}/password/forgot")
        assert_accessible(page)
        engine = make_engine(Settings(data_dir=data).sqlalchemy_url())
        try:
            mail = password_reset.request_reset(
                make_sessionmaker(engine), Settings(data_dir=data, public_url=url), EMAIL, datetime.now(UTC)
            )
        finally:
            engine.dispose()
        assert mail is not None
        link = next(word for word in mail.body.split() if "/password/reset/" in word)
        page.goto(link)
        _focused(page, "password")
        assert_accessible(page)
        page.goto(f"{url}/password/reset/not-a-real-link")
        assert_accessible(page)

        _password(page, url)
        page.wait_for_url(f"{url}/console")
        page.goto(f"{url}/account")
        assert_accessible(page)
        page.click("text=Set up two-factor sign-in")
        page.wait_for_url(f"{url}/account/two-factor")
        assert page.locator("figure.qr-code svg").is_visible()
        assert_accessible(page)
        _shot(page, "enrol")
        secret = page.locator("[data-secret]").inner_text().replace(" ", "")
        page.fill("input[name=code]", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
        page.click("form[action='/account/two-factor'] button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("#code-error").is_visible()
        _focused(page, "code")  # the focus is on the field at fault
        page.fill("input[name=code]", pyotp.TOTP(secret).now())
        page.click("form[action='/account/two-factor'] button[type=submit]")
        page.wait_for_selector("[data-state=recovery-codes]")
        assert_accessible(page)
        _shot(page, "recovery-codes")
        codes = page.locator(".recovery-codes code").all_inner_texts()
        assert len(codes) == 10

        _sign_out(page, url)
        _password(page, url)
        page.wait_for_url(f"{url}/login/code")
        _focused(page, "code")
        page.goto(f"{url}/console")  # owed a code: the console is not open yet
        page.wait_for_url(f"{url}/login/code?next=/console")
        assert_accessible(page)
        _shot(page, "code")
        # A code works once: the next step's code (the window takes one step either side).
        page.fill("input[name=code]", pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30)))
        page.click("form[action='/login/code'] button[type=submit]")
        page.wait_for_url(f"{url}/console")

        _sign_out(page, url)
        _password(page, url)
        _code(page, url, codes[0])
        page.wait_for_url(f"{url}/console")
        _sign_out(page, url)
        _password(page, url)
        _code(page, url, codes[0])  # spent
        assert page.url == f"{url}/login/code"
        assert "nor an unused recovery code" in page.locator("#code-error").inner_text()
        _focused(page, "code")
        _code(page, url, codes[1])
        page.wait_for_url(f"{url}/console")

        page.goto(f"{url}/account")
        assert "8" in page.locator("[data-two-factor=on] strong").first.inner_text()
        page.goto(f"{url}/console/security")
        assert_accessible(page)
        _shot(page, "security")
    assert outside == []

"""Signing out in Chromium really ends the session: the back button and a kept copy of the
session cookie both land on the sign-in page, against the real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from shelfspace.dashboard.session import SESSION_COOKIE
from tests.servers import BOOTSTRAP, base_env, running_server

PASSWORD = "a long password 123"


def _on_sign_in_page(page: Any) -> bool:
    return (
        "/login" in page.url
        and page.locator("input[name=password]").count() == 1
        and page.locator("form.signout").count() == 0
    )


def test_after_signing_out_neither_the_back_button_nor_the_old_cookie_opens_the_console(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    env = base_env(tmp_path / "data", SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP)
    with running_server(env) as url:
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        made = api.post("/v1/users", json={"email": "ops@network.example", "password": PASSWORD, "role": "operator"})
        assert made.status_code == 201, made.text

        page.goto(f"{url}/login")
        page.fill("input[name=email]", "ops@network.example")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{url}/console")
        assert page.locator("form.signout").count() == 1
        kept = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
        assert len(kept) == 1 and kept[0]["httpOnly"] and kept[0]["sameSite"] == "Lax"

        page.click("form.signout button[type=submit]")
        page.wait_for_url(f"{url}/login")
        assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]

        page.go_back()  # the console page was not kept (no-store): the server is asked again
        page.wait_for_load_state()
        assert _on_sign_in_page(page), page.url

        page.context.add_cookies(kept)  # the cookie as it was before signing out
        page.goto(f"{url}/console")
        assert _on_sign_in_page(page), page.url
        assert page.url.endswith("/login?next=/console")
    assert outside == []

"""A brand's team in Debian's Chromium against the real server, with a real SMTP server
(aiosmtpd on 127.0.0.1) receiving the invitation: the brand's admin invites a campaign
manager, the link in the e-mail is followed and a password chosen; the new member is signed
in, may open the campaign wizard but not the team page (403). The admin then makes them
reporting only, and the "New campaign" link leaves their navigation. axe-core runs on the
team, accept and confirmation pages.

Screenshots: tests/artifacts/screenshots/team-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.browser.accessibility import assert_accessible
from tests.browser.test_dashboard_journeys import PASSWORD, _sign_in, shot
from tests.dashboard.mailbox import running_mailbox
from tests.servers import BOOTSTRAP, base_env, running_server

ADMIN = "ann@harbortea.example"
CAM = "cam@harbortea.example"
CAM_PASSWORD = PASSWORD  # so that the journeys' `_sign_in` signs them in too


def _nav(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("nav.nav a").all_inner_texts()]


def test_an_invited_member_joins_and_sees_what_the_role_opens(
    tmp_path: Path, page_and_outside: tuple[Any, list[str]]
) -> None:
    page, outside = page_and_outside
    with (
        running_mailbox() as mailbox,
        running_server(
            base_env(
                tmp_path / "data",
                SHELFSPACE_BOOTSTRAP_KEY=BOOTSTRAP,
                SHELFSPACE_SMTP_HOST="127.0.0.1",
                SHELFSPACE_SMTP_PORT=str(mailbox.port),
                SHELFSPACE_SMTP_SECURITY="none",
            )
        ) as url,
    ):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {BOOTSTRAP}"})
        brand = api.post("/v1/advertisers", json={"name": "Harbor Tea", "domain": "harbortea.example"}).json()["id"]
        assert (
            api.post(
                "/v1/users", json={"email": ADMIN, "password": PASSWORD, "role": "advertiser", "advertiser_id": brand}
            ).status_code
            == 201
        )

        # The admin invites a campaign manager from the team page.
        _sign_in(page, url, ADMIN)
        page.goto(f"{url}/brand/team")
        assert page.locator(f"tr[data-member='{ADMIN}']").get_attribute("data-role") == "admin"
        shot(page, "team-brand")
        assert_accessible(page)
        page.get_by_label("E-mail address").fill(CAM)
        page.locator("form[action='/brand/team/invites'] select[name=team_role]").select_option(
            label="Campaign manager"
        )
        page.get_by_role("button", name="Send invitation").click()
        page.wait_for_load_state()
        assert f"We e-mailed {CAM}" in page.locator(".flash").inner_text()
        assert "Campaign manager" in page.locator(f"tr[data-invite='{CAM}']").inner_text()
        shot(page, "team-brand-invited")
        assert_accessible(page)

        # The invited person follows the link in the e-mail, in a browser of their own.
        link = mailbox.path_in(mailbox.wait_for(1), "/invite/")
        page.context.clear_cookies()
        page.goto(url + link)
        assert "Join Harbor Tea" in page.locator("h1").inner_text()
        shot(page, "team-accept")
        assert_accessible(page)
        page.get_by_label("Choose a password").fill(CAM_PASSWORD)
        page.get_by_label("The password again").fill(CAM_PASSWORD + "!")
        page.get_by_role("button", name="Join and sign in").click()
        page.wait_for_load_state()
        assert "does not match" in page.locator("#password_again-error").inner_text()
        assert_accessible(page)
        page.get_by_label("Choose a password").fill(CAM_PASSWORD)
        page.get_by_label("The password again").fill(CAM_PASSWORD)
        page.get_by_role("button", name="Join and sign in").click()
        page.wait_for_load_state()
        assert page.url == f"{url}/brand" and "Welcome to Harbor Tea" in page.locator(".flash").inner_text()
        assert "New campaign" in _nav(page) and "Team" not in _nav(page)
        refused = page.goto(f"{url}/brand/team")
        assert refused is not None and refused.status == 403 and "campaign manager" in page.content()
        shot(page, "team-refused")
        # The wizard opens (asked without leaving the page: the wizard guards unsaved work).
        assert page.request.get(f"{url}/brand/campaigns/new").status == 200
        page.context.clear_cookies()

        # The admin makes them reporting only; their navigation loses "New campaign".
        _sign_in(page, url, ADMIN)
        page.goto(f"{url}/brand/team")
        row = page.locator(f"tr[data-member='{CAM}']")
        row.get_by_label(f"Role of {CAM}").select_option(label="Reporting only")
        row.get_by_role("button", name=f"Change the role of {CAM}").click()
        page.wait_for_load_state()
        assert page.locator(f"tr[data-member='{CAM}']").get_attribute("data-role") == "reporting"
        shot(page, "team-brand-members")
        page.locator(f"tr[data-member='{CAM}']").get_by_role("link", name=f"Disable {CAM}").click()
        page.wait_for_load_state()
        assert "signed out everywhere" in page.locator("main").inner_text()
        shot(page, "team-disable-confirm")
        assert_accessible(page)
        page.get_by_role("link", name="Cancel").click()  # nothing happens without the confirmation
        page.wait_for_load_state()
        assert page.locator(f"tr[data-member='{CAM}']").get_attribute("data-status") == "active"
        page.context.clear_cookies()

        _sign_in(page, url, CAM)
        page.wait_for_url(f"{url}/brand")
        assert "New campaign" not in _nav(page) and "Campaigns" in _nav(page)
        shot(page, "team-reporting-home")
        assert_accessible(page)
    assert outside == []

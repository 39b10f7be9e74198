"""The one gate every page passes: who has not proven their e-mail, or whose brand waits for
approval, sees where they stand and nothing else; staff without a second factor, while the
network requires one (accounts/access_policy.py), are sent to set it up first.

Installed on every page router (dashboard/install.py), so a new page is behind it without
saying so: the pages open to such a person are listed here, and only here. The rule
itself (who may see the network) is accounts/approval.py, which the API applies too.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from shelfspace.accounts.approval import may_see_network
from shelfspace.dashboard.session import DashboardUser, signed_in_user
from shelfspace.runtime import runtime_of

# Route templates a signed-in person may open before being verified and approved: their own
# sign-up (the form, the link, a new e-mail), signing in and out (with its second factor and
# a forgotten password), an invitation's link, and the front door.
OPEN_BEFORE_APPROVAL = frozenset(
    {
        "/",
        "/login",
        "/logout",
        "/signup",
        "/signup/verify",
        "/signup/resend",
        "/login/code",
        "/password/forgot",
        "/password/reset/{token}",
        "/invite/{token}",
    }
)
# And those staff owing a second factor may open: their own account, to set it up.
OPEN_BEFORE_ENROLMENT = frozenset({"/account", "/account/password", "/account/two-factor"})
ENROLMENT_PAGE = "/account/two-factor"
BRAND_HOME = "/brand"


class EmailUnverified(Exception):
    """A signed-in person who has not followed the link e-mailed at sign-up."""

    def __init__(self, user: DashboardUser) -> None:
        self.user = user


class TwoFactorOwed(Exception):
    """A staff member without a second factor while the network requires one."""


class BrandAwaitingApproval(Exception):
    """A signed-in brand the operator has not approved: it sees its own sign-up only."""

    def __init__(self, user: DashboardUser) -> None:
        self.user = user


def _template_of(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


def approval_gate(request: Request) -> None:
    """A plain `def` dependency (run in the thread pool): it may read the user from the database."""
    template = _template_of(request)
    if template in OPEN_BEFORE_APPROVAL:
        return
    user = signed_in_user(request)
    if user is None:  # the page's own dependencies send a visitor to sign in, or serve a public page
        return
    if not user.email_verified:
        raise EmailUnverified(user)
    if not may_see_network(user.advertiser_status):
        raise BrandAwaitingApproval(user)
    if user.two_factor_owed and template not in OPEN_BEFORE_ENROLMENT:
        raise TwoFactorOwed()


# Plain `def` handlers: rendering reads the signed-in user (cached by now, but the rule holds).
def _unverified(request: Request, exc: Exception) -> Response:
    from shelfspace.dashboard.rendering import render

    assert isinstance(exc, EmailUnverified)
    return render(
        request,
        "brand/check_email.html",
        status_code=403,
        title="Check your e-mail",
        email=exc.user.email,
        network=runtime_of(request).settings.network_name,
    )


def _awaiting(request: Request, exc: Exception) -> Response:
    from shelfspace.dashboard.rendering import render

    assert isinstance(exc, BrandAwaitingApproval)
    status_code = 200 if _template_of(request) == BRAND_HOME else 403  # home is where it belongs
    return render(
        request,
        "brand/pending.html",
        status_code=status_code,
        title="Waiting for approval",
        network=runtime_of(request).settings.network_name,
        status=exc.user.advertiser_status,
    )


async def _enrol(request: Request, exc: Exception) -> Response:
    return RedirectResponse(ENROLMENT_PAGE, status_code=303)


def install_approval_gate_pages(app: FastAPI) -> None:
    app.add_exception_handler(TwoFactorOwed, _enrol)
    app.add_exception_handler(EmailUnverified, _unverified)
    app.add_exception_handler(BrandAwaitingApproval, _awaiting)

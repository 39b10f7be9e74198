"""The one page a signed link that opens nothing answers with: an e-mail confirmation, a
password reset or an invitation that is forged, expired, used, withdrawn or taken.

Each account flow keeps its own reasons (accounts/email_verification.py, password_reset.py,
invites.py) and its own words for the person; what the page does with them is here once:
the reason, named by `LinkRefusal`, sets the status code and the heading, and the flow adds
its title and where the person goes next. The page's `data-state` is the reason and its
`data-link` the kind of link, for the tests and for support reading a screenshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Request
from starlette.responses import Response

from shelfspace.dashboard.rendering import render

TEMPLATE = "link_refused.html"


class LinkRefusal(StrEnum):
    """Why a signed link opens nothing."""

    INVALID = "invalid"  # never made by us, cut short, altered, or its object is gone
    EXPIRED = "expired"
    USED = "used"  # it did its work once already (or a newer link did)
    REVOKED = "revoked"  # withdrawn, or replaced by a newer one
    TAKEN = "taken"  # what it would make exists already (an account for the address)


# Gone for good (410) where only a new link helps; a conflict (409) where the work is done.
STATUS = {
    LinkRefusal.INVALID: 400,
    LinkRefusal.EXPIRED: 410,
    LinkRefusal.USED: 409,
    LinkRefusal.REVOKED: 410,
    LinkRefusal.TAKEN: 409,
}


class SignedLink(StrEnum):
    """Which e-mailed link was refused."""

    EMAIL_CHECK = "email-check"
    PASSWORD_RESET = "password-reset"
    INVITATION = "invitation"


TITLES = {
    SignedLink.EMAIL_CHECK: "E-mail not confirmed",
    SignedLink.PASSWORD_RESET: "Password not changed",
    SignedLink.INVITATION: "Invitation",
}
_LINK_HEADINGS: Mapping[LinkRefusal, str] = {
    LinkRefusal.INVALID: "This link does not work",
    LinkRefusal.EXPIRED: "This link has expired",
    LinkRefusal.USED: "This link has already been used",
}
HEADINGS: Mapping[SignedLink, Mapping[LinkRefusal, str]] = {
    SignedLink.EMAIL_CHECK: _LINK_HEADINGS,
    SignedLink.PASSWORD_RESET: _LINK_HEADINGS,
    SignedLink.INVITATION: {
        LinkRefusal.INVALID: "This invitation link does not work",
        LinkRefusal.EXPIRED: "This invitation has expired",
        LinkRefusal.USED: "This invitation has already been accepted",
        LinkRefusal.REVOKED: "This invitation was withdrawn",
        LinkRefusal.TAKEN: "You have an account already",
    },
}


@dataclass(frozen=True, slots=True)
class NextStep:
    """A link the page offers; the first is the main one (drawn as a button)."""

    href: str
    label: str


SIGN_IN = NextStep("/login", "Sign in")


def link_refused(
    request: Request, link: SignedLink, reason: LinkRefusal, message: str, next_steps: Sequence[NextStep]
) -> Response:
    """The page for a refused link: `message` is the flow's own words of what to do now."""
    return render(
        request,
        TEMPLATE,
        status_code=STATUS[reason],
        title=TITLES[link],
        heading=HEADINGS[link][reason],
        message=message,
        reason=reason.value,
        link=link.value,
        next_steps=next_steps,
    )

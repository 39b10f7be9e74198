"""Whether a brand may see the network yet: the one rule, for pages and the API alike.

A brand that signed itself up waits, as PENDING, for the operator. Until then it sees its
own sign-up and nothing of the network: no audience sizes, forecasts, inventory,
placements, other brands' products, media kit or reports, since anyone can sign up and a
sign-up would otherwise be a free look at the operator's figures. The API refuses every
key of such a brand (`accounts/caller.py`), the pages every page but the sign-up's own
(`dashboard/approval_gate.py`); both ask `may_see_network`.

`AdvertiserStatus` is defined here, with the rule that reads it, because a brand's status
is its account's standing: the catalogue (above this package) re-exports it.
"""

from __future__ import annotations

from enum import StrEnum

from shelfspace.core.errors import ErrorCode, Forbidden


class AdvertiserStatus(StrEnum):
    PENDING = "pending"  # signed up, awaiting the operator
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class AwaitingApproval(Forbidden):
    """The caller's advertiser signed up and the operator has not approved it yet."""

    code = ErrorCode.AWAITING_APPROVAL


def may_see_network(status: AdvertiserStatus | None) -> bool:
    """Operators (no advertiser) and approved brands: yes; a brand still waiting: no.

    A suspended or archived brand was approved once and keeps reading its own history;
    what it may still change is the services' business.
    """
    return status is not AdvertiserStatus.PENDING


def require_approved(status: AdvertiserStatus | None) -> None:
    if not may_see_network(status):
        raise AwaitingApproval(
            "this account is waiting for the network's approval: "
            "nothing can be read or changed until the operator approves it"
        )

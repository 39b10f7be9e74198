"""Who may do what: the roles of a team and the rights each holds, in one place.

A network is run by several people with different jobs, and a brand is a team too. Every
person and every API key has a role (`Role`: operator staff or a brand) and, within it, a
team role. The team role grants rights; each API route and each page needs one right
(accounts/route_rights.py says which), and the services check the finer ones (a brand's
campaign manager may change campaigns but not billing terms).

Operator staff:
- admin: everything, including the team, API keys, the audit history and security policy;
- ad operations: review, inventory and campaigns;
- finance: billing (top-ups, credits, invoices, an advertiser's terms).

A brand:
- admin: everything the brand may do, including its team, its API keys, its invoices and
  its history;
- campaign manager: campaigns, creatives, audiences and their measurement;
- reporting: reads only.

Everyone may read what their side of the network may read (`Right.READ`).
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """The side of the network: its operator, or one brand (an advertiser)."""

    OPERATOR = "operator"
    ADVERTISER = "advertiser"


class TeamRole(StrEnum):
    ADMIN = "admin"
    AD_OPS = "ad_ops"  # operator staff only
    FINANCE = "finance"  # operator staff only
    CAMPAIGN_MANAGER = "campaign_manager"  # brands only
    REPORTING = "reporting"  # brands only


class Right(StrEnum):
    READ = "read"  # reports, campaigns, the catalogue: what the side may see
    CAMPAIGNS = "campaigns"  # create and change campaigns, line items, creatives, audiences, studies
    REVIEW = "review"  # operator: creatives and sign-ups reviewed, advertisers suspended
    INVENTORY = "inventory"  # operator: placements, products, demand partners, first-party data
    BILLING = "billing"  # money: top-ups, credits, invoices, an advertiser's terms
    TEAM = "team"  # people: invitations, roles, disabling, signing out elsewhere
    KEYS = "keys"  # API keys
    AUDIT = "audit"  # the audit history
    SECURITY = "security"  # operator: the network's sign-in policy (two-factor for staff)


_ALL = frozenset(Right)

RIGHTS: MappingProxyType[tuple[Role, TeamRole], frozenset[Right]] = MappingProxyType(
    {
        (Role.OPERATOR, TeamRole.ADMIN): _ALL,
        (Role.OPERATOR, TeamRole.AD_OPS): frozenset({Right.READ, Right.CAMPAIGNS, Right.REVIEW, Right.INVENTORY}),
        (Role.OPERATOR, TeamRole.FINANCE): frozenset({Right.READ, Right.BILLING}),
        (Role.ADVERTISER, TeamRole.ADMIN): frozenset(
            {Right.READ, Right.CAMPAIGNS, Right.BILLING, Right.TEAM, Right.KEYS, Right.AUDIT}
        ),
        (Role.ADVERTISER, TeamRole.CAMPAIGN_MANAGER): frozenset({Right.READ, Right.CAMPAIGNS}),
        (Role.ADVERTISER, TeamRole.REPORTING): frozenset({Right.READ}),
    }
)

TEAM_ROLES: MappingProxyType[Role, tuple[TeamRole, ...]] = MappingProxyType(
    {
        Role.OPERATOR: (TeamRole.ADMIN, TeamRole.AD_OPS, TeamRole.FINANCE),
        Role.ADVERTISER: (TeamRole.ADMIN, TeamRole.CAMPAIGN_MANAGER, TeamRole.REPORTING),
    }
)
"""The team roles each side offers, in the order the pages list them."""

LABELS: MappingProxyType[TeamRole, str] = MappingProxyType(
    {
        TeamRole.ADMIN: "Admin",
        TeamRole.AD_OPS: "Ad operations",
        TeamRole.FINANCE: "Finance",
        TeamRole.CAMPAIGN_MANAGER: "Campaign manager",
        TeamRole.REPORTING: "Reporting only",
    }
)

DESCRIPTIONS: MappingProxyType[TeamRole, str] = MappingProxyType(
    {
        TeamRole.ADMIN: "Everything, including the team, API keys and the audit history.",
        TeamRole.AD_OPS: "Creative and sign-up review, inventory and every campaign.",
        TeamRole.FINANCE: "Billing: top-ups, credits, invoices and advertisers' terms.",
        TeamRole.CAMPAIGN_MANAGER: "Campaigns, creatives, audiences and measurement; not the team or keys.",
        TeamRole.REPORTING: "Reads campaigns and reports; changes nothing.",
    }
)


def rights_of(role: Role, team_role: TeamRole) -> frozenset[Right]:
    """The rights of a team role on its side; a role the side does not offer has none."""
    return RIGHTS.get((role, team_role), frozenset())


def offered(role: Role, team_role: TeamRole) -> bool:
    return (role, team_role) in RIGHTS


def within(role: Role, granter: TeamRole, granted: TeamRole) -> bool:
    """May someone with `granter` give `granted` (to a person or a key)? Never more rights
    than one holds: an admin gives any role of its side, others only their own or less."""
    return offered(role, granted) and rights_of(role, granted) <= rights_of(role, granter)

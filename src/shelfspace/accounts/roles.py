"""Roles and the caller of a request (the principal), with the tenancy rule in one place.

`Role` is the side of the network (its operator, or one brand); the team role within it
grants rights (accounts/rights.py). Tenancy (whose objects) and rights (which actions)
are both asked of the principal, so a service needs no other source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shelfspace.accounts.rights import LABELS, Right, Role, TeamRole, rights_of
from shelfspace.core.errors import Forbidden

__all__ = ["SYSTEM", "Person", "Principal", "Role", "acting_as"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. `actor` names it in the audit log (`key:key_…`, `user:…`)."""

    actor: str
    role: Role
    advertiser_id: str | None = None
    team_role: TeamRole | None = None  # None: the side's admin (SYSTEM, bootstrap, older callers)

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    @property
    def rights(self) -> frozenset[Right]:
        return rights_of(self.role, self.team_role or TeamRole.ADMIN)

    def may(self, right: Right) -> bool:
        return right in self.rights

    def owns(self, advertiser_id: str | None) -> bool:
        """Operators see the whole network; an advertiser only its own objects."""
        return self.is_operator or (advertiser_id is not None and advertiser_id == self.advertiser_id)

    def require_operator(self, action: str) -> None:
        if not self.is_operator:
            raise Forbidden(f"only an operator may {action}")

    def require(self, right: Right, action: str) -> None:
        """Refused unless the caller's team role holds `right` (its side is the services' check)."""
        if not self.may(right):
            team_role = self.team_role or TeamRole.ADMIN
            asked = "" if team_role is TeamRole.ADMIN else ": ask an admin of your team"
            raise Forbidden(f"your role ({LABELS[team_role].lower()}) may not {action}{asked}")


class Person(Protocol):
    """A signed-in person as the audit log names them: a user row or a dashboard session's user."""

    @property
    def id(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def advertiser_id(self) -> str | None: ...
    @property
    def team_role(self) -> TeamRole: ...


def acting_as(person: Person) -> Principal:
    """The principal of a person acting for themselves (`user:…` in the audit log)."""
    return Principal(
        actor=f"user:{person.id}", role=person.role, advertiser_id=person.advertiser_id, team_role=person.team_role
    )


SYSTEM = Principal(actor="system", role=Role.OPERATOR)
"""Shelfspace itself (bootstrap, demo seeding), recorded as such in the audit log."""

"""Roles and the caller of a request (the principal), with the tenancy rule in one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shelfspace.core.errors import Forbidden


class Role(StrEnum):
    OPERATOR = "operator"
    ADVERTISER = "advertiser"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. `actor` names it in the audit log (`key:key_…`, `user:…`)."""

    actor: str
    role: Role
    advertiser_id: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def owns(self, advertiser_id: str | None) -> bool:
        """Operators see the whole network; an advertiser only its own objects."""
        return self.is_operator or (advertiser_id is not None and advertiser_id == self.advertiser_id)

    def require_operator(self, action: str) -> None:
        if not self.is_operator:
            raise Forbidden(f"only an operator may {action}")


SYSTEM = Principal(actor="system", role=Role.OPERATOR)
"""Shelfspace itself (bootstrap, demo seeding), recorded as such in the audit log."""

"""A team's people: who is in it, their team roles, disabling and enabling them. No HTTP here.

A team is one side of the network: the operator's staff, or one brand's people. A brand's
admin acts on its own team only (anyone else reads as not found, as for every object of
another brand); an operator admin acts on anyone. Nobody gives more rights than they
hold (`rights.within`), and no change leaves a team without an active admin: the last
one can neither be demoted nor disabled, so a brand can always manage itself. Every
change is audited; disabling ends the person's sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import User
from shelfspace.accounts.rights import LABELS, TEAM_ROLES, Right, Role, TeamRole, offered, within
from shelfspace.accounts.roles import Principal
from shelfspace.accounts.sessions import SessionEnd, end_user_sessions
from shelfspace.accounts.tenants import advertiser_name
from shelfspace.core.errors import Conflict, Forbidden, InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class Team:
    """One side's people: the operator's staff (no advertiser) or one brand's."""

    role: Role
    advertiser_id: str | None = None

    @property
    def members(self) -> ColumnElement[bool]:
        """The condition that picks this team's users."""
        if self.advertiser_id is None:
            return and_(User.role == self.role, User.advertiser_id.is_(None))
        return and_(User.role == self.role, User.advertiser_id == self.advertiser_id)


def team_of(user: User) -> Team:
    return Team(user.role, user.advertiser_id)


def caller_team(by: Principal) -> Team:
    """The team the caller belongs to (an operator's: the staff)."""
    return Team(by.role, None if by.is_operator else by.advertiser_id)


def team_label(db: Session, team: Team, network_name: str) -> str:
    """How a team is named to people: the brand's name, or the network's staff."""
    if team.advertiser_id is not None:
        name = advertiser_name(db, team.advertiser_id)
        return name if name is not None else team.advertiser_id
    return f"{network_name} (operator staff)"


def roles_text(role: Role) -> str:
    return ", ".join(r.value for r in TEAM_ROLES[role])


def require_offered(role: Role, team_role: TeamRole, field: str = "team_role") -> None:
    """A team role the side does not offer (finance for a brand) is a mistake in the field."""
    if not offered(role, team_role):
        side = "operator staff" if role is Role.OPERATOR else "a brand's team"
        raise InvalidInput.on(field, f"{team_role.value} is not a role of {side}: choose one of {roles_text(role)}")


def require_within(by: Principal, role: Role, team_role: TeamRole) -> None:
    """Refused unless the caller holds every right of `team_role` (on the side `role`)."""
    if not within(role, by.team_role or TeamRole.ADMIN, team_role):
        raise Forbidden(f"you may not give the role {LABELS[team_role].lower()}: it has rights your own role lacks")


def visible_user(db: Session, by: Principal, user_id: str) -> User:
    """A user the caller may see: a brand's own people, or anyone for an operator."""
    user = db.get(User, user_id)
    if user is None or not by.owns(user.advertiser_id):
        raise NotFound(f"no user {user_id!r}")
    return user


def users_query(by: Principal) -> Select[Any]:
    """Everyone for an operator; a brand's own people for a brand (GET /v1/users)."""
    by.require(Right.TEAM, "list the team")
    stmt = select(User)
    return stmt if by.is_operator else stmt.where(User.advertiser_id == by.advertiser_id)


def members(db: Session, team: Team) -> list[User]:
    """The team's people, admins first, then by e-mail address."""
    order = [r.value for r in TEAM_ROLES[team.role]]
    users = list(db.scalars(select(User).where(team.members).order_by(User.email)))
    return sorted(users, key=lambda u: order.index(u.team_role.value) if u.team_role.value in order else len(order))


def _other_active_admins(db: Session, user: User) -> int:
    """Active admins of the user's team but the user, their rows locked (PostgreSQL) so
    that two admins demoting each other at once cannot both succeed."""
    stmt = (
        select(User.id)
        .where(team_of(user).members, User.team_role == TeamRole.ADMIN, User.disabled_at.is_(None), User.id != user.id)
        .with_for_update()
    )
    return len(list(db.scalars(stmt)))


def _keep_an_admin(db: Session, user: User, field: str, change: str) -> None:
    if user.team_role is TeamRole.ADMIN and user.disabled_at is None and _other_active_admins(db, user) == 0:
        raise Conflict(
            f"{field}: {user.email} is the team's only active admin and cannot be {change}: "
            "make someone else an admin first"
        )


def _acting_on(db: Session, by: Principal, user_id: str, action: str) -> User:
    by.require(Right.TEAM, action)
    user = visible_user(db, by, user_id)
    require_within(by, user.role, user.team_role)  # nobody changes a person with more rights than theirs
    return user


def change_team_role(db: Session, by: Principal, user_id: str, team_role: TeamRole) -> User:
    """Give a member another role of their side; the last active admin keeps theirs."""
    user = _acting_on(db, by, user_id, "change team roles")
    require_offered(user.role, team_role)
    require_within(by, user.role, team_role)
    if team_role is user.team_role:
        return user
    if team_role is not TeamRole.ADMIN:
        _keep_an_admin(db, user, "team_role", f"made {LABELS[team_role].lower()}")
    record(
        db,
        by,
        AuditAction.UPDATE,
        "user",
        user.id,
        {"team_role": [user.team_role, team_role]},
        advertiser_id=user.advertiser_id,
    )
    user.team_role = team_role
    db.flush()
    return user


def set_disabled(db: Session, by: Principal, user_id: str, disabled: bool, now: datetime) -> User:
    """Disable (signed out everywhere at once, sign-in refused) or enable a member again."""
    user = _acting_on(db, by, user_id, "disable or enable people")
    if disabled == (user.disabled_at is not None):
        return user
    changes: dict[str, object] = {"disabled_at": [user.disabled_at, now if disabled else None]}
    if disabled:
        if by.actor == f"user:{user.id}":
            raise Conflict("disabled: you cannot disable your own account; another admin can")
        _keep_an_admin(db, user, "disabled", "disabled")
        changes["sessions_ended"] = end_user_sessions(db, user.id, now)
        changes["why"] = SessionEnd.USER_DISABLED
    user.disabled_at = now if disabled else None
    record(db, by, AuditAction.UPDATE, "user", user.id, changes, advertiser_id=user.advertiser_id)
    db.flush()
    return user

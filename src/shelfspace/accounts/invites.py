"""Invitations to a team: a signed, expiring, single-use link e-mailed to the person. No HTTP here.

An admin invites an e-mail address with a team role: an operator admin invites staff, or
people into a brand's team; a brand's admin only into its own team, and nobody gives a
role with rights they lack (`rights.within`). The invitation is a row (`Invite`: team,
role, `expires_at` 7 days on); the link carries its id, signed with itsdangerous under
the site's secret and a salt of its own (so no other signed value of Shelfspace passes
for it) and is refused when altered. The row decides the rest: accepted once
(`accepted_at`, claimed by a conditional UPDATE so two clicks cannot both succeed),
revocable, expired after `expires_at`. Inviting an address again while an invitation to
the same team is open replaces it (the old one is revoked). An address that already has
an account cannot be invited.

Accepting makes the user with the invited role and team, their e-mail verified (the link
proves they read it), with the password they choose (the one strength rule); the page
then signs them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.invite_schemas import InviteCreate, InviteStatus, MailOutcome
from shelfspace.accounts.models import Invite, User
from shelfspace.accounts.passwords import hash_password
from shelfspace.accounts.rights import DESCRIPTIONS, LABELS, Right, Role, TeamRole
from shelfspace.accounts.roles import Principal, acting_as
from shelfspace.accounts.service import require_strong_password
from shelfspace.accounts.team import Team, require_offered, require_within, team_label
from shelfspace.accounts.tenants import advertiser_exists
from shelfspace.config import Settings
from shelfspace.core.errors import Conflict, InvalidInput, NotFound
from shelfspace.core.ids import new_id
from shelfspace.mail import Delivery, Mail, Mailer, MailNotSent

SALT = "shelfspace.team-invite"
INVITE_TTL = timedelta(days=7)
ACCEPT_PATH = "/invite"
MAX_TOKEN_LENGTH = 1000  # a real token is about 60 characters


class InviteProblem(StrEnum):
    """Why a link opens nothing: each has its own message for the person."""

    INVALID = "invalid"  # not made by us, altered, or for an invitation that does not exist
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    TAKEN = "taken"  # the address has an account already (another invitation was accepted)


MESSAGES = {
    InviteProblem.INVALID: "This invitation link is not valid: it may have been cut short or changed. Open the "
    "newest invitation e-mail and use its link, or ask the person who invited you for a new one.",
    InviteProblem.EXPIRED: f"This invitation has expired (invitations work for {INVITE_TTL.days} days). Ask the "
    "person who invited you to send a new one.",
    InviteProblem.USED: "This invitation has already been accepted. Sign in with the password you chose.",
    InviteProblem.REVOKED: "This invitation was withdrawn, or replaced by a newer one: use the link in the newest "
    "invitation e-mail, or ask the person who invited you.",
    InviteProblem.TAKEN: "An account with this e-mail address exists already. Sign in instead.",
}


class InviteRefused(Exception):
    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(MESSAGES[problem])
        self.problem = problem
        self.message = MESSAGES[problem]


def status_of(invite: Invite, now: datetime) -> InviteStatus:
    if invite.accepted_at is not None:
        return InviteStatus.ACCEPTED
    if invite.revoked_at is not None:
        return InviteStatus.REVOKED
    return InviteStatus.EXPIRED if now >= invite.expires_at else InviteStatus.OPEN


# --- the link ---------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT)


def make_token(secret: str, invite: Invite) -> str:
    return _serializer(secret).dumps({"i": invite.id})


def link_of(settings: Settings, secret: str, invite: Invite) -> str:
    return f"{settings.base_url()}{ACCEPT_PATH}/{make_token(secret, invite)}"


def invite_mail(settings: Settings, secret: str, invite: Invite, team: str, inviter: str) -> Mail:
    role = invite.team_role
    body = (
        f"Hello,\n\n{inviter} invited you to join {team} on {settings.network_name} as "
        f"{LABELS[role].lower()}: {DESCRIPTIONS[role]}\n\n"
        f"Choose your password and sign in by opening this link:\n\n{link_of(settings, secret, invite)}\n\n"
        f"The link works once, for {INVITE_TTL.days} days. If you did not expect this invitation, ignore "
        f"this e-mail: nothing happens without it.\n\n{settings.network_name}\n"
    )
    return Mail(to=invite.email, subject=f"Join {team} on {settings.network_name}", body=body)


def mail_for(db: Session, settings: Settings, secret: str, invite: Invite, inviter: str) -> Mail:
    """The invitation's e-mail, named for its team, read in the transaction that made it."""
    team = team_label(db, Team(invite.role, invite.advertiser_id), settings.network_name)
    return invite_mail(settings, secret, invite, team, inviter)


def send(settings: Settings, mail: Mail) -> MailOutcome:
    """Blocking (SMTP): called from a plain `def` route or page, after the commit."""
    try:
        delivery = Mailer(settings).send(mail)
    except MailNotSent:
        return MailOutcome.FAILED
    return MailOutcome.SENT if delivery is Delivery.SENT else MailOutcome.LOGGED


def _invite_of(db: Session, secret: str, token: str) -> Invite:
    if len(token) > MAX_TOKEN_LENGTH:
        raise InviteRefused(InviteProblem.INVALID)
    try:
        found: Any = _serializer(secret).loads(token)
    except BadSignature:
        raise InviteRefused(InviteProblem.INVALID) from None
    invite_id = found.get("i") if isinstance(found, dict) else None
    invite = db.get(Invite, invite_id) if isinstance(invite_id, str) else None
    if invite is None:
        raise InviteRefused(InviteProblem.INVALID)
    return invite


def opened(db: Session, secret: str, token: str, now: datetime) -> Invite:
    """The open invitation the link stands for, or InviteRefused saying why not. Reads only."""
    invite = _invite_of(db, secret, token)
    problem = {
        InviteStatus.ACCEPTED: InviteProblem.USED,
        InviteStatus.REVOKED: InviteProblem.REVOKED,
        InviteStatus.EXPIRED: InviteProblem.EXPIRED,
    }.get(status_of(invite, now))
    if problem is not None:
        raise InviteRefused(problem)
    if db.scalar(select(User.id).where(User.email == invite.email)) is not None:
        raise InviteRefused(InviteProblem.TAKEN)
    return invite


# --- inviting ---------------------------------------------------------------------------


def _team_for(db: Session, by: Principal, advertiser_id: str | None) -> Team:
    """The team a new invitation joins: a brand's own, or the one an operator names."""
    if not by.is_operator:
        if advertiser_id not in (None, by.advertiser_id):
            raise InvalidInput.on("advertiser_id", f"no advertiser {advertiser_id!r}")
        return Team(Role.ADVERTISER, by.advertiser_id)
    if advertiser_id is None:
        return Team(Role.OPERATOR)
    if not advertiser_exists(db, advertiser_id):
        raise InvalidInput.on("advertiser_id", f"no advertiser {advertiser_id!r}")
    return Team(Role.ADVERTISER, advertiser_id)


def _open_for(team: Team, email: str, now: datetime) -> Select[Any]:
    stmt = select(Invite).where(
        Invite.email == email,
        Invite.role == team.role,
        Invite.accepted_at.is_(None),
        Invite.revoked_at.is_(None),
        Invite.expires_at > now,
    )
    if team.advertiser_id is None:
        return stmt.where(Invite.advertiser_id.is_(None))
    return stmt.where(Invite.advertiser_id == team.advertiser_id)


def create_invite(db: Session, by: Principal, spec: InviteCreate, now: datetime) -> Invite:
    """A new invitation (the caller e-mails it once committed); an open one to the same
    address and team is replaced. Flushes, never commits."""
    by.require(Right.TEAM, "invite people")
    team = _team_for(db, by, spec.advertiser_id)
    require_offered(team.role, spec.team_role)
    require_within(by, team.role, spec.team_role)
    email = str(spec.email).lower()
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise InvalidInput.on(
            "email", f"{email} has an account already: they can sign in (an admin of their team changes their role)"
        )
    invite = Invite(
        id=new_id("inv"),
        email=email,
        role=team.role,
        team_role=spec.team_role,
        advertiser_id=team.advertiser_id,
        invited_by=by.actor,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    for old in db.scalars(_open_for(team, email, now)):
        old.revoked_at = now
        record(
            db, by, AuditAction.REVOKE, "invite", old.id, {"replaced_by": invite.id}, advertiser_id=old.advertiser_id
        )
    db.add(invite)
    record(
        db,
        by,
        AuditAction.CREATE,
        "invite",
        invite.id,
        {
            "email": email,
            "role": team.role,
            "team_role": spec.team_role,
            "advertiser_id": team.advertiser_id,
            "expires_at": invite.expires_at,
        },
        advertiser_id=team.advertiser_id,
    )
    db.flush()
    return invite


def visible_invite(db: Session, by: Principal, invite_id: str) -> Invite:
    invite = db.get(Invite, invite_id)
    if invite is None or not by.owns(invite.advertiser_id):
        raise NotFound(f"no invite {invite_id!r}")
    return invite


def resend(db: Session, by: Principal, invite_id: str, now: datetime) -> Invite:
    """The same invitation again with a fresh link and 7 days: the old link stops working."""
    by.require(Right.TEAM, "invite people")
    old = visible_invite(db, by, invite_id)
    if old.accepted_at is not None:
        raise Conflict(f"{old.email} accepted this invitation already")
    return create_invite(
        db, by, InviteCreate(email=old.email, team_role=old.team_role, advertiser_id=old.advertiser_id), now
    )


def revoke(db: Session, by: Principal, invite_id: str, now: datetime) -> Invite:
    """Withdraw an invitation: its link then says so. Revoking twice changes nothing."""
    by.require(Right.TEAM, "withdraw invitations")
    invite = visible_invite(db, by, invite_id)
    if invite.accepted_at is not None:
        raise Conflict(f"{invite.email} accepted this invitation already: disable the user instead")
    if invite.revoked_at is None:
        invite.revoked_at = now
        record(
            db, by, AuditAction.REVOKE, "invite", invite.id, {"email": invite.email}, advertiser_id=invite.advertiser_id
        )
        db.flush()
    return invite


def invites_query(by: Principal) -> Select[Any]:
    """Every invitation for an operator; a brand's own for a brand (newest last, by id)."""
    by.require(Right.TEAM, "list invitations")
    stmt = select(Invite)
    return stmt if by.is_operator else stmt.where(Invite.advertiser_id == by.advertiser_id)


def open_invites(db: Session, team: Team, now: datetime) -> list[Invite]:
    stmt = select(Invite).where(
        Invite.role == team.role, Invite.accepted_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now
    )
    stmt = stmt.where(
        Invite.advertiser_id.is_(None) if team.advertiser_id is None else Invite.advertiser_id == team.advertiser_id
    )
    return list(db.scalars(stmt.order_by(Invite.created_at.desc(), Invite.id.desc())))


# --- accepting --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Welcome:
    """What the accept page shows about an open invitation."""

    email: str
    team: str
    team_role: TeamRole


def welcome(db: Session, settings: Settings, secret: str, token: str, now: datetime) -> Welcome:
    invite = opened(db, secret, token, now)
    team = team_label(db, Team(invite.role, invite.advertiser_id), settings.network_name)
    return Welcome(invite.email, team, invite.team_role)


def accept(db: Session, secret: str, token: str, password: str, now: datetime) -> User:
    """Make the invited user with the password they chose, or raise InviteRefused (the link)
    or InvalidInput (`password`). Flushes, never commits."""
    invite = opened(db, secret, token, now)
    require_strong_password(password, [invite.email])
    claimed = db.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.accepted_at.is_(None), Invite.revoked_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise InviteRefused(InviteProblem.USED)
    user = User(
        id=new_id("usr"),
        email=invite.email,
        password_hash=hash_password(password),
        role=invite.role,
        advertiser_id=invite.advertiser_id,
        team_role=invite.team_role,
        created_at=now,
        email_verified_at=now,
    )  # following the link proved the address
    db.add(user)
    try:
        db.flush()
    except IntegrityError:  # another invitation to the address was accepted a moment before
        raise InviteRefused(InviteProblem.TAKEN) from None
    invite.user_id = user.id
    by = acting_as(user)
    record(
        db,
        by,
        AuditAction.CREATE,
        "user",
        user.id,
        {
            "email": user.email,
            "role": user.role,
            "team_role": user.team_role,
            "advertiser_id": user.advertiser_id,
            "invite": invite.id,
        },
        advertiser_id=user.advertiser_id,
    )
    record(
        db,
        by,
        AuditAction.UPDATE,
        "invite",
        invite.id,
        {"accepted_at": [None, now], "user_id": user.id},
        advertiser_id=user.advertiser_id,
    )
    db.flush()
    return user

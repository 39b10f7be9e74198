"""API shapes of team invitations (accounts/invites.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from shelfspace.accounts.rights import Role, TeamRole
from shelfspace.core.inputs import InputModel


class InviteStatus(StrEnum):
    OPEN = "open"  # the link works
    ACCEPTED = "accepted"
    REVOKED = "revoked"  # withdrawn, or replaced by a newer invitation to the same address
    EXPIRED = "expired"


class MailOutcome(StrEnum):
    """What became of the invitation's e-mail."""

    SENT = "sent"
    LOGGED = "logged"  # no SMTP host configured: written to the server log
    FAILED = "failed"  # the SMTP server refused or could not be reached: resend it later


class InviteCreate(InputModel):
    email: EmailStr = Field(description="Where the link goes; nobody with an account may be invited.")
    team_role: TeamRole = Field(
        description=(
            "The role the person gets: operator staff admin, ad_ops or finance; a brand's admin, campaign_manager "
            "or reporting. Never more than the inviter's own."
        )
    )
    advertiser_id: str | None = Field(
        default=None,
        max_length=40,
        description=(
            "The brand whose team the person joins. A brand's key: its own (may be left out). An operator's key: "
            "a brand, or left out to invite operator staff."
        ),
    )


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: Role
    team_role: TeamRole
    advertiser_id: str | None
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    user_id: str | None = Field(description="The user made when the invitation was accepted.")


class InviteCreated(InviteOut):
    mail: MailOutcome = Field(description="Whether the e-mail with the link went out (the link is never answered).")

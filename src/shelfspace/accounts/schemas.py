"""API shapes of keys, users and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from shelfspace.accounts.passwords import MIN_PASSWORD_LENGTH
from shelfspace.accounts.rights import TeamRole
from shelfspace.accounts.roles import Role
from shelfspace.core.inputs import InputModel


class _RoleAndAdvertiser(InputModel):
    # Passwords keep their spaces: nothing is trimmed here.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    role: Role
    advertiser_id: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _advertiser_matches_role(self) -> _RoleAndAdvertiser:
        if self.role is Role.ADVERTISER and not self.advertiser_id:
            raise ValueError("advertiser_id is required for the advertiser role")
        if self.role is Role.OPERATOR and self.advertiser_id:
            raise ValueError("advertiser_id must be empty for the operator role")
        return self


class ApiKeyCreate(InputModel):
    """Who may create which key is the service's rule (accounts/service.py `create_key`):
    a brand's admin may leave `advertiser_id` out (its own is taken), so the agreement of
    `role` and `advertiser_id` is checked there, naming the field."""

    role: Role
    advertiser_id: str | None = Field(default=None, max_length=40)
    team_role: TeamRole = Field(
        default=TeamRole.ADMIN,
        description=(
            "The key's scope: the rights of this team role on its side (operator: admin, ad_ops, finance; "
            "a brand: admin, campaign_manager, reporting). Never more than the creator's own."
        ),
    )
    name: str = Field(default="", max_length=200, description="A label to recognise the key by.")


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    advertiser_id: str | None
    team_role: TeamRole = Field(description="The key's scope: the rights of this team role on its side.")
    key_prefix: str = Field(description="The first characters of the key, to recognise it.")
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="When the key was last used (moved at most once a minute).")


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key. Shown only in this answer; stored hashed.")


class UserCreate(_RoleAndAdvertiser):
    email: EmailStr
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    team_role: TeamRole = Field(
        default=TeamRole.ADMIN,
        description=(
            "The person's role in their team: operator staff admin, ad_ops or finance; a brand's admin, "
            "campaign_manager or reporting."
        ),
    )


class UserUpdate(InputModel):
    """What an admin may change about a member of their team (a brand's admin: its own
    people; the operator's admin: anyone). `password` is the operator's only. A new
    password or disabling ends the user's sessions."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    password: str | None = Field(
        default=None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=1024,
        description="A new password (checked for strength, as at creation).",
    )
    disabled: bool | None = Field(default=None, description="true disables the user, false enables them again.")
    team_role: TeamRole | None = Field(
        default=None,
        description=(
            "A new role in their team, of their side and never more than the caller's own; the team's last "
            "active admin keeps theirs (409)."
        ),
    )


class SessionsEnded(BaseModel):
    user_id: str
    ended: int = Field(description="How many live dashboard sessions were ended.")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: Role
    advertiser_id: str | None
    team_role: TeamRole
    created_at: datetime
    disabled_at: datetime | None


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    changes: dict[str, Any]
    advertiser_id: str | None = Field(description="The brand the object belongs to; null: the network's own.")

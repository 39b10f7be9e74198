"""API shapes of keys, users and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from shelfspace.accounts.passwords import MIN_PASSWORD_LENGTH
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


class ApiKeyCreate(_RoleAndAdvertiser):
    name: str = Field(default="", max_length=200, description="A label to recognise the key by.")


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    advertiser_id: str | None
    key_prefix: str = Field(description="The first characters of the key, to recognise it.")
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key. Shown only in this answer; stored hashed.")


class UserCreate(_RoleAndAdvertiser):
    email: EmailStr
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class UserUpdate(InputModel):
    """What an operator may change about a user; each change ends the user's sessions."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=1024,
                                 description="A new password (checked for strength, as at creation).")
    disabled: bool | None = Field(default=None, description="true disables the user, false enables them again.")


class SessionsEnded(BaseModel):
    user_id: str
    ended: int = Field(description="How many live dashboard sessions were ended.")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: Role
    advertiser_id: str | None
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

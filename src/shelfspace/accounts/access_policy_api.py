"""`/v1/access-policy`: the network's sign-in policy, for an operator admin's key
(accounts/route_rights.py gives the whole path `Right.SECURITY`)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shelfspace.accounts import access_policy
from shelfspace.accounts.caller import Caller
from shelfspace.accounts.models import AccessPolicy
from shelfspace.core.inputs import InputModel
from shelfspace.core.jsonbody import JsonBody
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.runtime import runtime_of

router = APIRouter(responses=ERROR_RESPONSES)


class AccessPolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    staff_two_factor_required: bool = Field(
        description="Whether the operator's staff must sign in to the dashboard with a second factor (TOTP)."
    )
    updated_at: datetime | None = Field(description="When the policy last changed; null if never set.")
    updated_by: str | None = Field(description="Who changed it last (`user:…` or `key:…`).")


class AccessPolicyUpdate(InputModel):
    staff_two_factor_required: StrictBool = Field(
        description="true: staff without two-factor sign-in are sent to set it up before any console page, and "
        "may not turn it off."
    )


def _out(row: AccessPolicy) -> JsonBody:
    return JsonBody(AccessPolicyOut.model_validate(row))


@router.get("/v1/access-policy", response_model=AccessPolicyOut, tags=["access"], summary="Read the sign-in policy")
def read_policy(db: Db, by: Caller) -> JsonBody:
    by.require_operator("read the network's sign-in policy")
    return _out(access_policy.read_policy(db))


@router.put("/v1/access-policy", response_model=AccessPolicyOut, tags=["access"], summary="Set the sign-in policy")
def set_policy(request: Request, db: Db, by: Caller, body: AccessPolicyUpdate) -> JsonBody:
    """Recorded in the audit log when it changes."""
    row = access_policy.set_staff_two_factor(db, by, body.staff_two_factor_required, runtime_of(request).clock.now())
    return _out(row)

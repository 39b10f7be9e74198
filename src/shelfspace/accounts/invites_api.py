"""Routes for team invitations: /v1/invites (the right: TEAM, accounts/route_rights.py).

Plain `def` routes: they write rows and talk to the SMTP server. The invitation is
committed before its e-mail goes, so the link in it always opens a stored invitation;
the link itself is never in an answer (it is for the invited person's mailbox only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from sqlalchemy.orm import Session

from shelfspace.accounts import invites
from shelfspace.accounts.caller import Caller
from shelfspace.accounts.invite_schemas import InviteCreate, InviteCreated, InviteOut
from shelfspace.accounts.models import Invite
from shelfspace.accounts.signing_secret import session_secret
from shelfspace.config import Settings
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.core.jsonbody import JsonBody
from shelfspace.core.pagination import Page, PageParams, fetch_page, page_body, page_params
from shelfspace.http.deps import Db
from shelfspace.http.errors import ERROR_RESPONSES
from shelfspace.runtime import runtime_of

router = APIRouter(responses=ERROR_RESPONSES)
Paging = Annotated[PageParams, Depends(page_params)]
InviteId = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)]


def _answer(db: Session, request: Request, invite: Invite, inviter: str) -> JsonBody:
    settings: Settings = runtime_of(request).settings
    mail = invites.mail_for(db, settings, session_secret(settings), invite, inviter)
    out = InviteOut.model_validate(invite).model_dump()
    db.commit()  # stored before the link leaves: the e-mail never points at nothing
    body = InviteCreated.model_validate({**out, "mail": invites.send(settings, mail)})
    return JsonBody(body, status_code=status.HTTP_201_CREATED)


@router.post(
    "/v1/invites", response_model=InviteCreated, status_code=201, tags=["access"], summary="Invite a person to a team"
)
def create_invite(request: Request, db: Db, by: Caller, body: InviteCreate) -> JsonBody:
    """E-mails a link valid for 7 days that makes the person's account, once. Inviting an
    address again while its invitation to the same team is open replaces that one. An
    address with an account already is refused (422 on `email`)."""
    invite = invites.create_invite(db, by, body, runtime_of(request).clock.now())
    inviter = "The network's operator" if by.is_operator and invite.advertiser_id else "An admin of the team"
    return _answer(db, request, invite, inviter)


@router.get("/v1/invites", response_model=Page[InviteOut], tags=["access"], summary="List invitations")
def list_invites(db: Db, by: Caller, page: Paging) -> JsonBody:
    """Every invitation, open or not, oldest first: the operator's all; a brand's its own."""
    rows, cursor = fetch_page(db, invites.invites_query(by), Invite.id, page)
    return page_body(rows, cursor, InviteOut)


@router.delete("/v1/invites/{id}", response_model=InviteOut, tags=["access"], summary="Withdraw an invitation")
def revoke_invite(request: Request, db: Db, by: Caller, id: InviteId) -> JsonBody:
    """Its link then says it was withdrawn. An accepted invitation cannot be (409): disable the user."""
    return JsonBody(InviteOut.model_validate(invites.revoke(db, by, id, runtime_of(request).clock.now())))

"""/console/team and /brand/team: a team's people and invitations; /invite/{token}: joining.

One set of routes per side, one implementation (as the API keys' pages): the members with
their role and status, a form to change one's role, disabling and enabling each behind a
confirmation page of its own (it works without JavaScript), the open invitations with
resend and withdraw, and the invitation form (an e-mail address and a role, each role
with what it may do). The rules are the API's (accounts/team.py, accounts/invites.py);
the right each page needs is `Right.TEAM` (accounts/route_rights.py), so a person who
only reads never sees them.

The accept page is public: the signed link is the only key. The person chooses a
password, the account is made and they are signed in, landing on their side's home.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from shelfspace.accounts import invites, team
from shelfspace.accounts.invite_schemas import InviteCreate, MailOutcome
from shelfspace.accounts.invites import InviteProblem, InviteRefused
from shelfspace.accounts.models import ApiKey, User
from shelfspace.accounts.passwords import MIN_PASSWORD_LENGTH
from shelfspace.accounts.rights import DESCRIPTIONS, LABELS, TEAM_ROLES, Role, TeamRole, within
from shelfspace.accounts.signing_secret import session_secret
from shelfspace.config import Settings
from shelfspace.core.errors import ShelfspaceError
from shelfspace.core.inputs import KEY_PATTERN
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, text
from shelfspace.dashboard.link_refused import SIGN_IN, LinkRefusal, SignedLink, link_refused
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import DashboardUser, home_of, sign_in, user_of_side
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

CONSOLE, BRAND = "/console/team", "/brand/team"
EMAIL_MAX = 320
Id = Annotated[str, Path(max_length=40, pattern=KEY_PATTERN)]
SIDES = {CONSOLE: Role.OPERATOR, BRAND: Role.ADVERTISER}
REASONS = {
    InviteProblem.INVALID: LinkRefusal.INVALID,
    InviteProblem.EXPIRED: LinkRefusal.EXPIRED,
    InviteProblem.USED: LinkRefusal.USED,
    InviteProblem.REVOKED: LinkRefusal.REVOKED,
    InviteProblem.TAKEN: LinkRefusal.TAKEN,
}
MAILED = {
    MailOutcome.SENT: "We e-mailed {email} a link to join, valid for {days} days.",
    MailOutcome.LOGGED: "No mail server is set up: the link for {email} was written to the server log.",
    MailOutcome.FAILED: "The invitation for {email} is saved, but the e-mail could not be sent just now: "
    "use Resend below.",
}


class MemberAction(StrEnum):
    DISABLE = "disable"
    ENABLE = "enable"


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: str
    email: str
    team_role: TeamRole
    role_label: str
    disabled: bool
    joined: datetime
    is_me: bool
    may_change: bool  # within the viewer's own rights (an admin: everyone)


@dataclass(frozen=True, slots=True)
class InviteRow:
    id: str
    email: str
    role_label: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


def _inviters(db: Session, actors: set[str]) -> dict[str, str]:
    """Who sent each invitation, in words: a person's e-mail, an API key's name."""
    names = {a: a for a in actors}
    user_ids = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    key_ids = {a.removeprefix("key:") for a in actors if a.startswith("key:")}
    for user_id, email in db.execute(select(User.id, User.email).where(User.id.in_(user_ids))):
        names[f"user:{user_id}"] = email
    for key_id, name, prefix in db.execute(
        select(ApiKey.id, ApiKey.name, ApiKey.key_prefix).where(ApiKey.id.in_(key_ids))
    ):
        names[f"key:{key_id}"] = f"API key {name or prefix + '…'}"
    return names


def _role_options(user: DashboardUser) -> list[tuple[str, str, str]]:
    """(value, label, what it may do) of the roles this person may give, in the side's order."""
    return [
        (r.value, LABELS[r], DESCRIPTIONS[r]) for r in TEAM_ROLES[user.role] if within(user.role, user.team_role, r)
    ]


def _page(
    request: Request,
    user: DashboardUser,
    base: str,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    member_errors: dict[str, str] | None = None,
) -> Response:
    now = runtime_of(request).clock.now()
    settings: Settings = runtime_of(request).settings
    side = team.caller_team(user.principal)
    with session_scope(runtime_of(request).db_sessions) as db:
        people = team.members(db, side)
        open_ones = invites.open_invites(db, side, now)
        names = _inviters(db, {i.invited_by for i in open_ones})
        label = team.team_label(db, side, settings.network_name)
    members = [
        MemberRow(
            u.id,
            u.email,
            u.team_role,
            LABELS[u.team_role],
            u.disabled_at is not None,
            u.created_at,
            u.id == user.id,
            within(user.role, user.team_role, u.team_role),
        )
        for u in people
    ]
    pending = [
        InviteRow(i.id, i.email, LABELS[i.team_role], names.get(i.invited_by, i.invited_by), i.created_at, i.expires_at)
        for i in open_ones
    ]
    return render(
        request,
        "team/team.html",
        status_code=status_code,
        title="Team",
        team_name=label,
        base=base,
        members=members,
        invites=pending,
        roles=_role_options(user),
        values=values or {"team_role": TEAM_ROLES[user.role][-1].value},
        errors=errors or {},
        member_errors=member_errors or {},
        ttl_days=invites.INVITE_TTL.days,
    )


def _told(outcome: MailOutcome, email: str) -> str:
    return MAILED[outcome].format(email=email, days=invites.INVITE_TTL.days)


def _invite(request: Request, user: DashboardUser, base: str, form: FormData) -> Response:
    values = {"email": text(form, "email")[: EMAIL_MAX + 1], "team_role": text(form, "team_role")}
    try:
        spec = InviteCreate.model_validate({"email": values["email"], "team_role": values["team_role"]})
    except ValidationError as exc:
        errors = errors_of(exc)
        if "team_role" in errors:
            errors["team_role"] = "Choose one of the roles listed"
        return _page(request, user, base, 400, values, errors)
    settings: Settings = runtime_of(request).settings
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            made = invites.create_invite(db, user.principal, spec, runtime_of(request).clock.now())
            mail = invites.mail_for(db, settings, session_secret(settings), made, user.email)
    except ShelfspaceError as exc:
        return _page(request, user, base, 400, values, errors_of(exc))
    return redirect_with(request, base, _told(invites.send(settings, mail), mail.to))


def _resend(request: Request, user: DashboardUser, base: str, invite_id: str) -> Response:
    settings: Settings = runtime_of(request).settings
    with session_scope(runtime_of(request).db_sessions) as db:
        made = invites.resend(db, user.principal, invite_id, runtime_of(request).clock.now())
        mail = invites.mail_for(db, settings, session_secret(settings), made, user.email)
    return redirect_with(
        request,
        base,
        "A new link went out; the earlier one no longer works. " + _told(invites.send(settings, mail), mail.to),
    )


def _withdraw(request: Request, user: DashboardUser, base: str, invite_id: str) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        email = invites.revoke(db, user.principal, invite_id, runtime_of(request).clock.now()).email
    return redirect_with(request, base, f"The invitation for {email} is withdrawn: its link no longer works.")


def _change_role(request: Request, user: DashboardUser, base: str, user_id: str, form: FormData) -> Response:
    chosen = text(form, "team_role")
    if chosen not in {r.value for r in TeamRole}:
        return _page(request, user, base, 400, member_errors={user_id: "Choose one of the roles listed"})
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            changed = team.change_team_role(db, user.principal, user_id, TeamRole(chosen))
            email, label = changed.email, LABELS[changed.team_role]
    except ShelfspaceError as exc:
        found = errors_of(exc)
        message = found.get("team_role") or next(iter(found.values()))
        return _page(request, user, base, exc.status_code, member_errors={user_id: message})
    return redirect_with(request, base, f"{email} is now {label.lower()}.")


def _confirm(
    request: Request,
    user: DashboardUser,
    base: str,
    user_id: str,
    action: MemberAction,
    error: str = "",
    status_code: int = 200,
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        member = team.visible_user(db, user.principal, user_id)
        shown = {
            "id": member.id,
            "email": member.email,
            "role": LABELS[member.team_role],
            "disabled": member.disabled_at is not None,
        }
    return render(
        request,
        "team/confirm.html",
        status_code=status_code,
        title=f"{action.value.title()} a member",
        member=shown,
        action=action.value,
        base=base,
        errors={GENERAL: error} if error else {},
    )


def _set_disabled(request: Request, user: DashboardUser, base: str, user_id: str, action: MemberAction) -> Response:
    disabled = action is MemberAction.DISABLE
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            email = team.set_disabled(db, user.principal, user_id, disabled, runtime_of(request).clock.now()).email
    except ShelfspaceError as exc:
        if exc.status_code == 404:
            raise
        message = next(iter(errors_of(exc).values()))
        return _confirm(request, user, base, user_id, action, message, exc.status_code)
    done = (
        f"{email} is disabled and signed out everywhere." if disabled else f"{email} is enabled again and can sign in."
    )
    return redirect_with(request, base, done)


# --- the routes: each handler once, registered for both sides ---------------------------


@dataclass(frozen=True, slots=True)
class Seat:
    """Whose team page this is: the signed-in person and their side's base path."""

    user: DashboardUser
    base: str


def _seat(request: Request) -> Seat:
    """The route's side, from its template: the console's staff or a brand's people only
    (the other side reads as not found), and the page's right checked (dashboard/session.py)."""
    template = str(getattr(request.scope.get("route"), "path_format", request.url.path))
    base = next(b for b in SIDES if template == b or template.startswith(b + "/"))
    return Seat(user_of_side(request, SIDES[base]), base)


SideSeat = Annotated[Seat, Depends(_seat)]


def team_page(request: Request, seat: SideSeat) -> Response:
    return _page(request, seat.user, seat.base)


def invite(request: Request, seat: SideSeat, form: CheckedForm) -> Response:
    return _invite(request, seat.user, seat.base, form)


def resend(request: Request, invite_id: Id, seat: SideSeat, form: CheckedForm) -> Response:
    return _resend(request, seat.user, seat.base, invite_id)


def withdraw(request: Request, invite_id: Id, seat: SideSeat, form: CheckedForm) -> Response:
    return _withdraw(request, seat.user, seat.base, invite_id)


def change_role(request: Request, user_id: Id, seat: SideSeat, form: CheckedForm) -> Response:
    return _change_role(request, seat.user, seat.base, user_id, form)


def confirm(request: Request, user_id: Id, action: MemberAction, seat: SideSeat) -> Response:
    return _confirm(request, seat.user, seat.base, user_id, action)


def set_disabled(request: Request, user_id: Id, action: MemberAction, seat: SideSeat, form: CheckedForm) -> Response:
    return _set_disabled(request, seat.user, seat.base, user_id, action)


# (method, path under the side's base, handler). The seat comes before the form, so a
# visitor without a session is sent to sign in before the form token is asked for.
ROUTES: tuple[tuple[str, str, Callable[..., Response]], ...] = (
    ("GET", "", team_page),
    ("POST", "/invites", invite),
    ("POST", "/invites/{invite_id}/resend", resend),
    ("POST", "/invites/{invite_id}/withdraw", withdraw),
    ("POST", "/members/{user_id}/role", change_role),
    ("GET", "/members/{user_id}/{action}", confirm),
    ("POST", "/members/{user_id}/{action}", set_disabled),
)
for _base, _side in SIDES.items():
    for _method, _path, _handler in ROUTES:
        router.add_api_route(_base + _path, _handler, methods=[_method], name=f"{_side}_{_handler.__name__}")


# --- joining: the public page the e-mailed link opens ------------------------------------


def _refused(request: Request, exc: InviteRefused) -> Response:
    return link_refused(request, SignedLink.INVITATION, REASONS[exc.problem], exc.message, [SIGN_IN])


def _accept_form(
    request: Request, token: str, welcome: invites.Welcome, errors: FieldErrors, status_code: int = 200
) -> Response:
    return render(
        request,
        "team/accept.html",
        status_code=status_code,
        title="Join your team",
        token=token,
        welcome=welcome,
        role_label=LABELS[welcome.team_role],
        role_description=DESCRIPTIONS[welcome.team_role],
        errors=errors,
        min_length=MIN_PASSWORD_LENGTH,
        network=runtime_of(request).settings.network_name,
    )


def _welcome(request: Request, token: str) -> invites.Welcome:
    settings: Settings = runtime_of(request).settings
    with session_scope(runtime_of(request).db_sessions) as db:
        return invites.welcome(db, settings, session_secret(settings), token, runtime_of(request).clock.now())


@router.get(invites.ACCEPT_PATH + "/{token}")
def accept_page(request: Request, token: str) -> Response:
    try:
        return _accept_form(request, token, _welcome(request, token), {})
    except InviteRefused as exc:
        return _refused(request, exc)


@router.post(invites.ACCEPT_PATH + "/{token}")
def accept(request: Request, token: str, form: CheckedForm) -> Response:
    """A plain `def`: the password is hashed (argon2). Signed in as the new person at once."""
    password, again = form.get("password"), form.get("password_again")
    settings: Settings = runtime_of(request).settings
    try:
        welcome = _welcome(request, token)
        if not isinstance(password, str) or not password:
            return _accept_form(request, token, welcome, {"password": "Choose a password"}, 400)
        if password != again:
            return _accept_form(request, token, welcome, {"password_again": "does not match the password"}, 400)
        with session_scope(runtime_of(request).db_sessions) as db:
            person = invites.accept(db, session_secret(settings), token, password, runtime_of(request).clock.now())
            sign_in(request, person)
            home = home_of(person.role)
    except InviteRefused as exc:
        return _refused(request, exc)
    except ShelfspaceError as exc:
        return _accept_form(request, token, welcome, errors_of(exc), 400)
    return redirect_with(
        request,
        home,
        f"Welcome to {welcome.team}: you are signed in as {welcome.email} ({LABELS[welcome.team_role].lower()}).",
    )

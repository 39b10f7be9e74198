"""/console/security: the network's sign-in policy, for an operator admin (`Right.SECURITY`,
from accounts/route_rights.py). The rule is accounts/access_policy.py's; the page says,
before the switch, whom it will stop and what they will be asked to do."""

from __future__ import annotations

from enum import StrEnum

from fastapi import Request
from starlette.responses import Response

from shelfspace.accounts import access_policy
from shelfspace.accounts.models import User
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import OperatorUser
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

PAGE = "/console/security"


class StaffTwoFactor(StrEnum):
    """The two buttons of the form."""

    REQUIRE = "require"
    OPTIONAL = "optional"


@router.get(PAGE)
def security_page(request: Request, user: OperatorUser) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        policy = access_policy.read_policy(db)
        required, updated_at, updated_by = policy.staff_two_factor_required, policy.updated_at, policy.updated_by
        changer = (
            db.get(User, updated_by.removeprefix("user:")) if updated_by and updated_by.startswith("user:") else None
        )
        if changer is not None:
            updated_by = changer.email
        without = access_policy.staff_without_two_factor(db)
    return render(
        request,
        "operator/security.html",
        title="Sign-in security",
        required=required,
        updated_at=updated_at,
        updated_by=updated_by,
        without=without,
        choices=StaffTwoFactor,
    )


@router.post(PAGE)
def set_policy(request: Request, user: OperatorUser, form: CheckedForm) -> Response:
    choice = text(form, "staff_two_factor")
    if choice not in {c.value for c in StaffTwoFactor}:
        return redirect_with(request, PAGE, "Nothing changed: choose to require two-factor sign-in or not.")
    required = choice == StaffTwoFactor.REQUIRE
    with session_scope(runtime_of(request).db_sessions) as db:
        access_policy.set_staff_two_factor(db, user.principal, required, runtime_of(request).clock.now())
    if required:
        told = (
            "Two-factor sign-in is now required for staff: anyone without it sets it up before their next console page."
        )
    else:
        told = "Two-factor sign-in is now optional for staff."
    return redirect_with(request, PAGE, told)

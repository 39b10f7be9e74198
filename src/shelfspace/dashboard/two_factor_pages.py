"""The second factor on pages: the code asked at sign-in (/login/code), the person's own
account (/account), setting up an authenticator (/account/two-factor), new recovery codes
and turning the factor off.

The rules are accounts/two_factor.py's. A session whose password was right but whose code
is still owed opens nothing but /login/code (dashboard/session.py treats it as not signed
in); a wrong code counts in the sign-in throttle as a wrong password does, and the right
one replaces the session by a new one under a new token. Recovery codes are shown in the
answer that made them, once, and never stored as such.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from shelfspace.accounts import sign_in_throttle, two_factor
from shelfspace.accounts.access_policy import staff_two_factor_required
from shelfspace.accounts.models import User
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.auth_pages import CODE_PAGE, local_path, sign_in_address
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import (
    AnyUser,
    DashboardUser,
    complete_sign_in,
    home_of,
    pending_user_id,
    signed_in_user,
)
from shelfspace.db.session import session_scope
from shelfspace.runtime import runtime_of

router = page_router()

ACCOUNT = "/account"
ENROL = "/account/two-factor"
ENTER_CODE = "enter the 6-digit code from your authenticator app, or one of your recovery codes"


class _Lapsed(Exception):
    """The pending session ended while its code was checked: nothing is kept."""


def _code_form(request: Request, next_path: str, errors: FieldErrors, status_code: int = 200) -> Response:
    return render(
        request,
        "account/login_code.html",
        status_code=status_code,
        title="Your sign-in code",
        next=next_path,
        errors=errors,
    )


def _start_again(next_path: str) -> Response:
    return RedirectResponse("/login" + (f"?next={quote(next_path)}" if next_path else ""), status_code=303)


@router.get(CODE_PAGE)
def code_page(request: Request, next: str = "") -> Response:
    user = signed_in_user(request)
    if user is not None:
        return RedirectResponse(local_path(next, user.home), status_code=303)
    if pending_user_id(request) is None:
        return _start_again(local_path(next, ""))
    return _code_form(request, local_path(next, ""), {})


@router.post(CODE_PAGE)
def check_code(request: Request, form: CheckedForm) -> Response:
    """A plain `def`: SQL. The attempt is written and committed first, as a password's is."""
    next_path = local_path(text(form, "next"), "")
    user_id = pending_user_id(request)
    if user_id is None:
        return _start_again(next_path)
    code = text(form, "code")[: two_factor.MAX_CODE_LENGTH]
    if not code:
        return _code_form(request, next_path, {"code": ENTER_CODE}, 400)
    sessions, now = runtime_of(request).db_sessions, runtime_of(request).clock.now()
    with session_scope(sessions) as db:
        person = db.get(User, user_id)
        if person is None:
            return _start_again(next_path)
        attempt = sign_in_throttle.note_attempt(db, person.email, sign_in_address(request), now)
    try:
        with session_scope(sessions) as db:
            locked = sign_in_throttle.lockout(db, attempt, now)
            person = db.get(User, user_id) if locked is None else None
            proven = person is not None and two_factor.verify_second_factor(db, person, code, now) is not None
            if proven:
                if not complete_sign_in(request, db):
                    raise _Lapsed()  # rolls back: a recovery code stays unspent
                sign_in_throttle.succeeded(db, attempt)
                assert person is not None
                home = home_of(person.role)
    except _Lapsed:
        return _start_again(next_path)
    if locked is not None:
        page = _code_form(request, next_path, {"code": locked.message}, 429)
        page.headers["Retry-After"] = str(locked.retry_after)
        return page
    if not proven:
        return _code_form(request, next_path, {"code": two_factor.WRONG_CODE}, 400)
    return RedirectResponse(local_path(next_path, home), status_code=303)


def _hub(
    request: Request, user: DashboardUser, errors: dict[str, FieldErrors] | None = None, status_code: int = 200
) -> Response:
    with session_scope(runtime_of(request).db_sessions) as db:
        person = db.get(User, user.id)
        assert person is not None
        enabled_at = person.totp_enabled_at
        codes_left = two_factor.recovery_codes_left(db, user.id)
        # The policy is read once a request at most: for staff without a factor, the session
        # read it already (`two_factor_owed`); only staff with one ask it here.
        required = user.is_operator and (user.two_factor_owed if not user.two_factor else staff_two_factor_required(db))
        may_turn_off = not required  # two_factor.may_turn_off's rule, which turning off asks again
    return render(
        request,
        "account/account.html",
        status_code=status_code,
        title="Your account",
        enabled_at=enabled_at,
        codes_left=codes_left,
        may_turn_off=may_turn_off,
        required=required,
        errors=errors or {},
    )


@router.get(ACCOUNT)
def account_page(request: Request, user: AnyUser) -> Response:
    return _hub(request, user)


def _enrol_form(request: Request, user: DashboardUser, errors: FieldErrors, status_code: int = 200) -> Response:
    """The secret is made (once) in its own transaction, committed before the page renders."""
    with session_scope(runtime_of(request).db_sessions) as db:
        enrolment = two_factor.start_enrolment(db, user.id)
    return render(
        request,
        "account/two_factor.html",
        status_code=status_code,
        title="Set up two-factor sign-in",
        enrolment=enrolment,
        errors=errors,
        owed=user.two_factor_owed,
    )


@router.get(ENROL)
def enrol_page(request: Request, user: AnyUser) -> Response:
    if user.two_factor:
        return RedirectResponse(ACCOUNT, status_code=303)
    return _enrol_form(request, user, {})


def _codes_page(request: Request, user: DashboardUser, codes: list[str], heading: str) -> Response:
    return render(
        request,
        "account/recovery_codes.html",
        title="Your recovery codes",
        codes=codes,
        heading=heading,
        home=user.home,
    )


@router.post(ENROL)
def confirm(request: Request, user: AnyUser, form: CheckedForm) -> Response:
    """The first code from the app turns the factor on; the recovery codes are in this answer only."""
    if user.two_factor:
        return redirect_with(request, ACCOUNT, "Two-factor sign-in is already on.")
    code = text(form, "code")[: two_factor.MAX_CODE_LENGTH]
    if not code:
        return _enrol_form(request, user, {"code": "enter the 6-digit code your app shows"}, 400)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            codes = two_factor.confirm_enrolment(db, user.id, code, runtime_of(request).clock.now())
    except ShelfspaceError as exc:
        return _enrol_form(request, user, errors_of(exc), 400)
    return _codes_page(request, user, codes, "Two-factor sign-in is on")


@router.post("/account/two-factor/recovery-codes")
def regenerate(request: Request, user: AnyUser, form: CheckedForm) -> Response:
    """Ten new codes for a current code; the old ones stop working."""
    code = text(form, "code")[: two_factor.MAX_CODE_LENGTH]
    if not code:
        return _hub(request, user, {"regenerate": {"code": ENTER_CODE}}, 400)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            codes = two_factor.regenerate_recovery_codes(db, user.id, code, runtime_of(request).clock.now())
    except ShelfspaceError as exc:
        return _hub(request, user, {"regenerate": errors_of(exc)}, 400)
    return _codes_page(request, user, codes, "New recovery codes")


@router.post("/account/two-factor/off")
def turn_off(request: Request, user: AnyUser, form: CheckedForm) -> Response:
    """A plain `def`: the password is checked (argon2)."""
    password, code = form.get("password"), text(form, "code")[: two_factor.MAX_CODE_LENGTH]
    errors: FieldErrors = {}
    if not isinstance(password, str) or not password:
        errors["password"] = "enter your password"
    if not code:
        errors["code"] = ENTER_CODE
    if errors:
        return _hub(request, user, {"off": errors}, 400)
    assert isinstance(password, str)
    try:
        with session_scope(runtime_of(request).db_sessions) as db:
            two_factor.turn_off(db, user.id, password[:1024], code, runtime_of(request).clock.now())
    except ShelfspaceError as exc:
        return _hub(request, user, {"off": errors_of(exc)}, 400)
    return redirect_with(request, ACCOUNT, "Two-factor sign-in is off: your password alone signs you in.")

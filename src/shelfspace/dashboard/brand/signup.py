"""/signup: a brand asks to advertise; the operator approves it in the review queue, with
its terms (it is prepaid until then: a sign-up has no credit, billing/terms.py).

The advertiser (status pending) and its first user are created in one transaction, and
both shapes are validated before anything is written, so every mistake shows at once.
Sign-ups are throttled per network address (accounts/signup_throttle.py), and the new
user proves the e-mail address with a link sent to it (accounts/email_verification.py)
before seeing anything but "check your e-mail" (dashboard/approval_gate.py).
"""

from __future__ import annotations

import math
from contextlib import suppress

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from shelfspace.accounts import email_verification
from shelfspace.accounts.email_verification import LinkProblem, LinkRefused, verification_mail
from shelfspace.accounts.models import User
from shelfspace.accounts.roles import Principal, Role
from shelfspace.accounts.schemas import UserCreate
from shelfspace.accounts.service import create_user
from shelfspace.accounts.signing_secret import session_secret
from shelfspace.accounts.signup_models import SignupAction
from shelfspace.accounts.signup_throttle import Throttled, limit_of, take
from shelfspace.catalog.enums import AdvertiserStatus, BillingMode
from shelfspace.catalog.models import Advertiser
from shelfspace.catalog.schemas import AdvertiserCreate
from shelfspace.catalog.services import advertisers
from shelfspace.config import Settings
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import GENERAL, FieldErrors, errors_of, text
from shelfspace.dashboard.link_refused import SIGN_IN, LinkRefusal, NextStep, SignedLink, link_refused
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import AnyUser, sign_in, sign_out, signed_in_user
from shelfspace.db.session import session_scope
from shelfspace.mail import Mail, Mailer, MailNotSent
from shelfspace.runtime import runtime_of

router = page_router()

INDUSTRIES = (
    "dairy",
    "bakery",
    "beverages",
    "snacks",
    "produce",
    "pantry",
    "frozen",
    "household",
    "personal-care",
    "baby",
    "pet",
    "outdoor",
    "finance/banking",
    "finance/insurance",
    "travel/airlines",
    "travel/hotels",
    "media/streaming",
    "retail",
    "automotive",
    "telecom",
    "health",
)

# Shelfspace itself opens the account on the brand's behalf: an operator-level action,
# recorded in the audit log under this name, that can only make a pending advertiser.
SIGNUP = Principal(actor="signup", role=Role.OPERATOR)

MAX_TOKEN_LENGTH = 1000  # a real link's token is about 150 characters
REASONS = {
    LinkProblem.INVALID: LinkRefusal.INVALID,
    LinkProblem.EXPIRED: LinkRefusal.EXPIRED,
    LinkProblem.USED: LinkRefusal.USED,
}


def _form(request: Request, values: dict[str, str], errors: FieldErrors, status_code: int = 200) -> Response:
    return render(
        request,
        "brand/signup.html",
        status_code=status_code,
        title="Advertise with us",
        values=values,
        errors=errors,
        industries=INDUSTRIES,
        network=runtime_of(request).settings.network_name,
    )


@router.get("/signup")
def signup_page(request: Request) -> Response:
    return _form(request, {}, {})


@router.post("/signup")
def signup(request: Request, form: CheckedForm) -> Response:
    """A plain `def`: the new user's password is hashed (argon2), rows written, an e-mail sent."""
    values = {k: text(form, k) for k in ("name", "domain", "category", "email")}
    errors: FieldErrors = {}
    advertiser_spec = user_fields = None
    try:
        advertiser_spec = AdvertiserCreate(
            name=values["name"],
            domain=values["domain"],
            category=values["category"] or None,
            status=AdvertiserStatus.PENDING,
            billing_mode=BillingMode.PREPAID,
        )  # no credit until approved with terms
    except ValidationError as exc:
        errors |= errors_of(exc)
    password = form.get("password")
    try:
        user_fields = UserCreate(
            email=values["email"], password=password if isinstance(password, str) else "", role=Role.OPERATOR
        )  # the real role is set below, once the advertiser exists
    except ValidationError as exc:
        errors |= {k: v for k, v in errors_of(exc).items() if k in ("email", "password")}
    if advertiser_spec is None or user_fields is None or errors:
        return _form(request, values, errors, 400)
    settings: Settings = runtime_of(request).settings
    sessions = runtime_of(request).db_sessions
    now = runtime_of(request).clock.now()
    try:
        take(sessions, SignupAction.SIGN_UP, network_address(request), limit_of(SignupAction.SIGN_UP, settings), now)
    except Throttled as exc:
        message = (
            f"Too many sign-ups from your network address. Try again in {_minutes(exc.retry_after)}; nothing was saved."
        )
        return _with_retry_after(_form(request, values, {GENERAL: message}, 429), exc)
    try:
        with session_scope(sessions) as db:
            advertiser = advertisers.create(db, SIGNUP, advertiser_spec)
            user = create_user(
                db,
                SIGNUP,
                user_fields.model_copy(update={"role": Role.ADVERTISER, "advertiser_id": advertiser.id}),
                user_inputs=[advertiser_spec.name, advertiser_spec.domain],
            )  # not a password made of the brand's name
            user.email_verified_at = None  # until the person follows the e-mailed link
            db.flush()
            signed = db.get(User, user.id)
            assert signed is not None
            sign_in(request, signed)
            mail = verification_mail(settings, session_secret(settings), signed, advertiser, now)
            user_id = signed.id
    except ShelfspaceError as exc:
        sign_out(request)  # the session was never committed: only the cookie is dropped
        return _form(request, values, errors_of(exc), 400)
    # The first e-mail counts toward the person's hourly e-mails (never refused: nothing came before it).
    with suppress(Throttled):
        take(
            sessions, SignupAction.VERIFICATION_EMAIL, user_id, limit_of(SignupAction.VERIFICATION_EMAIL, settings), now
        )
    told = _send(settings, mail)
    return redirect_with(request, "/brand", f"Welcome, {advertiser_spec.name}. {told}")


def network_address(request: Request) -> str:
    """The address the sign-up came from (behind a proxy, as uvicorn's --forwarded-allow-ips reads it)."""
    return request.client.host if request.client is not None else "unknown"


def _minutes(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def _with_retry_after(response: Response, exc: Throttled) -> Response:
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _send(settings: Settings, mail: Mail) -> str:
    """Send the verification e-mail; what to tell the person about it."""
    try:
        Mailer(settings).send(mail)
    except MailNotSent:
        return "We could not send the confirmation e-mail just now: ask for it again below."
    return f"We sent a link to {mail.to}: open it to confirm your e-mail address."


@router.get("/signup/verify")
def verify_email(request: Request, token: str = "") -> Response:
    """The link in the e-mail. It does not sign anyone in: it only marks the address as proven."""
    settings: Settings = runtime_of(request).settings
    user = signed_in_user(request)
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise LinkRefused(LinkProblem.INVALID)
        with session_scope(runtime_of(request).db_sessions) as db:
            done = email_verification.verify(db, session_secret(settings), token, runtime_of(request).clock.now())
    except LinkRefused as exc:
        next_step = NextStep(user.home, "Continue") if user is not None else SIGN_IN
        return link_refused(request, SignedLink.EMAIL_CHECK, REASONS[exc.problem], exc.message, [next_step])
    mine = user is not None and user.id == done.user_id
    return render(
        request,
        "brand/verified.html",
        title="E-mail confirmed",
        heading="Your e-mail address is confirmed",
        message=f"{done.email} is confirmed. The {settings.network_name} team reviews new brands, usually "
        "within a working day.",
        outcome="verified",
        next="/brand" if mine else "/login",
        next_label="Continue" if mine else "Sign in",
    )


@router.post("/signup/resend")
def resend_verification(request: Request, user: AnyUser, form: CheckedForm) -> Response:
    """Another link for the signed-in person, a few times an hour at most."""
    if user.email_verified:
        return redirect_with(request, user.home, "Your e-mail address is already confirmed.")
    settings: Settings = runtime_of(request).settings
    now = runtime_of(request).clock.now()
    try:
        take(
            runtime_of(request).db_sessions,
            SignupAction.VERIFICATION_EMAIL,
            user.id,
            limit_of(SignupAction.VERIFICATION_EMAIL, settings),
            now,
        )
    except Throttled as exc:
        response = render(
            request,
            "brand/check_email.html",
            status_code=429,
            title="Check your e-mail",
            email=user.email,
            network=settings.network_name,
            flash=f"We have sent several e-mails already. Ask again in {_minutes(exc.retry_after)}.",
        )
        return _with_retry_after(response, exc)
    with session_scope(runtime_of(request).db_sessions) as db:
        person = db.get(User, user.id)
        assert person is not None
        advertiser = db.get(Advertiser, person.advertiser_id) if person.advertiser_id else None
        mail = verification_mail(settings, session_secret(settings), person, advertiser, now)
    return redirect_with(request, user.home, _send(settings, mail))

"""/signup: a brand asks to advertise; the operator approves it in the review queue.

The advertiser (status pending) and its first user are created in one transaction, and
both shapes are validated before anything is written, so every mistake shows at once.
"""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from shelfspace.accounts.models import User
from shelfspace.accounts.roles import Principal, Role
from shelfspace.accounts.schemas import UserCreate
from shelfspace.accounts.service import create_user
from shelfspace.catalog.enums import AdvertiserStatus
from shelfspace.catalog.schemas import AdvertiserCreate
from shelfspace.catalog.services import advertisers
from shelfspace.core.errors import ShelfspaceError
from shelfspace.dashboard.csrf import CheckedForm
from shelfspace.dashboard.forms import FieldErrors, errors_of, text
from shelfspace.dashboard.rendering import redirect_with, render
from shelfspace.dashboard.routing import page_router
from shelfspace.dashboard.session import sign_in
from shelfspace.db.session import session_scope

router = page_router()

INDUSTRIES = ("dairy", "bakery", "beverages", "snacks", "produce", "pantry", "frozen", "household", "personal-care",
              "baby", "pet", "outdoor", "finance/banking", "finance/insurance", "travel/airlines", "travel/hotels",
              "media/streaming", "retail", "automotive", "telecom", "health")

# Shelfspace itself opens the account on the brand's behalf: an operator-level action,
# recorded in the audit log under this name, that can only make a pending advertiser.
SIGNUP = Principal(actor="signup", role=Role.OPERATOR)


def _form(request: Request, values: dict[str, str], errors: FieldErrors, status_code: int = 200) -> Response:
    return render(request, "brand/signup.html", status_code=status_code, title="Advertise with us",
                  values=values, errors=errors, industries=INDUSTRIES,
                  network=request.app.state.settings.network_name)


@router.get("/signup")
def signup_page(request: Request) -> Response:
    return _form(request, {}, {})


@router.post("/signup")
def signup(request: Request, form: CheckedForm) -> Response:
    """A plain `def`: the new user's password is hashed (argon2) and two rows written."""
    values = {k: text(form, k) for k in ("name", "domain", "category", "email")}
    errors: FieldErrors = {}
    advertiser_spec = user_fields = None
    try:
        advertiser_spec = AdvertiserCreate(name=values["name"], domain=values["domain"],
                                           category=values["category"] or None, status=AdvertiserStatus.PENDING)
    except ValidationError as exc:
        errors |= errors_of(exc)
    password = form.get("password")
    try:
        user_fields = UserCreate(email=values["email"], password=password if isinstance(password, str) else "",
                                 role=Role.OPERATOR)  # the real role is set below, once the advertiser exists
    except ValidationError as exc:
        errors |= {k: v for k, v in errors_of(exc).items() if k in ("email", "password")}
    if advertiser_spec is None or user_fields is None or errors:
        return _form(request, values, errors, 400)
    try:
        with session_scope(request.app.state.sessions) as db:
            advertiser = advertisers.create(db, SIGNUP, advertiser_spec)
            user = create_user(db, SIGNUP, user_fields.model_copy(
                update={"role": Role.ADVERTISER, "advertiser_id": advertiser.id}))
            db.flush()
            signed = db.get(User, user.id)
            assert signed is not None
            sign_in(request, signed)
    except ShelfspaceError as exc:
        request.session.clear()
        return _form(request, values, errors_of(exc), 400)
    return redirect_with(request, "/brand", f"Welcome, {advertiser_spec.name}. Your account is waiting for approval.")


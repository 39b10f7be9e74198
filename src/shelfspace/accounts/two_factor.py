"""Two-factor sign-in: a TOTP authenticator (RFC 6238, by pyotp) and ten recovery codes.

Enrolment makes a secret and shows it as an `otpauth://` QR code (drawn as SVG by segno,
on the page: no service sees the secret) and as text to type in. Nothing is asked at
sign-in until a first valid code proves the authenticator holds the secret; that sets
`totp_enabled_at` and makes the recovery codes, shown once: only their SHA-256 is kept (as
for API keys: they are random, so a fast hash is enough) and each works once. A code is
accepted one time step either side of now, for a phone's clock a little off, and only
once: the step it was made for is kept (`totp_last_step`), and a code of that step or an
earlier one is refused, so a code seen over a shoulder or in a proxy's log is worthless. Turning the factor off needs the password and a code, and is refused to staff while
the network requires it (accounts/access_policy.py). Every change is audited; the secret
and the codes never are. No HTTP here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyotp
import segno
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from shelfspace.accounts.access_policy import staff_two_factor_required
from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import RecoveryCode, User
from shelfspace.accounts.passwords import verify_password
from shelfspace.accounts.rights import Role
from shelfspace.accounts.roles import acting_as
from shelfspace.core.errors import Forbidden, InvalidInput, NotFound

ISSUER = "Shelfspace"
VALID_WINDOW = 1  # time steps (30 s) either side of now
DIGITS = 6
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
RECOVERY_LENGTH = 10  # about 50 bits, written as two groups of five
MAX_CODE_LENGTH = 64  # whatever is typed, only this much is looked at
CODE_FIELD = "code"


class TwoFactorChange(StrEnum):
    """What happened to a person's second factor, as the audit log records it."""

    ENROLMENT_STARTED = "enrolment_started"
    ENABLED = "enabled"
    RECOVERY_CODES_REPLACED = "recovery_codes_replaced"
    RECOVERY_CODE_USED = "recovery_code_used"
    DISABLED = "disabled"


class SecondFactor(StrEnum):
    """Which kind of code proved the person."""

    AUTHENTICATOR = "authenticator"
    RECOVERY_CODE = "recovery_code"


WRONG_CODE = "is not a current code from your authenticator app, nor an unused recovery code"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the enrolment page shows: the secret as a QR code and as text."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def grouped_secret(self) -> str:
        """The secret in groups of four, easier to type into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _note(db: Session, user: User, change: TwoFactorChange, **facts: object) -> None:
    """The audit entry of a change to the person's second factor, made as the person: what
    changed and how many codes, never the secret or the codes themselves."""
    record(db, acting_as(user), AuditAction.UPDATE, "user", user.id, {"two_factor": change, **facts})


def _user(db: Session, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None or user.disabled_at is not None:
        raise NotFound(f"no user {user_id!r}")
    return user


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def enrolment_of(secret: str, email: str) -> Enrolment:
    uri = provisioning_uri(secret, email)
    svg = segno.make(uri, error="m").svg_inline(
        scale=5,
        border=2,
        title=f"QR code to add {ISSUER} to an authenticator",
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return Enrolment(secret=secret, uri=uri, qr_svg=svg)


def start_enrolment(db: Session, user_id: str) -> Enrolment:
    """The secret to show: the one made earlier if enrolment was started and not finished
    (reloading the page must not invalidate what was just scanned), else a new one."""
    user = _user(db, user_id)
    if enabled(user):
        raise InvalidInput.on(CODE_FIELD, "two-factor sign-in is already on")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        _note(db, user, TwoFactorChange.ENROLMENT_STARTED)
        db.flush()
    return enrolment_of(user.totp_secret, user.email)


def _clean(code: str) -> str:
    return "".join(code[:MAX_CODE_LENGTH].split()).replace("-", "").lower()


def _matching_step(secret: str, cleaned: str, now: datetime) -> int | None:
    """The time step (RFC 6238 counter) the code was made for, within the window; else None."""
    if len(cleaned) != DIGITS or not cleaned.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), cleaned):
            return step
    return None


def _spend_step(db: Session, user: User, secret: str, cleaned: str, now: datetime) -> bool:
    """Whether the code is right and newer than every code used before; marks its step used.
    Conditional, so two requests racing with one code let exactly one through."""
    step = _matching_step(secret, cleaned, now)
    if step is None:
        return False
    taken = db.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(taken, "rowcount", 0) or 0) != 1:
        return False
    user.totp_last_step = step
    return True


def _code_hash(cleaned: str) -> str:
    return hashlib.sha256(cleaned.encode("utf-8")).hexdigest()


def _new_recovery_codes(db: Session, user: User) -> list[str]:
    """Replace the person's recovery codes with ten new ones; the codes, as shown once."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    db.add_all([RecoveryCode(user_id=user.id, code_hash=_code_hash(code)) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(db: Session, user_id: str) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def confirm_enrolment(db: Session, user_id: str, code: str, now: datetime) -> list[str]:
    """The first code from the app turns the factor on; returns the recovery codes (shown once)."""
    user = _user(db, user_id)
    if enabled(user):
        raise InvalidInput.on(CODE_FIELD, "two-factor sign-in is already on")
    if user.totp_secret is None:
        raise InvalidInput.on(CODE_FIELD, "start again: open the set-up page to get a QR code")
    if not _spend_step(db, user, user.totp_secret, _clean(code), now):
        raise InvalidInput.on(CODE_FIELD, "does not match: type the 6 digits your app shows now for Shelfspace")
    user.totp_enabled_at = now
    codes = _new_recovery_codes(db, user)
    _note(db, user, TwoFactorChange.ENABLED, recovery_codes=len(codes))
    db.flush()
    return codes


def verify_second_factor(db: Session, user: User, code: str, now: datetime) -> SecondFactor | None:
    """Which factor the code proves, or None. A recovery code is spent (and audited) here:
    its caller commits that with whatever the code opened."""
    if not enabled(user):
        return None
    assert user.totp_secret is not None
    cleaned = _clean(code)
    if _spend_step(db, user, user.totp_secret, cleaned, now):
        return SecondFactor.AUTHENTICATOR
    if len(cleaned) != RECOVERY_LENGTH:
        return None
    # Conditional, so a code raced by two requests is spent by exactly one.
    spent = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(spent, "rowcount", 0) or 0) != 1:
        return None
    _note(db, user, TwoFactorChange.RECOVERY_CODE_USED, recovery_codes_left=recovery_codes_left(db, user.id))
    return SecondFactor.RECOVERY_CODE


def _require_code(db: Session, user: User, code: str, now: datetime) -> SecondFactor:
    if not enabled(user):
        raise InvalidInput.on(CODE_FIELD, "two-factor sign-in is not on")
    factor = verify_second_factor(db, user, code, now)
    if factor is None:
        raise InvalidInput.on(CODE_FIELD, WRONG_CODE)
    return factor


def regenerate_recovery_codes(db: Session, user_id: str, code: str, now: datetime) -> list[str]:
    """Ten new recovery codes for a current code; the old ones stop working at once."""
    user = _user(db, user_id)
    _require_code(db, user, code, now)
    codes = _new_recovery_codes(db, user)
    _note(db, user, TwoFactorChange.RECOVERY_CODES_REPLACED, recovery_codes=len(codes))
    db.flush()
    return codes


def may_turn_off(db: Session, user: User) -> bool:
    """Staff may not while the network requires a second factor of them."""
    return user.role is not Role.OPERATOR or not staff_two_factor_required(db)


def turn_off(db: Session, user_id: str, password: str, code: str, now: datetime) -> None:
    """The password and a code (from the app, or a recovery code) turn the factor off."""
    user = _user(db, user_id)
    if not may_turn_off(db, user):
        raise Forbidden("the network requires two-factor sign-in for staff: it cannot be turned off")
    if not verify_password(user.password_hash, password):
        raise InvalidInput.on("password", "is not your current password")
    factor = _require_code(db, user, code, now)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _note(db, user, TwoFactorChange.DISABLED, proven_by=factor)
    db.flush()

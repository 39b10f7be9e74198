"""API keys and users: creation, authentication, revocation. No HTTP here."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import ApiKey, AuditEntry, User
from shelfspace.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from shelfspace.accounts.roles import SYSTEM, Principal, Role
from shelfspace.accounts.schemas import ApiKeyCreate, UserCreate, UserUpdate
from shelfspace.accounts.sessions import SessionEnd, end_user_sessions
from shelfspace.catalog.models import Advertiser
from shelfspace.core.clock import utcnow
from shelfspace.core.errors import Conflict, InvalidInput, NotFound
from shelfspace.core.ids import new_id

KEY_PREFIX = "ssk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _require_advertiser(db: Session, advertiser_id: str | None) -> None:
    if advertiser_id is not None and db.get(Advertiser, advertiser_id) is None:
        raise InvalidInput.on("advertiser_id", f"no advertiser {advertiser_id!r}")


def create_key(
    db: Session, by: Principal, spec: ApiKeyCreate, value: str | None = None
) -> tuple[ApiKey, str]:
    """A new key and its secret; `value` is only for the bootstrap key chosen by the operator."""
    by.require_operator("create API keys")
    _require_advertiser(db, spec.advertiser_id)
    secret = value or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id("key"),
        name=spec.name,
        key_hash=hash_key(secret),
        key_prefix=secret[:10],
        role=spec.role,
        advertiser_id=spec.advertiser_id,
        created_by=by.actor,
    )
    db.add(key)
    record(db, by, AuditAction.CREATE, "api_key", key.id, {"role": spec.role, "advertiser_id": spec.advertiser_id})
    db.flush()
    return key, secret


def authenticate_key(db: Session, presented: str) -> Principal | None:
    key = db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(presented)))
    if key is None or key.revoked_at is not None:
        return None
    # Constant-time comparison of the hashes, belt and braces after the indexed lookup.
    if not hmac.compare_digest(key.key_hash, hash_key(presented)):
        return None
    return Principal(actor=f"key:{key.id}", role=key.role, advertiser_id=key.advertiser_id)


def keys_query(by: Principal) -> Select[ApiKey]:
    by.require_operator("list API keys")
    return select(ApiKey)


def revoke_key(db: Session, by: Principal, key_id: str) -> ApiKey:
    by.require_operator("revoke API keys")
    key = db.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(db, by, AuditAction.REVOKE, "api_key", key.id)
    db.flush()
    return key


def ensure_bootstrap_key(db: Session, value: str) -> bool:
    """Create the operator key named by SHELFSPACE_BOOTSTRAP_KEY if no key exists yet."""
    if db.scalar(select(func.count()).select_from(ApiKey)):
        return False
    create_key(db, SYSTEM, ApiKeyCreate(role=Role.OPERATOR, name="bootstrap"), value=value)
    return True


def require_strong_password(password: str, user_inputs: Sequence[str], field: str = "password") -> None:
    """The one check of a new password, wherever it is set (accounts/passwords.py's rule)."""
    problem = password_problem(password, user_inputs)
    if problem is not None:
        raise InvalidInput.on(field, problem)


def create_user(db: Session, by: Principal, spec: UserCreate, user_inputs: Sequence[str] = ()) -> User:
    """`user_inputs`: words the password must not be made of beside the e-mail (a name)."""
    by.require_operator("create users")
    _require_advertiser(db, spec.advertiser_id)
    email = spec.email.lower()
    require_strong_password(spec.password, [email, *user_inputs])
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"email: a user with {email!r} already exists")
    user = User(
        id=new_id("usr"),
        email=email,
        password_hash=hash_password(spec.password),
        role=spec.role,
        advertiser_id=spec.advertiser_id,
        # An operator vouches for the people it adds; a self-signed-up brand's user is set
        # back to unverified by the sign-up page until the e-mailed link is followed.
        email_verified_at=utcnow(),
    )
    db.add(user)
    record(db, by, AuditAction.CREATE, "user", user.id, {"email": email, "role": spec.role})
    db.flush()
    return user


def update_user(db: Session, by: Principal, user_id: str, spec: UserUpdate, now: datetime) -> User:
    """An operator sets a user's password or disables them; either ends all their sessions."""
    by.require_operator("change users")
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}")
    changes: dict[str, object] = {}
    if spec.password is not None:
        require_strong_password(spec.password, [user.email])
        user.password_hash = hash_password(spec.password)
        changes["password"] = "changed"
    if spec.disabled is not None and spec.disabled != (user.disabled_at is not None):
        changes["disabled_at"] = [user.disabled_at, now if spec.disabled else None]
        user.disabled_at = now if spec.disabled else None
    if spec.password is not None or spec.disabled:
        changes["sessions_ended"] = end_user_sessions(db, user.id, now)
    if changes:
        record(db, by, AuditAction.UPDATE, "user", user.id, changes)
    db.flush()
    return user


def change_own_password(db: Session, user_id: str, current: str, new: str, now: datetime,
                        keep_token: str | None) -> int:
    """A person changes their own password (the current one proves it is them); every other
    session of theirs ends, the one they are using stays. Returns how many ended."""
    user = db.get(User, user_id)
    if user is None or user.disabled_at is not None:
        raise NotFound(f"no user {user_id!r}")
    if not verify_password(user.password_hash, current):
        raise InvalidInput.on("current_password", "is not your current password")
    require_strong_password(new, [user.email])
    user.password_hash = hash_password(new)
    ended = end_user_sessions(db, user.id, now, keep_token=keep_token)
    record(db, Principal(actor=f"user:{user.id}", role=user.role, advertiser_id=user.advertiser_id),
           AuditAction.UPDATE, "user", user.id,
           {"password": "changed", "sessions_ended": ended, "why": SessionEnd.PASSWORD_CHANGED})
    db.flush()
    return ended


def users_query(by: Principal) -> Select[User]:
    by.require_operator("list users")
    return select(User)


def authenticate_user(db: Session, email: str, password: str) -> User | None:
    """The dashboard's sign-in. Rehashes transparently when argon2's parameters move on."""
    user = db.scalar(select(User).where(User.email == email.lower()))
    if user is None or user.disabled_at is not None:
        # Spend the same time as a real check so timing does not reveal which emails exist.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not a real password, only spends time")


def audit_query(by: Principal, object_type: str | None, object_id: str | None) -> Select[AuditEntry]:
    by.require_operator("read the audit log")
    stmt = select(AuditEntry)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    return stmt

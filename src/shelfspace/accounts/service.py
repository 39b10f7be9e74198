"""API keys and users: creation, authentication, revocation. No HTTP here."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from shelfspace.accounts import team
from shelfspace.accounts.audit import AuditAction, record
from shelfspace.accounts.models import ApiKey, User
from shelfspace.accounts.passwords import hash_password, needs_rehash, password_problem, verify_password
from shelfspace.accounts.rights import LABELS, TEAM_ROLES, Right, TeamRole, offered, rights_of, within
from shelfspace.accounts.roles import SYSTEM, Principal, Role, acting_as
from shelfspace.accounts.schemas import ApiKeyCreate, UserCreate, UserUpdate
from shelfspace.accounts.sessions import SessionEnd, end_user_sessions
from shelfspace.accounts.tenants import advertiser_exists
from shelfspace.core.clock import utcnow
from shelfspace.core.errors import Conflict, InvalidInput, NotFound
from shelfspace.core.ids import new_id

KEY_PREFIX = "ssk_"
KEY_USE_NOTED_EVERY = timedelta(minutes=1)  # `last_used_at` moves at most this often


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _require_advertiser(db: Session, advertiser_id: str | None) -> None:
    if advertiser_id is not None and not advertiser_exists(db, advertiser_id):
        raise InvalidInput.on("advertiser_id", f"no advertiser {advertiser_id!r}")


def create_key(db: Session, by: Principal, spec: ApiKeyCreate, value: str | None = None) -> tuple[ApiKey, str]:
    """A new key and its secret; `value` is only for the bootstrap key chosen by the operator.

    Whoever holds `Right.KEYS` creates keys: the operator's admin any key, a brand's admin
    only its own brand's. A key's scope is offered on its side and never more than its
    creator's, so a key cannot be a way round one's own role.
    """
    by.require(Right.KEYS, "create API keys")
    advertiser_id = _key_owner(db, by, spec)
    _require_scope(by, spec.role, spec.team_role)
    secret = value or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id("key"),
        name=spec.name,
        key_hash=hash_key(secret),
        key_prefix=secret[:10],
        role=spec.role,
        advertiser_id=advertiser_id,
        team_role=spec.team_role,
        created_by=by.actor,
    )
    db.add(key)
    record(
        db,
        by,
        AuditAction.CREATE,
        "api_key",
        key.id,
        {"name": spec.name, "role": spec.role, "team_role": spec.team_role, "advertiser_id": advertiser_id},
        advertiser_id=advertiser_id,
    )
    db.flush()
    return key, secret


def _key_owner(db: Session, by: Principal, spec: ApiKeyCreate) -> str | None:
    """The advertiser the new key acts for: a brand's own, whatever it sent; the one the
    operator names (an operator key names none)."""
    if not by.is_operator:
        if spec.role is Role.OPERATOR:
            raise InvalidInput.on("role", "a brand creates keys of its own brand only: use the advertiser role")
        if spec.advertiser_id not in (None, by.advertiser_id):
            raise InvalidInput.on("advertiser_id", "a brand creates keys of its own brand only: leave it out")
        return by.advertiser_id
    if spec.role is Role.OPERATOR and spec.advertiser_id:
        raise InvalidInput.on("advertiser_id", "must be empty for the operator role")
    if spec.role is Role.ADVERTISER and not spec.advertiser_id:
        raise InvalidInput.on("advertiser_id", "is required for the advertiser role")
    _require_advertiser(db, spec.advertiser_id)
    return spec.advertiser_id


def may_give(by: Principal, side: Role, scope: TeamRole) -> bool:
    """Whether `by` may give a key of `side` this scope: offered on the side, and within
    the creator's rights (`rights.within` on one's own side; across sides, the operator's
    admin holds every right a brand's role has)."""
    if not offered(side, scope) or not (by.is_operator or side is by.role):
        return False
    granter = by.team_role or TeamRole.ADMIN
    return within(side, granter, scope) if side is by.role else rights_of(side, scope) <= by.rights


def scopes_for(by: Principal, side: Role) -> tuple[TeamRole, ...]:
    """The scopes `by` may give a key of `side`, in the order the pages list them."""
    return tuple(scope for scope in TEAM_ROLES[side] if may_give(by, side, scope))


def _require_scope(by: Principal, side: Role, scope: TeamRole) -> None:
    if not offered(side, scope):
        whose = "the network's" if side is Role.OPERATOR else "a brand's"
        choices = ", ".join(t.value for t in TEAM_ROLES[side])
        raise InvalidInput.on("team_role", f"{LABELS[scope].lower()} is not a scope of {whose} keys (one of {choices})")
    if not may_give(by, side, scope):
        raise InvalidInput.on(
            "team_role", f"may not be more than your own role ({LABELS[by.team_role or TeamRole.ADMIN].lower()})"
        )


@dataclass(frozen=True, slots=True)
class KeyUse:
    """A live key's caller, and whether its `last_used_at` is due to move (`note_key_use`)."""

    principal: Principal
    key_id: str
    note_due: bool


def authenticate_key(db: Session, presented: str, now: datetime) -> KeyUse | None:
    """The live key's caller, or None. Reads only: the request's transaction stays a reader,
    so a route that writes through a second connection (a forecast's rolled-back probe) is
    not locked out by it on SQLite."""
    key = db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(presented)))
    if key is None or key.revoked_at is not None:
        return None
    # Constant-time comparison of the hashes, belt and braces after the indexed lookup.
    if not hmac.compare_digest(key.key_hash, hash_key(presented)):
        return None
    principal = Principal(
        actor=f"key:{key.id}", role=key.role, advertiser_id=key.advertiser_id, team_role=key.team_role
    )
    due = key.last_used_at is None or now - key.last_used_at >= KEY_USE_NOTED_EVERY
    return KeyUse(principal, key.id, due)


def note_key_use(db: Session, key_id: str, now: datetime) -> None:
    """Move `last_used_at`, at most once a `KEY_USE_NOTED_EVERY` however many requests race
    (the condition is in the UPDATE). Its own short transaction, committed before the route runs."""
    db.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at <= now - KEY_USE_NOTED_EVERY),
        )
        .values(last_used_at=now)
    )


def keys_query(by: Principal) -> Select[ApiKey]:
    """The operator's admin sees every key; a brand's admin its own brand's."""
    by.require(Right.KEYS, "list API keys")
    stmt = select(ApiKey)
    return stmt if by.is_operator else stmt.where(ApiKey.advertiser_id == by.advertiser_id)


def revoke_key(db: Session, by: Principal, key_id: str) -> ApiKey:
    """Another brand's key (or the operator's, to a brand) reads as not found."""
    by.require(Right.KEYS, "revoke API keys")
    key = db.get(ApiKey, key_id)
    if key is None or not by.owns(key.advertiser_id):
        raise NotFound(f"no API key {key_id!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record(db, by, AuditAction.REVOKE, "api_key", key.id, advertiser_id=key.advertiser_id)
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
    team.require_offered(spec.role, spec.team_role)
    team.require_within(by, spec.role, spec.team_role)
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
        team_role=spec.team_role,
        # An operator vouches for the people it adds; a self-signed-up brand's user is set
        # back to unverified by the sign-up page until the e-mailed link is followed.
        email_verified_at=utcnow(),
    )
    db.add(user)
    record(
        db,
        by,
        AuditAction.CREATE,
        "user",
        user.id,
        {"email": email, "role": spec.role, "team_role": spec.team_role},
        advertiser_id=user.advertiser_id,
    )
    db.flush()
    return user


def update_user(db: Session, by: Principal, user_id: str, spec: UserUpdate, now: datetime) -> User:
    """An admin changes a member of their team (accounts/team.py: a brand's own people only,
    the last active admin kept); only an operator sets someone's password. A new password
    or disabling ends all the user's sessions."""
    user = team.visible_user(db, by, user_id)
    if spec.password is not None:
        by.require_operator("set another person's password (they can reset it themselves)")
        require_strong_password(spec.password, [user.email])
        user.password_hash = hash_password(spec.password)
        ended = end_user_sessions(db, user.id, now)
        record(
            db,
            by,
            AuditAction.UPDATE,
            "user",
            user.id,
            {"password": "changed", "sessions_ended": ended},
            advertiser_id=user.advertiser_id,
        )
    if spec.team_role is not None:
        team.change_team_role(db, by, user.id, spec.team_role)
    if spec.disabled is not None:
        team.set_disabled(db, by, user.id, spec.disabled, now)
    db.flush()
    return user


def change_own_password(
    db: Session, user_id: str, current: str, new: str, now: datetime, keep_token: str | None
) -> int:
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
    record(
        db,
        acting_as(user),
        AuditAction.UPDATE,
        "user",
        user.id,
        {"password": "changed", "sessions_ended": ended, "why": SessionEnd.PASSWORD_CHANGED},
    )
    db.flush()
    return ended


def users_query(by: Principal) -> Select[User]:
    """Everyone for the operator; a brand's own people for a brand."""
    return team.users_query(by)


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

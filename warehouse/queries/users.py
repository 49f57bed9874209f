"""Users, refresh tokens and the login rate-limit buckets.

Refresh tokens are stored as SHA-256 hashes only: a leaked table cannot be replayed. Rotation
revokes the presented token and issues a new one of the same family (the login it descends from);
presenting a revoked token again means it was stolen, so every token of that user is revoked.
Revoking a family (logout, password change, theft) publishes it on the outbox's ``sessions``
channel in the same transaction, so the serving processes refuse its access tokens at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from warehouse.models import event_outbox, rate_limit_buckets, refresh_tokens, users
from warehouse.outbox import publish
from warehouse.queries import one

SESSIONS_CHANNEL = "sessions"
_SIDS_PER_EVENT = 100  # keeps each outbox payload well under its size limit
_FAMILY_LOCKS = 0x73696473  # "sids": the two-key advisory lock space of refresh-token families

USER_COLUMNS = (users.c.id, users.c.email, users.c.display_name, users.c.is_admin, users.c.created_at)


class EmailTaken(ValueError):
    """The email address is already registered."""


@dataclass(frozen=True)
class Session:
    """A redeemed refresh token: whose it is and the family its successor continues."""

    user_id: int
    family: str


def new_family() -> str:
    """A fresh login family id (the ``sid`` of the access tokens issued under it)."""
    return secrets.token_hex(16)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(conn: Connection, email: str, password_hash: str, display_name: str | None) -> dict[str, Any]:
    stmt = (
        insert(users)
        .values(email=email, password_hash=password_hash, display_name=display_name)
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(*USER_COLUMNS)
    )
    row = one(conn.execute(stmt))
    if row is None:
        raise EmailTaken(email)
    return row


def user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    return one(conn.execute(sa.select(*USER_COLUMNS).where(users.c.id == user_id, users.c.is_active)))


def credentials(conn: Connection, email: str) -> dict[str, Any] | None:
    """id and password hash of an active user, for login."""
    stmt = sa.select(users.c.id, users.c.password_hash).where(users.c.email == email, users.c.is_active)
    return one(conn.execute(stmt))


def password_hash_of(conn: Connection, user_id: int) -> str | None:
    return conn.execute(sa.select(users.c.password_hash).where(users.c.id == user_id)).scalar()


def set_password(conn: Connection, user_id: int, password_hash: str) -> list[str]:
    """Change the password and end every session of the user; returns their families."""
    conn.execute(
        users.update().where(users.c.id == user_id).values(password_hash=password_hash, updated_at=sa.func.now())
    )
    return revoke_all(conn, user_id)


def store_refresh_token(conn: Connection, user_id: int, token: str, lifetime: timedelta, family: str) -> datetime:
    expires = datetime.now(UTC) + lifetime
    conn.execute(
        refresh_tokens.insert().values(
            user_id=user_id, token_hash=token_hash(token), family=family, expires_at=expires
        )
    )
    return expires


def redeem_refresh_token(conn: Connection, token: str) -> Session | None:
    """Revoke a valid refresh token and return its session; None when unknown, expired or revoked.

    A second use of a revoked token revokes all of the user's tokens (stolen-token detection).
    """
    family = conn.execute(
        sa.select(refresh_tokens.c.family).where(refresh_tokens.c.token_hash == token_hash(token))
    ).scalar()
    if family is None:
        return None
    _lock_family(conn, family)
    row = one(
        conn.execute(
            sa.select(
                refresh_tokens.c.id,
                refresh_tokens.c.user_id,
                refresh_tokens.c.family,
                refresh_tokens.c.expires_at,
                refresh_tokens.c.revoked_at,
            )
            .where(refresh_tokens.c.token_hash == token_hash(token))
            .with_for_update()
        )
    )
    if row is None:
        return None
    if row["revoked_at"] is not None:
        revoke_all(conn, row["user_id"])
        return None
    conn.execute(refresh_tokens.update().where(refresh_tokens.c.id == row["id"]).values(revoked_at=sa.func.now()))
    if row["expires_at"] <= datetime.now(UTC):
        return None
    active = conn.execute(sa.select(users.c.is_active).where(users.c.id == row["user_id"])).scalar()
    return Session(row["user_id"], row["family"]) if active else None


def revoke_refresh_token(conn: Connection, token: str) -> list[str]:
    """Logout: revoke the token's whole family (its access tokens too); returns the family
    (nothing when the token is unknown)."""
    row = one(
        conn.execute(
            sa.select(refresh_tokens.c.user_id, refresh_tokens.c.family).where(
                refresh_tokens.c.token_hash == token_hash(token)
            )
        )
    )
    if row is None:
        return []
    _lock_family(conn, row["family"])
    conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.family == row["family"], refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
    _publish_revoked(conn, row["user_id"], [row["family"]])
    return [row["family"]]


def revoke_all(conn: Connection, user_id: int) -> list[str]:
    """Revoke every live token of the user and the families they belong to; returns those."""
    families = (
        conn.execute(
            refresh_tokens.update()
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=sa.func.now())
            .returning(refresh_tokens.c.family)
        )
        .scalars()
        .all()
    )
    revoked = sorted(set(families))
    _publish_revoked(conn, user_id, revoked)
    return revoked


def _lock_family(conn: Connection, family: str) -> None:
    """Serialize rotation and logout of one family: without it, a refresh committing while a
    logout runs could leave the rotated successor unrevoked (the logout's snapshot predates it)."""
    lock = sa.text("SELECT pg_advisory_xact_lock(:space, hashtext(:family))")
    conn.execute(lock, {"space": _FAMILY_LOCKS, "family": family})


def _publish_revoked(conn: Connection, user_id: int, families: list[str]) -> None:
    for start in range(0, len(families), _SIDS_PER_EVENT):
        sids = families[start : start + _SIDS_PER_EVENT]
        publish(conn, SESSIONS_CHANNEL, {"type": "sessions_revoked", "sids": sids}, user_id=user_id)


def revoked_families(conn: Connection, within: timedelta) -> list[tuple[list[str], datetime]]:
    """Families revoked in the last ``within`` (an access token's lifetime), with when."""
    rows = conn.execute(
        sa.select(event_outbox.c.payload, event_outbox.c.created_at).where(
            event_outbox.c.channel == SESSIONS_CHANNEL,
            event_outbox.c.created_at > sa.func.now() - within,
        )
    )
    return [(list(r.payload.get("sids", [])), r.created_at) for r in rows]


def take_attempt(conn: Connection, key: str, *, capacity: int, window_seconds: float) -> float:
    """Token bucket shared by every serving process: take one token from ``key``.

    The bucket holds ``capacity`` tokens and refills fully over ``window_seconds``. Returns 0 when a
    token was taken, else the seconds until one is available (nothing is taken then).
    """
    rate = capacity / window_seconds
    refill = sa.func.least(
        capacity,
        rate_limit_buckets.c.tokens
        + rate * sa.func.extract("epoch", sa.func.clock_timestamp() - rate_limit_buckets.c.updated_at),
    )
    # Insert-or-refill in one statement, locking the row so concurrent logins serialize.
    stmt = (
        insert(rate_limit_buckets)
        .values(key=key, tokens=float(capacity), updated_at=sa.func.clock_timestamp())
        .on_conflict_do_update(
            index_elements=["key"],
            set_={"tokens": refill, "updated_at": sa.func.clock_timestamp()},
        )
        .returning(rate_limit_buckets.c.tokens)
    )
    tokens = conn.execute(stmt).scalar_one()
    if tokens >= 1.0:
        conn.execute(rate_limit_buckets.update().where(rate_limit_buckets.c.key == key).values(tokens=tokens - 1.0))
        return 0.0
    return (1.0 - tokens) / rate

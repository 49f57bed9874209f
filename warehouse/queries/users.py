"""Users, refresh tokens and the login rate-limit buckets.

Refresh tokens are stored as SHA-256 hashes only: a leaked table cannot be replayed. Rotation
revokes the presented token and issues a new one; presenting a revoked token again means it was
stolen, so every token of that user is revoked.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from warehouse.models import rate_limit_buckets, refresh_tokens, users
from warehouse.queries import one

USER_COLUMNS = (users.c.id, users.c.email, users.c.display_name, users.c.is_admin, users.c.created_at)


class EmailTaken(ValueError):
    """The email address is already registered."""


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


def set_password(conn: Connection, user_id: int, password_hash: str) -> None:
    """Change the password and revoke every refresh token of the user."""
    conn.execute(
        users.update().where(users.c.id == user_id).values(password_hash=password_hash, updated_at=sa.func.now())
    )
    revoke_all(conn, user_id)


def store_refresh_token(conn: Connection, user_id: int, token: str, lifetime: timedelta) -> datetime:
    expires = datetime.now(UTC) + lifetime
    conn.execute(refresh_tokens.insert().values(user_id=user_id, token_hash=token_hash(token), expires_at=expires))
    return expires


def redeem_refresh_token(conn: Connection, token: str) -> int | None:
    """Revoke a valid refresh token and return its user id; None when unknown, expired or revoked.

    A second use of a revoked token revokes all of the user's tokens (stolen-token detection).
    """
    row = one(
        conn.execute(
            sa.select(
                refresh_tokens.c.id,
                refresh_tokens.c.user_id,
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
    return row["user_id"] if active else None


def revoke_refresh_token(conn: Connection, token: str) -> bool:
    """Logout: revoke one token; False when it was unknown or already revoked."""
    result = conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.token_hash == token_hash(token), refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
    return result.rowcount > 0


def revoke_all(conn: Connection, user_id: int) -> int:
    result = conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
    return result.rowcount


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

"""``/api/v1/auth``: register, login, refresh, logout, password change; and ``GET /api/v1/me``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import JSONBody
from litestar.security.jwt import JWTAuth
from sqlalchemy.engine import Connection

from serving.auth.passwords import hash_password, verify_password
from serving.auth.tokens import PUBLIC, issue_access_token, new_refresh_token
from serving.db import Db
from serving.deps import DB, Settings, UserId
from serving.errors import found, invalid
from serving.schemas.auth import LoginIn, PasswordChangeIn, RefreshIn, RegisterIn, TokenOut, UserOut
from serving.settings import ServingSettings
from warehouse.queries import users

BAD_LOGIN = "wrong email or password"


def _tokens(conn: Connection, auth: JWTAuth, settings: ServingSettings, session: users.Session) -> TokenOut:
    refresh = new_refresh_token()
    lifetime = timedelta(days=settings.refresh_token_days)
    users.store_refresh_token(conn, session.user_id, refresh, lifetime, session.family)
    return TokenOut(issue_access_token(auth, session.user_id, session.family), refresh, settings.access_token_seconds)


def _login(conn: Connection, auth: JWTAuth, settings: ServingSettings, email: str, password: str) -> TokenOut:
    creds = users.credentials(conn, email)
    if not verify_password(creds["password_hash"] if creds else None, password):
        raise NotAuthorizedException(BAD_LOGIN)
    return _tokens(conn, auth, settings, users.Session(creds["id"], users.new_family()))


def _refresh(conn: Connection, auth: JWTAuth, settings: ServingSettings, token: str) -> TokenOut | None:
    # None instead of raising: a refused token may have revoked others, which must commit.
    session = users.redeem_refresh_token(conn, token)
    return None if session is None else _tokens(conn, auth, settings, session)


def _change_password(conn: Connection, user_id: int, data: PasswordChangeIn) -> list[str]:
    if not verify_password(users.password_hash_of(conn, user_id), data.current_password):
        raise invalid("current_password", "does not match")
    return users.set_password(conn, user_id, hash_password(data.new_password))


def _end_here(request: Request, families: list[str]) -> None:
    """Apply a committed revocation in this process now; the others hear of it from the outbox."""
    request.app.state.revocations.add(families, datetime.now(UTC))


def _register(conn: Connection, data: RegisterIn) -> dict[str, Any]:
    return users.create_user(conn, data.email.strip().lower(), hash_password(data.password), data.display_name)


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", opt=PUBLIC, status_code=201)
    async def register(self, db: DB, data: JSONBody[RegisterIn]) -> UserOut:
        """Create an account (the email is stored lower-cased). 409 when it is taken."""
        return msgspec.convert(await db.run(_register, data), UserOut)

    @post("/login", opt=PUBLIC, status_code=200)
    async def login(self, request: Request, db: DB, settings: Settings, data: JSONBody[LoginIn]) -> TokenOut:
        """Exchange email and password for an access and a refresh token. Rate limited per email
        and per client address (429 with Retry-After)."""
        email = data.email.strip().lower()
        await _rate_limit(db, settings, [f"login:email:{email}", f"login:ip:{_client(request)}"])
        return await db.run(_login, request.app.state.jwt_auth, settings, email, data.password)

    @post("/refresh", opt=PUBLIC, status_code=200)
    async def refresh(self, request: Request, db: DB, settings: Settings, data: JSONBody[RefreshIn]) -> TokenOut:
        """Rotate: the refresh token is revoked and a new pair issued. Reusing a revoked token
        revokes every token of its user."""
        tokens = await db.run(_refresh, request.app.state.jwt_auth, settings, data.refresh_token)
        if tokens is None:
            raise NotAuthorizedException("the refresh token is invalid, expired or revoked")
        return tokens

    @post("/logout", opt=PUBLIC, status_code=204)
    async def logout(self, request: Request, db: DB, data: JSONBody[RefreshIn]) -> None:
        """End the session of a refresh token (idempotent): its refresh tokens and the access
        tokens issued under it stop working at once, WebSocket subscriptions included."""
        _end_here(request, await db.run(users.revoke_refresh_token, data.refresh_token))

    @post("/password", status_code=204)
    async def change_password(self, request: Request, db: DB, user_id: UserId, data: JSONBody[PasswordChangeIn]) -> None:
        """Change the password; every session of the user ends (refresh and access tokens, this
        one included: sign in again with the new password)."""
        _end_here(request, await db.run(_change_password, user_id, data))


class MeController(Controller):
    path = "/me"
    tags = ["auth"]

    @get("/")
    async def me(self, db: DB, user_id: UserId) -> UserOut:
        """The user the bearer token belongs to."""
        return found(await db.run(users.user_by_id, user_id), "user", UserOut)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _rate_limit(db: Db, settings: ServingSettings, keys: list[str]) -> None:
    # The client address gets a larger bucket: several users may share one (NAT, offices).
    for key, capacity in zip(keys, (settings.login_attempts, settings.login_attempts * 4), strict=True):
        wait = await db.run(users.take_attempt, key, capacity=capacity, window_seconds=settings.login_window_seconds)
        if wait > 0:
            raise TooManyRequestsException(
                "too many login attempts; try again later", headers={"Retry-After": str(int(wait) + 1)}
            )

"""JWT access tokens (HS256 through Litestar's JWTAuth, i.e. PyJWT with an explicit algorithm list,
so ``alg: none`` and any other algorithm are refused) and opaque refresh tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.security.jwt import JWTAuth, Token

from serving.auth.revocations import Revocations

ALGORITHM = "HS256"
ISSUER = "crypto-risk"
# Public routes opt out with this handler option; everything else needs a bearer token.
PUBLIC = {"exclude_from_auth": True}


@dataclass(frozen=True)
class AuthUser:
    id: int
    sid: str  # the login family the token was issued under


def _user_of(token: Token, revocations: Revocations) -> AuthUser | None:
    # No database round trip: the token is short-lived, its family is checked against the
    # process's revocation list, and every query filters by this id.
    sid = token.extras.get("sid")
    if not token.sub.isdigit() or not isinstance(sid, str) or revocations.revoked(sid):
        return None
    return AuthUser(int(token.sub), sid)


async def _user_from_token(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser | None:
    # Async on purpose: Litestar runs a sync user handler in a worker thread, a thread hop on every
    # authenticated request for what is a few nanoseconds of work.
    return _user_of(token, connection.app.state.revocations)


def build_jwt_auth(secret: str, access_seconds: int, exclude: list[str]) -> JWTAuth[AuthUser, Token]:
    return JWTAuth[AuthUser, Token](
        retrieve_user_handler=_user_from_token,
        token_secret=secret,
        algorithm=ALGORITHM,
        default_token_expiration=timedelta(seconds=access_seconds),
        accepted_issuers=[ISSUER],
        require_claims=["exp", "iat", "sub", "iss"],
        exclude=exclude,
        exclude_opt_key="exclude_from_auth",
    )


def issue_access_token(auth: JWTAuth[AuthUser, Token], user_id: int, sid: str) -> str:
    return auth.create_token(identifier=str(user_id), token_issuer=ISSUER, token_extras={"sid": sid})


def decode_access_token(
    auth: JWTAuth[AuthUser, Token], revocations: Revocations, encoded: str
) -> tuple[AuthUser, datetime]:
    """For the WebSocket subscribe message: the user and when the token expires (UTC); raises
    ``NotAuthorizedException`` when invalid, expired or revoked."""
    token = Token.decode(
        encoded,
        secret=auth.token_secret,
        algorithm=ALGORITHM,
        issuer=[ISSUER],
        require_claims=["exp", "iat", "sub", "iss"],
    )
    user = _user_of(token, revocations)
    if user is None:
        raise NotAuthorizedException("invalid or revoked token")
    return user, token.exp


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)

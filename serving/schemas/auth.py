"""Register, login, refresh, logout, password change and the current user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

EMAIL = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, description="login email")]
PASSWORD = Annotated[str, msgspec.Meta(min_length=8, max_length=128, description="8 to 128 characters")]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=True):
    email: EMAIL
    password: PASSWORD
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None


class LoginIn(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=128)]


class RefreshIn(msgspec.Struct):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class PasswordChangeIn(msgspec.Struct):
    current_password: Annotated[str, msgspec.Meta(max_length=128)]
    new_password: PASSWORD


class TokenOut(msgspec.Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class UserOut(msgspec.Struct):
    id: int
    email: str
    display_name: str | None
    is_admin: bool
    created_at: datetime

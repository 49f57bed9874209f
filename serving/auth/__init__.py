"""Authentication: argon2id password hashes, short-lived JWT access tokens, opaque refresh tokens."""

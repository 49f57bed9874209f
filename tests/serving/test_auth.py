"""Register, login, refresh rotation, logout, password change, rate limiting and token checks."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest

from serving.app import create_app
from serving.settings import ServingSettings
from tests.serving.conftest import PASSWORD, SECRET, make_user, problem_field
from warehouse.settings import ConfigError


def test_register_login_me(client):
    r = client.post(
        "/api/v1/auth/register", json={"email": "Carol@Example.com", "password": PASSWORD, "display_name": "Carol"}
    )
    assert r.status_code == 201
    assert r.json()["email"] == "carol@example.com"
    r = client.post("/api/v1/auth/login", json={"email": "CAROL@example.com", "password": PASSWORD})
    assert r.status_code == 200
    tokens = r.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["display_name"] == "Carol"
    claims = jwt.decode(tokens["access_token"], SECRET, algorithms=["HS256"], issuer="crypto-risk")
    assert claims["sub"] == str(me.json()["id"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "x@example.com", "password": "short"}, "password"),
        ({"email": "x@example.com"}, "password"),
        ({"email": "x@example.com", "password": PASSWORD, "role": "admin"}, "role"),
    ],
)
def test_register_rejects_bad_input_naming_the_field(client, body, field):
    r = client.post("/api/v1/auth/register", json=body)
    assert r.status_code == 400
    assert problem_field(r) == field


def test_register_twice_is_a_conflict_on_email(client, alice):
    r = client.post("/api/v1/auth/register", json={"email": "ALICE@example.com", "password": PASSWORD})
    assert r.status_code == 409
    assert problem_field(r) == "email"


def test_wrong_password_and_unknown_email_are_401(client, alice):
    assert (
        client.post("/api/v1/auth/login", json={"email": alice.email, "password": "wrong password"}).status_code == 401
    )
    assert client.post("/api/v1/auth/login", json={"email": "nobody@x.io", "password": PASSWORD}).status_code == 401


def test_login_is_rate_limited_per_email(client, alice):
    statuses = [
        client.post("/api/v1/auth/login", json={"email": alice.email, "password": "wrong password"}).status_code
        for _ in range(5)  # alice's fixture login already took one of the 5 attempts
    ]
    assert statuses == [401, 401, 401, 401, 429]
    r = client.post("/api/v1/auth/login", json={"email": alice.email, "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    # Another account is not affected.
    make_user(client, "dave@example.com")


def test_refresh_rotates_and_reuse_revokes_everything(client, alice):
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != alice.refresh_token
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).status_code == 200
    # The first token was revoked by the rotation; presenting it again smells of theft...
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}).status_code == 401
    # ...so the token issued after it is revoked too.
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": second}).status_code == 401


def test_logout_revokes_the_refresh_token(client, alice):
    assert client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token}).status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": "made-up"}).status_code == 401


def test_password_change_revokes_refresh_tokens(client, alice):
    r = client.post(
        "/api/v1/auth/password",
        headers=alice.headers,
        json={"current_password": "not it at all", "new_password": "a new long password"},
    )
    assert r.status_code == 400 and problem_field(r) == "current_password"
    r = client.post(
        "/api/v1/auth/password",
        headers=alice.headers,
        json={"current_password": PASSWORD, "new_password": "a new long password"},
    )
    assert r.status_code == 204
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token}).status_code == 401
    ok = client.post("/api/v1/auth/login", json={"email": alice.email, "password": "a new long password"})
    assert ok.status_code == 200


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: int, **over) -> dict:
    now = int(time.time())
    return {"sub": str(user_id), "iat": now, "exp": now + 600, "iss": "crypto-risk"} | over


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_bad_tokens_are_401(client, alice):
    now = int(time.time())
    forged = jwt.encode(_claims(alice.id), "another-secret-of-sufficient-length-000000", algorithm="HS256")
    expired = jwt.encode(_claims(alice.id, iat=now - 7200, exp=now - 3600), SECRET, algorithm="HS256")
    alg_none = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(alice.id)) + "."
    head, _, sig = alice.access_token.split(".")
    tampered = head + "." + _b64(_claims(alice.id + 1)) + "." + sig
    wrong_issuer = jwt.encode(_claims(alice.id, iss="someone-else"), SECRET, algorithm="HS256")
    hs512 = jwt.encode(_claims(alice.id), SECRET, algorithm="HS512")  # right key, wrong algorithm
    for token in (forged, expired, alg_none, tampered, wrong_issuer, hs512, "garbage"):
        r = client.get("/api/v1/portfolios", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/portfolios").status_code == 401
    assert client.get("/api/v1/portfolios", headers=alice.headers).status_code == 200


def test_access_tokens_expire(settings):
    from litestar.testing import TestClient

    short = ServingSettings(**{**settings.__dict__, "access_token_seconds": 1})
    with TestClient(create_app(short)) as c:
        user = make_user(c, "eve@example.com")
        assert c.get("/api/v1/me", headers=user.headers).status_code == 200
        time.sleep(2.1)
        assert c.get("/api/v1/me", headers=user.headers).status_code == 401


def test_production_refuses_to_start_without_a_secret(monkeypatch, db_url):
    monkeypatch.setenv("CRYPTO_RISK_ENV", "production")
    monkeypatch.delenv("CRYPTO_RISK_JWT_SECRET", raising=False)
    with pytest.raises(ConfigError, match="CRYPTO_RISK_JWT_SECRET"):
        create_app(ServingSettings.from_env(db_url))
    monkeypatch.setenv("CRYPTO_RISK_JWT_SECRET", "short")
    with pytest.raises(ConfigError, match="at least 32"):
        ServingSettings.from_env(db_url)


def test_settings_come_from_the_environment_at_create_time(monkeypatch, db_url):
    monkeypatch.setenv("CRYPTO_RISK_DATABASE_URL", db_url.url)
    monkeypatch.setenv("CRYPTO_RISK_JWT_SECRET", SECRET)
    monkeypatch.setenv("CRYPTO_RISK_CORS_ORIGINS", "https://dash.example.com")
    monkeypatch.setenv("CRYPTO_RISK_ACCESS_TOKEN_SECONDS", "120")
    from litestar.testing import TestClient

    with TestClient(create_app()) as c:
        r = c.options(
            "/api/v1/assets", headers={"Origin": "https://dash.example.com", "Access-Control-Request-Method": "GET"}
        )
        assert r.headers.get("access-control-allow-origin") == "https://dash.example.com"
        user = make_user(c, "frank@example.com")
        claims = jwt.decode(user.access_token, SECRET, algorithms=["HS256"], issuer="crypto-risk")
        assert timedelta(seconds=claims["exp"] - claims["iat"]) == timedelta(seconds=120)
    monkeypatch.setenv("CRYPTO_RISK_ACCESS_TOKEN_SECONDS", "ten")
    with pytest.raises(ConfigError, match="CRYPTO_RISK_ACCESS_TOKEN_SECONDS"):
        create_app()

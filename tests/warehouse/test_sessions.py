"""Refresh-token families: rotation keeps the family, logout and password change revoke whole
families and publish them on the outbox, and a logout racing a rotation revokes the successor."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from warehouse.engine import get_engine, transaction
from warehouse.models import refresh_tokens
from warehouse.outbox import events_after
from warehouse.queries import users

DAY = timedelta(days=1)


def _user(url, email="a@example.com") -> int:
    with transaction(url) as conn:
        return users.create_user(conn, email, "not-a-real-hash", None)["id"]


def _revoked(url, token: str) -> bool:
    with get_engine(url).connect() as conn:
        stmt = sa.select(refresh_tokens.c.revoked_at).where(refresh_tokens.c.token_hash == users.token_hash(token))
        return conn.execute(stmt).scalar_one() is not None


def test_rotation_keeps_the_family_and_logout_revokes_it_whole(db_url):
    uid = _user(db_url)
    with transaction(db_url) as conn:
        users.store_refresh_token(conn, uid, "one", DAY, "family-a")
        users.store_refresh_token(conn, uid, "other-device", DAY, "family-b")
    with transaction(db_url) as conn:
        session = users.redeem_refresh_token(conn, "one")
        assert session == users.Session(uid, "family-a")
        users.store_refresh_token(conn, uid, "two", DAY, session.family)
    with transaction(db_url) as conn:
        assert users.revoke_refresh_token(conn, "one") == ["family-a"]  # an old token of the family will do
        assert users.revoke_refresh_token(conn, "never-issued") == []
    assert _revoked(db_url, "two") and not _revoked(db_url, "other-device")
    with get_engine(db_url).connect() as conn:
        published = [e for e in events_after(conn, 0) if e.channel == users.SESSIONS_CHANNEL]
        assert [(e.user_id, e.payload["sids"]) for e in published] == [(uid, ["family-a"])]
        assert [sids for sids, _ in users.revoked_families(conn, timedelta(minutes=15))] == [["family-a"]]
        assert users.revoked_families(conn, timedelta(microseconds=1)) == []


def test_password_change_revokes_every_family(db_url):
    uid, other = _user(db_url), _user(db_url, "b@example.com")
    with transaction(db_url) as conn:
        for i, family in enumerate(["f1", "f2", "f2"]):
            users.store_refresh_token(conn, uid, f"t{i}", DAY, family)
        users.store_refresh_token(conn, other, "theirs", DAY, "f3")
    with transaction(db_url) as conn:
        assert users.set_password(conn, uid, "another-hash") == ["f1", "f2"]
    assert all(_revoked(db_url, f"t{i}") for i in range(3)) and not _revoked(db_url, "theirs")


def test_a_logout_racing_a_rotation_revokes_the_successor(db_url):
    uid = _user(db_url)
    with transaction(db_url) as conn:
        users.store_refresh_token(conn, uid, "first", DAY, "family-a")
    # A refresh in flight: the old token redeemed, its successor stored, not yet committed.
    rotating = get_engine(db_url).connect()
    tx = rotating.begin()
    session = users.redeem_refresh_token(rotating, "first")
    users.store_refresh_token(rotating, uid, "second", DAY, session.family)
    finished = threading.Event()

    def logout() -> None:
        with transaction(db_url) as conn:
            users.revoke_refresh_token(conn, "first")
        finished.set()

    thread = threading.Thread(target=logout)
    thread.start()
    try:
        assert not finished.wait(0.5)  # the logout waits for the rotation...
        tx.commit()
    finally:
        rotating.close()
    thread.join(timeout=10)
    assert finished.is_set()
    assert _revoked(db_url, "second")  # ...and then sees, and revokes, its successor

"""Migrations: upgrade from empty, downgrade to empty, re-upgrade; migrating twice is a no-op;
the migrated schema equals the SQLAlchemy metadata."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from warehouse import migrate
from warehouse.engine import get_engine
from warehouse.models import metadata
from warehouse.seed import TOP_ASSETS


def _tables(url) -> set[str]:
    with get_engine(url).connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def test_upgrade_downgrade_roundtrip(empty_db_url, monkeypatch):
    monkeypatch.setenv("CRYPTO_RISK_TIMESCALE", "off")
    migrate.upgrade(empty_db_url)
    assert migrate.current_revision(empty_db_url) == migrate.head_revision()
    assert set(metadata.tables) <= _tables(empty_db_url)

    migrate.downgrade(empty_db_url, "base")
    assert migrate.current_revision(empty_db_url) is None
    assert _tables(empty_db_url) <= {migrate.VERSION_TABLE}

    migrate.upgrade(empty_db_url)
    assert migrate.current_revision(empty_db_url) == migrate.head_revision()


def test_migrating_twice_is_a_noop(db_url):
    with get_engine(db_url).connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM crypto_assets")).scalar_one()
        xmin = conn.execute(sa.text("SELECT max(xmin::text::bigint) FROM crypto_assets")).scalar_one()
    migrate.upgrade(db_url)
    with get_engine(db_url).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM crypto_assets")).scalar_one() == before
        assert conn.execute(sa.text("SELECT max(xmin::text::bigint) FROM crypto_assets")).scalar_one() == xmin


def test_schema_matches_models(db_url):
    with get_engine(db_url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(ctx, metadata)
            if not (d[0] == "remove_table" and d[1].name == migrate.VERSION_TABLE)
        ]
    assert diff == []


def test_seed_has_top_coins(db_url):
    with get_engine(db_url).connect() as conn:
        rows = conn.execute(sa.text("SELECT symbol, coingecko_id, is_stablecoin FROM crypto_assets")).all()
    assert len(rows) >= 50
    by_symbol = {r.symbol: r for r in rows}
    assert by_symbol["BTC"].coingecko_id == "bitcoin"
    assert by_symbol["USDT"].is_stablecoin and not by_symbol["ETH"].is_stablecoin
    assert {s for s, *_ in TOP_ASSETS} == set(by_symbol)


def test_status_reports_revision_and_timescale(db_url):
    st = migrate.status(db_url)
    assert st.up_to_date and st.revision == migrate.head_revision()
    assert st.server_version[:2].isdigit()
    assert st.timescale_enabled is False

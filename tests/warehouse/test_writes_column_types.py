"""Every column type the warehouse tables use, written by the writers (pgpq's binary COPY) into the
real tables and read back by psycopg: values, NULLs, unicode, extremes, and what is refused."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import polars as pl
import pytest
import sqlalchemy as sa

from tests.warehouse.frames import EPOCH
from warehouse.engine import get_engine, transaction
from warehouse.writes import BatchRejected, asset_ids, replace_window, upsert_frame

UTC_US = pl.Datetime("us", "UTC")
WALLET = "0x" + "ab" * 20


def _rows(url, sql: str) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _frame(columns: dict[str, tuple[pl.DataType, list]]) -> pl.DataFrame:
    return pl.DataFrame([pl.Series(name, values, dtype=dtype) for name, (dtype, values) in columns.items()])


def test_wallet_transactions_numeric_int2_int8_bool_and_nulls(db_url):
    # numeric(38,18) at both ends of its range and its smallest step; int2/int8 NULL and extreme.
    big = Decimal("99999999999999999999.999999999999999999")
    tiny = Decimal("0.000000000000000001")
    when = dt.datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=dt.UTC)
    expected = [
        (1, WALLET, "0xa", "erc20", 0, 9_223_372_036_854_775_807, when, WALLET, "0xb", big, "0xc", "日本€", 18, None, False),
        (1, WALLET, "0xa", "erc20", 1, 0, when, WALLET, "", tiny, "0xc", None, None, 21_000, True),
        (1, WALLET, "0xd", "normal", -1, 1, EPOCH, "", WALLET, Decimal(0), "", "", 32_767, 0, False),
    ]
    dtypes = {
        "chain_id": pl.Int32, "address": pl.String, "tx_hash": pl.String, "kind": pl.String, "log_index": pl.Int32,
        "block_number": pl.Int64, "time": UTC_US, "from_address": pl.String, "to_address": pl.String,
        "value": pl.Decimal(38, 18), "token_address": pl.String, "token_symbol": pl.String,
        "token_decimals": pl.Int16, "gas_used": pl.Int64, "is_error": pl.Boolean,
    }
    frame = _frame({c: (t, [r[i] for r in expected]) for i, (c, t) in enumerate(dtypes.items())})
    with transaction(db_url) as conn:
        assert upsert_frame(conn, "wallet_transactions", frame) == 3
    stored = _rows(db_url, f"SELECT {', '.join(dtypes)} FROM wallet_transactions ORDER BY tx_hash, log_index")
    assert stored == expected
    with transaction(db_url) as conn:  # exact numerics: the same batch again changes nothing
        assert upsert_frame(conn, "wallet_transactions", frame) == 0


def test_correlation_matrices_text_array_and_jsonb(db_url):
    matrix = [[1.0, -0.25, None], [-0.25, 1.0, None], [None, None, None]]
    frame = pl.DataFrame(
        [
            pl.Series("id", [1, 2], dtype=pl.Int64),
            pl.Series("time", [EPOCH, EPOCH + dt.timedelta(days=1)], dtype=UTC_US),
            pl.Series("window_days", [90, 90], dtype=pl.Int32),
            pl.Series("symbols", [["BTC", "ETH", "ÜNI"], []], dtype=pl.List(pl.String)),
            pl.Series("matrix", [matrix, {"note": "empty universe", "ü": [1, 2]}], dtype=pl.Object),
        ]
    )
    with transaction(db_url) as conn:
        assert upsert_frame(conn, "correlation_matrices", frame) == 2
    assert _rows(db_url, "SELECT symbols, matrix, portfolio_id FROM correlation_matrices ORDER BY id") == [
        (["BTC", "ETH", "ÜNI"], matrix, None),
        ([], {"note": "empty universe", "ü": [1, 2]}, None),
    ]
    # JSON given as text is stored as that JSON, not as a JSON string.
    text = frame.head(1).with_columns(pl.Series("matrix", ['{"a": [1, null]}'], dtype=pl.String))
    with transaction(db_url) as conn:
        assert upsert_frame(conn, "correlation_matrices", text) == 1
    assert _rows(db_url, "SELECT matrix FROM correlation_matrices WHERE id = 1") == [({"a": [1, None]},)]


def test_reports_date_bytea_and_long_text(db_url):
    with transaction(db_url) as conn:
        user = conn.execute(
            sa.text("INSERT INTO users (email, password_hash) VALUES ('a@b.c', 'x') RETURNING id")
        ).scalar_one()
        portfolio = conn.execute(
            sa.text("INSERT INTO portfolios (user_id, name) VALUES (:u, 'main') RETURNING id"), {"u": user}
        ).scalar_one()
    pdf = b"%PDF-1.7\x00\xff" + bytes(range(256)) * 1000
    expected = [
        (1, portfolio, dt.date(1999, 12, 1), dt.date(1999, 12, 31), "<p>é</p>" * 50_000, pdf),
        (2, portfolio, dt.date(2000, 1, 1), dt.date(2000, 1, 1), "", None),
    ]
    names = ["id", "portfolio_id", "period_start", "period_end", "html", "pdf"]
    dtypes = [pl.Int64, pl.Int64, pl.Date, pl.Date, pl.String, pl.Binary]
    frame = _frame({n: (t, [r[i] for r in expected]) for i, (n, t) in enumerate(zip(names, dtypes, strict=True))})
    with transaction(db_url) as conn:
        assert upsert_frame(conn, "reports", frame) == 2
    assert _rows(db_url, f"SELECT {', '.join(names)} FROM reports ORDER BY id") == expected


def test_risk_metrics_jsonb_objects_and_null_metrics(db_url):
    with transaction(db_url) as conn:
        btc = asset_ids(conn, ["BTC"])["BTC"]
    reasons = {"sharpe": "fewer than 30 returns", "beta_btc": "the benchmark itself"}
    frame = pl.DataFrame(
        [
            pl.Series("asset_id", [btc], dtype=pl.Int32),
            pl.Series("time", [EPOCH], dtype=UTC_US),
            pl.Series("window_days", [30], dtype=pl.Int32),
            pl.Series("sharpe", [None], dtype=pl.Float64),
            pl.Series("volatility_30d", [0.731], dtype=pl.Float64),
            pl.Series("null_reasons", [reasons], dtype=pl.Object),
        ]
    )
    with transaction(db_url) as conn:
        replace_window(conn, "risk_metrics", frame, start=EPOCH, end=EPOCH + dt.timedelta(days=1))
    assert _rows(db_url, "SELECT sharpe, volatility_30d, null_reasons FROM risk_metrics") == [(None, 0.731, reasons)]


def _trending(name: str, rank: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "time": pl.Series([EPOCH], dtype=UTC_US),
            # Wider than int2: cast, and refused if it does not fit (the hand encoder wrapped 70000 to 4464).
            "rank": pl.Series([rank], dtype=pl.Int64),
            "coingecko_id": ["x"],
            "symbol": ["X"],
            "name": [name],
            "source": ["coingecko"],
        }
    )


def test_text_is_stored_right_under_another_client_encoding(db_url):
    # Binary COPY text is read in the client encoding; the hand encoder's UTF-8 bytes were stored
    # as LATIN1 characters ("Ã¼..."). The writer switches to UTF8 for the COPY and back after.
    with transaction(db_url) as conn:
        conn.execute(sa.text("SET LOCAL client_encoding TO 'LATIN1'"))
        upsert_frame(conn, "trending_coins", _trending("Ünï ßtraße"))
        assert conn.execute(sa.text("SHOW client_encoding")).scalar_one() == "LATIN1"
    assert _rows(db_url, "SELECT name, octet_length(name) FROM trending_coins") == [("Ünï ßtraße", 14)]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (_trending("x", rank=70_000), "column 'rank' (Int64) does not fit int2"),
        (_trending("x").with_columns(pl.col("time").dt.replace_time_zone(None)), "column 'time' must be a timezone-aware"),
        (_trending("nul \x00 byte"), "0x00"),
    ],
    ids=["int2-overflow", "naive-time", "nul-in-text"],
)
def test_what_cannot_be_encoded_rejects_the_batch(db_url, frame, message):
    with pytest.raises(BatchRejected, match=re.escape(message)) as err, transaction(db_url) as conn:
        upsert_frame(conn, "trending_coins", frame)
    assert err.value.table == "trending_coins"
    assert _rows(db_url, "SELECT count(*) FROM trending_coins") == [(0,)]

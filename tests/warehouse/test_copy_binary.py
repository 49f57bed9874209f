"""The binary COPY codec against what a real PostgreSQL sends and accepts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import psycopg
import pytest

from warehouse import copy_binary


def _copy_out(url, sql: str, params=None) -> bytes:
    buf = bytearray()
    with psycopg.connect(url.libpq) as conn, conn.cursor() as cur, cur.copy(sql, params) as copy:
        for block in copy:
            buf += block
    return bytes(buf)


def test_decode_grouped_packed_matches_the_server(db_url):
    sql = """COPY (
        SELECT i % 3, string_agg(int4send(i), ''::bytea), string_agg(int8send(i::int8 * 3), ''::bytea),
               string_agg(float8send(i / 8.0::float8), ''::bytea),
               string_agg(timestamptz_send(timestamptz '1999-12-31 23:00+00' + i * interval '1 hour 1 microsecond'),
                          ''::bytea),
               string_agg(date_send(date '1970-01-01' + i), ''::bytea), string_agg(boolsend(i % 2 = 0), ''::bytea)
        FROM generate_series(-2, 5000) AS i GROUP BY i % 3
    ) TO STDOUT (FORMAT BINARY)"""
    got = copy_binary.decode_grouped_packed(
        _copy_out(db_url, sql), "int4", ["int4", "int8", "float8", "timestamptz", "date", "bool"]
    )
    # Whatever order the groups and their values come in, every value sits beside its own key.
    order = np.argsort(got["c0"])
    i = np.arange(-2, 5001)
    np.testing.assert_array_equal(got["c0"][order], i)
    np.testing.assert_array_equal(got["key"][order], np.fmod(i, 3))  # PostgreSQL's % keeps the sign
    np.testing.assert_array_equal(got["c1"][order], i * 3)
    np.testing.assert_array_equal(got["c2"][order], i / 8.0)
    start = np.datetime64("1999-12-31T23:00:00", "us")
    np.testing.assert_array_equal(got["c3"][order], start + i * np.timedelta64(3_600_000_001, "us"))
    np.testing.assert_array_equal(got["c4"][order], np.datetime64("1970-01-01", "D") + i)
    np.testing.assert_array_equal(got["c5"][order].astype(bool), i % 2 == 0)


def test_decode_grouped_packed_of_nothing_is_empty(db_url):
    # No rows at all; and a row whose columns are NULL or empty: all decode empty.
    none = "COPY (SELECT i, int4send(i) FROM generate_series(1, 0) AS i) TO STDOUT (FORMAT BINARY)"
    got = copy_binary.decode_grouped_packed(_copy_out(db_url, none), "int4", ["int4"])
    assert got["key"].size == 0 and got["c0"].size == 0 and got["c0"].dtype == np.int32
    empty = "COPY (SELECT 7, NULL::bytea, ''::bytea) TO STDOUT (FORMAT BINARY)"
    got = copy_binary.decode_grouped_packed(_copy_out(db_url, empty), "int4", ["int4", "float8"])
    assert got["key"].size == got["c0"].size == got["c1"].size == 0
    assert got["c1"].dtype == np.float64


@pytest.mark.parametrize(
    ("select", "columns", "message"),
    [
        ("1, int4send(1) || int4send(2), int4send(1)", ["int4", "int4"], "different numbers of values"),
        ("1, int4send(1), int4send(1)", ["int4"], "a key and 1 packed columns"),
        ("NULL::int4, int4send(1)", ["int4"], "the key is NULL"),
        ("1, '\\x010203'::bytea", ["int4"], "not whole int4 values"),
        ("1::int8, int4send(1)", ["int4"], "not a int4"),
    ],
)
def test_decode_grouped_packed_refuses_what_it_cannot_decode(db_url, select, columns, message):
    data = _copy_out(db_url, f"COPY (SELECT {select}) TO STDOUT (FORMAT BINARY)")
    with pytest.raises(ValueError, match=message):
        copy_binary.decode_grouped_packed(data, "int4", columns)


def test_encoded_rows_load_back_unchanged(db_url):
    import polars as pl

    frame = pl.DataFrame(
        {
            "a": [1, -5, 2_000_000_000],
            "t": [dt.datetime(2024, 2, 29, 12, 30, 1, 5, tzinfo=dt.UTC)] * 3,
            "x": [0.1, -2.5, 1e300],
            "s": ["BTC", "", "é"],
        },
        schema={"a": pl.Int32, "t": pl.Datetime("us", "UTC"), "x": pl.Float64, "s": pl.Utf8},
    )
    with psycopg.connect(db_url.libpq) as conn:
        conn.execute("CREATE TEMP TABLE t (a int4, t timestamptz, x float8, s text)")
        with conn.cursor().copy("COPY t FROM STDIN (FORMAT BINARY)") as copy:
            for block in copy_binary.iter_copy_data(frame, ["int4", "timestamptz", "float8", "text"]):
                copy.write(block)
        rows = conn.execute("SELECT a, t, x, s FROM t ORDER BY a").fetchall()
    assert rows == sorted(frame.rows())

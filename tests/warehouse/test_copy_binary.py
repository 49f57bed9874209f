"""The binary COPY codec against what a real PostgreSQL sends and accepts."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
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


UTC = dt.UTC

# (column, its DDL, the type name the writers pass to the encoder)
ALL_TYPES = [
    ("i2", "int2", "int2"),
    ("i4", "int4", "int4"),
    ("i8", "int8", "int8"),
    ("f8", "float8", "float8"),
    ("b", "bool", "bool"),
    ("d", "date", "date"),
    ("ts", "timestamptz", "timestamptz"),
    ("s", "text", "text"),
    ("q", "numeric(38,18)", "numeric"),
    ("j", "jsonb", "jsonb"),
    ("a", "text[]", "text[]"),
    ("by", "bytea", "bytea"),
]


def _load(url, frame: pl.DataFrame, columns: list[tuple[str, str, str]], *, options: str = "") -> list[tuple]:
    """``frame`` through ``copy_binary.encode`` into a temporary table of ``columns``, read back by
    psycopg's own decoders in insertion order."""
    ddl = ", ".join(f"{name} {pg}" for name, pg, _ in columns)
    names = ", ".join(name for name, _, _ in columns)
    with psycopg.connect(url.libpq, options=options) as conn:
        conn.execute(f"CREATE TEMP TABLE t (n serial, {ddl})")
        with conn.cursor().copy(f"COPY t ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            for block in copy_binary.encode(frame, [t for _, _, t in columns], chunk_rows=2):
                copy.write(block)
        return conn.execute(f"SELECT {names} FROM t ORDER BY n").fetchall()


def test_every_column_type_round_trips_through_the_server(db_url):
    big = Decimal("99999999999999999999.999999999999999999")  # numeric(38,18) at full precision
    minus_big = Decimal("-99999999999999999999.999999999999999999")  # (-big would round to 28 digits)
    rows = [
        (-32768, -(2**31), -(2**63), -1e300, False, dt.date(1, 1, 1),
         dt.datetime(1, 1, 1, tzinfo=UTC), "", minus_big, {"nested": {"a": [1, 2.5, None]}, "ü": "日本"},
         [], b""),
        (32767, 2**31 - 1, 2**63 - 1, 5e-324, True, dt.date(9999, 12, 31),
         dt.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "é日本🙂 \t\n\\ 'quote\"", big,
         [], ["BTC", "é", "", None], b"\x00\xff\x01"),
        (0, 0, 0, 0.1, True, dt.date(2000, 1, 1),
         dt.datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "x" * 100_000,
         Decimal("0.000000000000000001"), "text", ["日本"] * 3, bytes(range(256))),
        (None,) * 12,
    ]
    dtypes = [
        pl.Int16, pl.Int32, pl.Int64, pl.Float64, pl.Boolean, pl.Date, pl.Datetime("us", "UTC"), pl.String,
        pl.Decimal(38, 18), pl.Object, pl.List(pl.String), pl.Binary,
    ]
    frame = pl.DataFrame(
        [pl.Series(name, [r[i] for r in rows], dtype=dtype) for i, ((name, _, _), dtype) in enumerate(zip(ALL_TYPES, dtypes, strict=True))]
    )
    assert _load(db_url, frame, ALL_TYPES) == rows


def test_nan_and_null_stay_apart(db_url):
    frame = pl.DataFrame({"f8": [float("nan"), None, float("inf")]})
    got = [r[0] for r in _load(db_url, frame, [("f8", "float8", "float8")])]
    assert math.isnan(got[0]) and got[1] is None and got[2] == float("inf")


def test_jsonb_takes_json_text_and_python_values(db_url):
    text = pl.DataFrame({"j": ['{"b": [1, "é"]}', "null", None, "3.5"]})
    assert [r[0] for r in _load(db_url, text, [("j", "jsonb", "jsonb")])] == [{"b": [1, "é"]}, None, None, 3.5]
    structs = pl.DataFrame({"j": [{"x": 1.5, "y": "a"}, None]})
    assert [r[0] for r in _load(db_url, structs, [("j", "jsonb", "jsonb")])] == [{"x": 1.5, "y": "a"}, None]


def test_instants_survive_other_zones_and_units(db_url):
    instant = dt.datetime(2024, 2, 29, 23, 30, 1, 5, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "ns": pl.Series([instant], dtype=pl.Datetime("ns", "UTC")),
            "berlin": pl.Series([instant], dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone("Europe/Berlin"),
            "ms": pl.Series([instant.replace(microsecond=5000)], dtype=pl.Datetime("ms", "UTC")),
        }
    )
    got = _load(db_url, frame, [(c, "timestamptz", "timestamptz") for c in frame.columns])
    assert got == [(instant, instant, instant.replace(microsecond=5000))]
    assert got[0][1].astimezone(ZoneInfo("Europe/Berlin")).day == 1  # the same instant, not the wall clock


@pytest.mark.parametrize(
    ("series", "pg_type", "error", "message"),
    [
        (pl.Series("t", [dt.datetime(2024, 1, 1)]), "timestamptz", TypeError, "timezone-aware"),
        (pl.Series("r", [40_000]), "int2", ValueError, "does not fit int2"),
        (pl.Series("q", [0.1]), "numeric", TypeError, "Decimal or integer"),
        (pl.Series("q", ["0.1"]), "numeric", TypeError, "Decimal or integer"),
        (pl.Series("j", [{"x": float("nan")}], dtype=pl.Object), "jsonb", ValueError, "not JSON"),
        (pl.Series("s", ["x"]), "point", TypeError, "no binary COPY encoding"),
    ],
    ids=["naive-time", "int2-overflow", "float-numeric", "string-numeric", "nan-json", "unknown-type"],
)
def test_values_that_do_not_fit_are_refused_naming_the_column(series, pg_type, error, message):
    with pytest.raises(error, match=message) as err:
        copy_binary.encode(series.to_frame(), [pg_type])
    assert repr(series.name) in str(err.value)

"""PostgreSQL's binary COPY format: frames encoded by pgpq, packed series decoded with numpy.

Encoding (``encode``): each column of a polars frame is cast to the Arrow type whose binary form
is its column's PostgreSQL type, and pgpq (Rust, over Arrow buffers) writes the tuples, batch by
batch, for the caller's ``COPY ... FROM STDIN (FORMAT BINARY)``. Every column type of the
warehouse goes this way: int2/int4/int8, float8, bool, date, timestamptz, text, bytea, text[],
numeric (from Decimal or integer columns) and jsonb (JSON text, or values dumped per row).

Decoding (``decode_grouped_packed``): rows of a key and packed value bytes, as the close-series
queries read them; faster than any row decoder since a few rows carry all values.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator

import numpy as np
import polars as pl
import pyarrow as pa
from pgpq import ArrowToPostgresBinaryEncoder
from pgpq import encoders as pgpq_encoders
from pgpq.schema import Jsonb

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)

_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
_PG_EPOCH_DAYS = 10_957

# PostgreSQL type -> big-endian numpy dtype of its binary send form (the decoders' value types)
FIXED = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "u1",
    "timestamptz": ">i8",
    "date": ">i4",
}

# PostgreSQL type -> the polars dtype whose Arrow form pgpq writes in that type's binary format
# (numeric and jsonb are chosen per column, below).
_DTYPES: dict[str, pl.DataType] = {
    "int2": pl.Int16(),
    "int4": pl.Int32(),
    "int8": pl.Int64(),
    "float8": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "timestamptz": pl.Datetime("us", "UTC"),
    "text": pl.String(),
    "bytea": pl.Binary(),
    "text[]": pl.List(pl.String),
}

# Arrow string type -> pgpq's encoder for it; jsonb columns use it with a jsonb output.
_STRING_ENCODERS = {
    pa.string(): pgpq_encoders.StringEncoderBuilder,
    pa.large_string(): pgpq_encoders.LargeStringEncoderBuilder,
    pa.string_view(): pgpq_encoders.StringViewEncoderBuilder,
}


def _json_text(series: pl.Series) -> pl.Series:
    """A jsonb column as JSON text: strings are JSON already; other values (a polars Object of
    dicts, structs, lists, numbers) are dumped one by one, refusing NaN and infinities."""
    if series.dtype == pl.String:
        return series
    try:
        dumped = [None if v is None else json.dumps(v, allow_nan=False) for v in series.to_list()]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column {series.name!r} holds a value that is not JSON ({exc})") from None
    return pl.Series(series.name, dumped, dtype=pl.String)


def _numeric(series: pl.Series) -> pl.Series:
    """Decimals go as they are (the server rounds to the column's scale, or refuses an overflow);
    integers as whole decimals. Floats and strings are refused: their conversion is not exact."""
    if isinstance(series.dtype, pl.Decimal):
        return series
    if series.dtype.is_integer() or series.dtype == pl.Null:
        return series.cast(pl.Decimal(38, 0))
    raise TypeError(f"column {series.name!r} must be a Decimal or integer for numeric, got {series.dtype}")


def _column(series: pl.Series, pg_type: str) -> pl.Series:
    """``series`` as the polars dtype that pgpq encodes as ``pg_type``; lossy casts raise."""
    if series.dtype == pl.Object and pg_type != "jsonb":
        series = pl.Series(series.name, series.to_list(), strict=True)
    if pg_type == "jsonb":
        return _json_text(series)
    if pg_type == "numeric":
        return _numeric(series)
    target = _DTYPES.get(pg_type)
    if target is None:
        raise TypeError(f"column {series.name!r}: no binary COPY encoding for PostgreSQL type {pg_type}")
    if pg_type == "timestamptz":
        if isinstance(series.dtype, pl.Datetime) and series.dtype.time_zone is not None:
            # The instant is kept (polars stores UTC); only the unit may change (ns -> us).
            return series.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        if series.dtype != pl.Null:
            raise TypeError(f"column {series.name!r} must be a timezone-aware Datetime, got {series.dtype}")
    try:
        return series.cast(target, strict=True)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"column {series.name!r} ({series.dtype}) does not fit {pg_type}: {exc}") from None


def encode(frame: pl.DataFrame, pg_types: list[str], chunk_rows: int = 100_000) -> Iterator[bytes]:
    """The binary COPY stream of ``frame`` (columns in the COPY's order, of ``pg_types``):
    header, tuples in batches of ``chunk_rows`` (memory stays flat on large backfills), trailer.

    The columns are cast (``TypeError``/``ValueError`` naming the column) before anything is
    returned, so a frame that cannot be encoded fails before its COPY starts. NULLs go as NULL,
    NaN as NaN (refusing it is the contracts' business), text as UTF-8.
    """
    table = pl.DataFrame(
        [_column(s, t) for s, t in zip(frame.get_columns(), pg_types, strict=True)]
    ).to_arrow()
    encoders = {f.name: ArrowToPostgresBinaryEncoder.infer_encoder(f) for f in table.schema}
    for field, pg_type in zip(table.schema, pg_types, strict=True):
        if pg_type == "jsonb":
            encoders[field.name] = _STRING_ENCODERS[field.type].new_with_output(field, Jsonb())
    encoder = ArrowToPostgresBinaryEncoder.new_with_encoders(table.schema, encoders)
    return _stream(encoder, table, chunk_rows)


def _stream(encoder: ArrowToPostgresBinaryEncoder, table: pa.Table, chunk_rows: int) -> Iterator[bytes]:
    yield encoder.write_header()
    for batch in table.to_batches(max_chunksize=chunk_rows):
        yield encoder.write_batch(batch)
    yield encoder.finish()


def decode_grouped_packed(data: bytes, key_type: str, value_types: list[str]) -> dict[str, np.ndarray]:
    """Decode a binary ``COPY ... TO STDOUT`` of rows of one fixed-width key and ``bytea`` columns
    that each pack values of one fixed-width type, big-endian, back to back (the concatenated
    binary send forms, e.g. ``string_agg(float8send(x), ''::bytea)``), equally many per column in
    a row. Returns numpy arrays ``key`` (each row's key repeated once per value) and ``c0``, ``c1``,
    ... (the values of all rows, concatenated): timestamps as UTC ``datetime64[us]``, dates as
    ``datetime64[D]``.

    Why packed bytes: COPY sends each row as its own message and encodes each value with its own
    send-function call; values stored packed cross the wire as stored, a few rows of bytes that
    one numpy view per column decodes.
    """
    if not data.startswith(HEADER[:11]):
        raise ValueError("not a binary COPY stream")
    ext = struct.unpack_from("!i", data, 15)[0]
    pos = 19 + ext
    key_dtype = np.dtype(FIXED[key_type])
    dtypes = [np.dtype(FIXED[t]) for t in value_types]
    keys: list[np.ndarray] = []
    sizes: list[int] = []
    columns: list[list[np.ndarray]] = [[] for _ in value_types]
    while pos < len(data):
        (count,) = struct.unpack_from("!h", data, pos)
        if count == -1:  # the trailer
            break
        if count != 1 + len(value_types):
            raise ValueError(f"expected rows of a key and {len(value_types)} packed columns, got {count} fields")
        (width,) = struct.unpack_from("!i", data, pos + 2)
        if width != key_dtype.itemsize:
            raise ValueError(f"the key is NULL or not a {key_type}")
        keys.append(np.frombuffer(data, key_dtype, count=1, offset=pos + 6))
        pos += 6 + width
        row_sizes = set()
        for i, dtype in enumerate(dtypes):
            (length,) = struct.unpack_from("!i", data, pos)
            pos += 4
            length = max(length, 0)  # NULL: no values
            if length % dtype.itemsize:
                raise ValueError(f"column {i} is not whole {value_types[i]} values ({length} bytes)")
            columns[i].append(np.frombuffer(data, dtype, count=length // dtype.itemsize, offset=pos))
            row_sizes.add(length // dtype.itemsize)
            pos += length
        if len(row_sizes) > 1:
            raise ValueError("the columns of a row hold different numbers of values")
        sizes.append(row_sizes.pop())
    key = np.repeat(np.concatenate(keys), sizes) if keys else np.empty(0, key_dtype)
    out = {"key": _native(key, key_type)}
    for i, dtype in enumerate(dtypes):
        values = np.concatenate(columns[i]) if columns[i] else np.empty(0, dtype)
        out[f"c{i}"] = _native(values, value_types[i])
    return out


def _native(values: np.ndarray, pg_type: str) -> np.ndarray:
    """Big-endian wire values as native numpy values (PostgreSQL's 2000-01-01 epoch shifted)."""
    values = values.astype(values.dtype.newbyteorder("="))
    if pg_type == "timestamptz":
        return (values + _PG_EPOCH_US).astype("datetime64[us]")
    if pg_type == "date":
        return (values + _PG_EPOCH_DAYS).astype("datetime64[D]")
    return values

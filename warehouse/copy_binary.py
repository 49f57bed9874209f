"""PostgreSQL binary COPY encoding of a polars frame, vectorized with numpy.

psycopg's ``Copy.write_row`` encodes one Python tuple at a time; building those tuples from a
frame costs more than the database's own work on large backfills. Here each column is encoded
at once into one buffer per chunk: PostgreSQL's binary tuple format is a 16-bit field count, then
per field a 32-bit length (-1 for NULL) and the big-endian value.

Supported column types: int2/int4/int8, float8, bool, timestamptz (``Datetime``), date and
text. Anything else (numeric, jsonb) goes through ``psycopg`` row by row (``write_rows``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np
import polars as pl

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
TRAILER = struct.pack("!h", -1)

_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
_PG_EPOCH_DAYS = 10_957

# PostgreSQL type -> (big-endian numpy dtype, width in bytes); None width = variable (text)
FIXED = {
    "int2": ">i2",
    "int4": ">i4",
    "int8": ">i8",
    "float8": ">f8",
    "bool": "u1",
    "timestamptz": ">i8",
    "date": ">i4",
}
SUPPORTED = set(FIXED) | {"text"}


def _fixed_values(series: pl.Series, pg_type: str) -> np.ndarray:
    """The column as numpy values ready to be cast to the wire's big-endian type."""
    if pg_type == "timestamptz":
        if not isinstance(series.dtype, pl.Datetime) or series.dtype.time_zone is None:
            raise TypeError(f"column {series.name!r} must be a timezone-aware Datetime, got {series.dtype}")
        return series.dt.cast_time_unit("us").to_physical().to_numpy() - _PG_EPOCH_US
    if pg_type == "date":
        return series.cast(pl.Date).to_physical().to_numpy().astype(np.int64) - _PG_EPOCH_DAYS
    if pg_type == "bool":
        return series.cast(pl.UInt8).to_numpy()
    return series.to_numpy()


def _encode_uniform(
    frame: pl.DataFrame, pg_types: list[str], nulls: tuple[bool, ...], text_len: dict[int, int]
) -> bytes:
    """Rows that share one layout (same NULL pattern, same text lengths) as one structured array."""
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, pg_type in enumerate(pg_types):
        fields.append((f"l{i}", ">i4"))
        if not nulls[i]:
            fields.append((f"v{i}", f"S{text_len[i]}" if pg_type == "text" else FIXED[pg_type]))
    out = np.empty(frame.height, dtype=np.dtype(fields))
    out["count"] = len(pg_types)
    for i, (series, pg_type) in enumerate(zip(frame.get_columns(), pg_types, strict=True)):
        if nulls[i]:
            out[f"l{i}"] = -1
        elif pg_type == "text":
            out[f"l{i}"] = text_len[i]
            if text_len[i]:
                joined = series.cast(pl.String).str.join("").item().encode()
                out[f"v{i}"] = np.frombuffer(joined, dtype=f"S{text_len[i]}")
        else:
            out[f"l{i}"] = np.dtype(FIXED[pg_type]).itemsize
            out[f"v{i}"] = _fixed_values(series, pg_type)
    return out.tobytes()


def encode_chunk(frame: pl.DataFrame, pg_types: list[str]) -> bytes:
    """Tuples of ``frame`` (columns in table order) in binary COPY format, no header/trailer.

    Row order does not matter to COPY, so rows are grouped by layout (which columns are NULL,
    how long each text value is) and each group is written with one structured numpy array.
    """
    if frame.height == 0:
        return b""
    unsupported = sorted({t for t in pg_types if t not in SUPPORTED})
    if unsupported:
        raise TypeError(f"no binary encoder for {unsupported}; use psycopg's write_row")
    names = frame.columns
    keys = [pl.col(c).is_null().alias(f"__n{i}") for i, c in enumerate(names)]
    keys += [
        pl.col(c).cast(pl.String).str.len_bytes().fill_null(0).alias(f"__t{i}")
        for i, (c, t) in enumerate(zip(names, pg_types, strict=True))
        if t == "text"
    ]
    keyed = frame.with_columns(keys)
    key_names = [k.meta.output_name() for k in keys]
    parts = []
    for key, group in keyed.group_by(key_names):
        values = dict(zip(key_names, key, strict=True))
        nulls = tuple(bool(values[f"__n{i}"]) for i in range(len(names)))
        text_len = {i: int(values[f"__t{i}"]) for i, t in enumerate(pg_types) if t == "text"}
        parts.append(_encode_uniform(group.select(names), pg_types, nulls, text_len))
    return b"".join(parts)


def iter_copy_data(frame: pl.DataFrame, pg_types: list[str], chunk_rows: int = 200_000) -> Iterator[bytes]:
    """Header, tuples in bounded chunks (memory stays flat on large backfills), trailer."""
    yield HEADER
    for start in range(0, frame.height, chunk_rows):
        yield encode_chunk(frame.slice(start, chunk_rows), pg_types)
    yield TRAILER


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

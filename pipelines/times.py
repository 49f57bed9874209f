"""Timestamps as the pipelines hand them out: tz-aware UTC."""

from __future__ import annotations

import datetime as dt


def utc(value: dt.datetime | dt.date) -> dt.datetime:
    """A tz-aware UTC datetime (dates are midnight UTC; naive datetimes are taken as UTC)."""
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

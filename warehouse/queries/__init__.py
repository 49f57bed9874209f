"""Queries over the warehouse, one module per subject. Bound parameters only.

Read and write functions the serving layer calls; each takes a SQLAlchemy ``Connection`` inside
the caller's transaction and returns plain dicts (never ORM objects), so serving stays thin.

User-owned rows are always selected with the owner's id in the WHERE clause: a row that belongs to
someone else is indistinguishable from one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Page:
    """One page of a list: the rows and the total count of the unpaged list."""

    items: list[dict[str, Any]]
    total: int


def _plain(row: sa.Row) -> dict[str, Any]:
    # Column labels are SQLAlchemy ``quoted_name`` str subclasses; callers want plain str keys.
    return {str(k): v for k, v in row._mapping.items()}


def rows(result: sa.CursorResult) -> list[dict[str, Any]]:
    return [_plain(row) for row in result]


def one(result: sa.CursorResult) -> dict[str, Any] | None:
    row = result.first()
    return _plain(row) if row is not None else None


def paged(conn: Connection, query: sa.Select, *, limit: int, offset: int) -> Page:
    """Run ``query`` for one page, with the total of the whole list (same snapshot)."""
    total = conn.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = rows(conn.execute(query.limit(limit).offset(offset)))
    return Page(items, total)

"""Offset pagination for every list: ``?limit=&offset=`` in, ``{items, limit, offset, total}`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

import msgspec
from litestar.pagination import OffsetPagination
from litestar.params import Parameter

from warehouse.queries import Page

T = TypeVar("T")
MAX_LIMIT = 500


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def provide_paging(
    limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    offset: Annotated[int, Parameter(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset)


def to_page(page: Page, paging: Paging, item: type[T]) -> OffsetPagination[T]:
    items = [msgspec.convert(row, item) for row in page.items]
    return OffsetPagination(items=items, limit=paging.limit, offset=paging.offset, total=page.total)

"""Reading provider JSON defensively: every miss names the provider, endpoint and field."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines.errors import MalformedResponse
from pipelines.times import utc  # noqa: F401  (its callers' old import path)


class Reader:
    """Field access for one provider endpoint; errors say exactly what was missing or wrong."""

    def __init__(self, provider: str, endpoint: str) -> None:
        self.provider = provider
        self.endpoint = endpoint

    def error(self, field: str, message: str) -> MalformedResponse:
        return MalformedResponse(self.provider, self.endpoint, message, field=field)

    def obj(self, data: Any, field: str = "<body>") -> dict:
        if not isinstance(data, dict):
            raise self.error(field, f"expected an object, got {type(data).__name__}")
        return data

    def arr(self, data: Any, field: str = "<body>") -> list:
        if not isinstance(data, list):
            raise self.error(field, f"expected an array, got {type(data).__name__}")
        return data

    def get(self, data: dict, field: str, path: str | None = None) -> Any:
        if field not in data:
            raise self.error(path or field, "missing")
        return data[field]

    def num(self, data: dict, field: str, path: str | None = None, *, optional: bool = False) -> float | None:
        """A number sent as a JSON number or a numeric string; ``"-"``/null only when optional."""
        if field not in data:
            if optional:
                return None
            raise self.error(path or field, "missing")
        return self.as_num(data[field], path or field, optional=optional)

    def as_num(self, value: Any, path: str, *, optional: bool = False) -> float | None:
        if value is None or value == "-" or value == "":
            if optional:
                return None
            raise self.error(path, f"expected a number, got {value!r}")
        if isinstance(value, bool):
            raise self.error(path, f"expected a number, got {value!r}")
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise self.error(path, f"expected a number, got {value!r}") from None
        if math.isnan(out):
            raise self.error(path, "is NaN")
        return out

    def int_(self, data: dict, field: str, path: str | None = None, *, optional: bool = False) -> int | None:
        value = self.num(data, field, path, optional=optional)
        return None if value is None else int(value)

    def str_(self, data: dict, field: str, path: str | None = None, *, optional: bool = False) -> str | None:
        if field not in data or data[field] is None:
            if optional:
                return None
            raise self.error(path or field, "missing")
        value = data[field]
        if not isinstance(value, str):
            raise self.error(path or field, f"expected a string, got {type(value).__name__}")
        return value

    def decimal(self, data: dict, field: str, path: str | None = None) -> Decimal:
        value = self.get(data, field, path)
        try:
            out = Decimal(str(value))
        except InvalidOperation:
            raise self.error(path or field, f"expected an integer amount, got {value!r}") from None
        if not out.is_finite():
            raise self.error(path or field, f"expected an integer amount, got {value!r}")
        return out

    def iso_time(self, data: dict, field: str, path: str | None = None) -> dt.datetime:
        raw = self.str_(data, field, path)
        try:
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise self.error(path or field, f"expected an ISO timestamp, got {raw!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    def strptime(self, raw: str, fmt: str, path: str) -> dt.datetime:
        try:
            return dt.datetime.strptime(raw, fmt).replace(tzinfo=dt.UTC)
        except (TypeError, ValueError):
            raise self.error(path, f"expected a time like {fmt!r}, got {raw!r}") from None

    def epoch(self, value: Any, path: str, *, millis: bool = False) -> dt.datetime:
        number = self.as_num(value, path)
        assert number is not None
        try:
            return dt.datetime.fromtimestamp(number / 1000 if millis else number, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise self.error(path, f"timestamp out of range: {value!r}") from None


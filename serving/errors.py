"""Every error answers as RFC 9457 problem+json; a client error names the field at fault.

Shape: ``{"type", "title", "status", "detail", "field"?, "errors": [{"field", "message", "source"}]?}``.
Warehouse exceptions that describe bad input are mapped here, so handlers never catch them.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any, TypeVar

import msgspec
import sqlalchemy.exc
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException

from warehouse.queries.alerts import UnknownPortfolio
from warehouse.queries.portfolios import Conflict, UnknownSymbols
from warehouse.queries.users import EmailTaken

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
T = TypeVar("T")
S = TypeVar("S")


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["field"] = errors[0].get("field")
        body["errors"] = errors
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def invalid(field: str, message: str, source: str = "body") -> ValidationException:
    """A 400 naming ``field``, for checks that need more than the struct can say."""
    return ValidationException(
        detail=f"{field}: {message}", extra=[{"key": field, "message": message, "source": source}]
    )


def found(value: T | None, what: str, item: type[S] | None = None) -> T | S:
    """``value`` (converted to ``item`` when given), or a 404 naming ``what``."""
    if value is None or value is False:
        raise NotFoundException(detail=f"{what} not found")
    return msgspec.convert(value, item) if item is not None else value


_NAMED_FIELD = re.compile(r"field `([^`]+)`")


def _field(error: dict[str, Any]) -> str | None:
    """The field at fault; for a missing or unknown field msgspec names it in the message only."""
    key = error.get("key")
    if key in (None, "data"):
        named = _NAMED_FIELD.search(str(error.get("message", "")))
        return named.group(1) if named else key
    return key


def _field_errors(extra: Any) -> list[dict[str, Any]]:
    if not isinstance(extra, list):
        return []
    return [
        {"field": _field(e), "message": e.get("message"), "source": str(e.get("source", "body"))}
        | ({"row": e["row"]} if "row" in e else {})
        for e in extra
        if isinstance(e, dict)
    ]


def http_exception(_: Request, exc: HTTPException) -> Response:
    errors = _field_errors(exc.extra)
    detail = exc.detail
    if errors and detail.startswith("Validation failed"):
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
    return problem(exc.status_code, detail, errors=errors, headers=exc.headers)


def conflict(_: Request, exc: Conflict) -> Response:
    return problem(409, str(exc), errors=[{"field": exc.field, "message": str(exc), "source": "body"}])


def email_taken(_: Request, exc: EmailTaken) -> Response:
    msg = "this email is already registered"
    return problem(409, msg, errors=[{"field": "email", "message": msg, "source": "body"}])


def unknown_symbols(_: Request, exc: UnknownSymbols) -> Response:
    return problem(422, str(exc), errors=[{"field": "symbol", "message": str(exc), "source": "body"}])


def unknown_portfolio(_: Request, exc: UnknownPortfolio) -> Response:
    msg = "no such portfolio"
    return problem(422, msg, errors=[{"field": "portfolio_id", "message": msg, "source": "body"}])


def database_refused(request: Request, exc: sqlalchemy.exc.DBAPIError) -> Response:
    """A value the structs let through but a constraint refused: still the client's input."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    log.info("database refused input on %s %s: %s", request.method, request.url.path, constraint)
    msg = f"the value breaks the rule {constraint}" if constraint else "the value is out of range"
    return problem(422, msg, errors=[{"field": constraint, "message": msg, "source": "body"}])


def internal(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(500, "internal error")


EXCEPTION_HANDLERS = {
    HTTPException: http_exception,
    Conflict: conflict,
    EmailTaken: email_taken,
    UnknownSymbols: unknown_symbols,
    UnknownPortfolio: unknown_portfolio,
    sqlalchemy.exc.IntegrityError: database_refused,
    sqlalchemy.exc.DataError: database_refused,
    Exception: internal,
}

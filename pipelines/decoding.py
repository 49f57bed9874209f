"""Provider JSON into msgspec Structs; every miss names the provider, endpoint and JSON path.

``decode`` takes a response body (bytes, or a ``msgspec.Raw`` part of one, decoded in one pass by ``msgspec.json.decode``, a body
cut short being ``TruncatedResponse``) or JSON already decoded (what the HTTP layer and dlt hand
over, converted by ``msgspec.convert``). Both run lax: providers send numbers as strings
(``"12345"``), which lax mode reads into ``int``/``float`` fields. Amounts that must stay exact are
declared as digit strings (``Digits``) and turned into ``Decimal`` by the parser.

A failure is ``MalformedResponse`` whose ``field`` is the path from the body's root, e.g.
``result[3].blockNumber`` (``<body>`` for the root itself).
"""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any, TypeVar

import msgspec

from pipelines.errors import MalformedResponse, TruncatedResponse

T = TypeVar("T")

FLOAT_MAX = sys.float_info.max
# Comparisons with NaN are false and inf exceeds FLOAT_MAX, so these bounds also refuse both.
Finite = Annotated[float, msgspec.Meta(ge=-FLOAT_MAX, le=FLOAT_MAX)]
Positive = Annotated[float, msgspec.Meta(gt=0, le=FLOAT_MAX)]
NonNegative = Annotated[float, msgspec.Meta(ge=0, le=FLOAT_MAX)]
# An unsigned integer sent as a string; 78 digits hold any uint256.
Digits = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,78}$")]

# A str is a decoded JSON string (Etherscan's single balance), never a body.
_BYTES = (bytes, bytearray, memoryview, msgspec.Raw)
_AT = re.compile(r"^(?P<detail>.*) - at `\$(?P<path>.*)`$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<name>.+)`$")


def decode(data: Any, type: type[T], *, provider: str, endpoint: str, path: str = "", about: str = "",
           strict: bool = False) -> T:
    """``data`` (a body, or decoded JSON found at ``path`` of the body) as ``type``.

    ``about`` is added to the message of an error, to say whose data it was (e.g. a wallet).
    ``strict`` refuses numbers sent as strings (CoinGecko never sends them: one would be a fault).
    """
    try:
        if isinstance(data, _BYTES):
            return msgspec.json.decode(data, type=type, strict=strict)
        return msgspec.convert(data, type, strict=strict)
    except msgspec.ValidationError as exc:
        field, detail = locate(str(exc), path)
        raise MalformedResponse(provider, endpoint, f"{detail} ({about})" if about else detail, field=field) from None
    except msgspec.DecodeError as exc:
        head = bytes(data)[:64].lstrip()[:1]
        # An empty body or HTML is junk; a JSON document that stops early is a dropped connection.
        if "truncated" in str(exc) and head in (b"{", b"["):
            raise TruncatedResponse(provider, endpoint, f"JSON body ends early ({exc})", field=path or None) from None
        raise MalformedResponse(provider, endpoint, f"body is not JSON ({exc})", field=path or None) from None


def locate(message: str, prefix: str = "") -> tuple[str, str]:
    """(field path, detail) of a msgspec validation message, the path starting at ``prefix``."""
    match = _AT.match(message)
    detail, rest = (match.group("detail"), match.group("path")) if match else (message, "")
    missing = _MISSING.match(detail)
    if missing:
        detail, rest = "missing", f"{rest}.{missing.group('name')}"
    return join(prefix, rest) or "<body>", detail


def join(prefix: str, rest: str) -> str:
    """``result`` + ``[3].blockNumber`` -> ``result[3].blockNumber``; ``feed[2]`` + ``.url`` -> ``feed[2].url``."""
    if not prefix:
        return rest.removeprefix(".")
    return prefix + rest

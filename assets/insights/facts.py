"""The fact sheet: every number an insight may state, each with an id, a unit and its as-of time.

The language model (and the offline engine) receives only this sheet; the grounding validator
checks every number of the answer against the facts the answer cites. The sheet's hash keys the
answer cache: unchanged facts cost no new model call.

Units decide how a value is written (:func:`display`) and which written forms ground it
(:func:`grounding_values`): ``fraction`` values (volatility, VaR, weights, returns) are written as
percentages, ``percent`` values are already in percent (a 24h price move of 12.3), ``score`` with
two decimals, ``usd`` as whole dollars.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

UNITS = ("fraction", "percent", "score", "usd", "ratio", "count", "quantity")

#: Numbers that a fact's own label or id carries ("30-day", "VaR 95%", "24h"): citing the fact
#: grounds them too.
_LABEL_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Fact:
    """One citable value.

    Attributes
    ----------
    id : str
        Stable within a sheet, e.g. ``risk.volatility_30d`` or ``holding.BTC.weight``.
    label : str
        What it is, for a reader ("30-day annualized volatility").
    value : float | None
        None when the warehouse holds no value; ``note`` then says why.
    unit : str
        One of :data:`UNITS`.
    as_of : str
        ISO time the value describes.
    source : str
        Where it comes from (a table or a computation).
    note : str | None
        Null reason, or context for the reader.
    """

    id: str
    label: str
    value: float | None
    unit: str
    as_of: str
    source: str
    note: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"fact {self.id}: unit {self.unit!r} is not one of {', '.join(UNITS)}")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"fact {self.id}: value must be finite or None, got {self.value!r}")

    @property
    def display(self) -> str | None:
        return display(self.value, self.unit)


@dataclass(frozen=True)
class Headline:
    """A news headline that drove an asset's sentiment: untrusted text, passed only as data."""

    id: str
    symbol: str
    title: str
    source: str | None
    url: str
    published_at: str
    relevance: float
    score: float


@dataclass(frozen=True)
class FactSheet:
    """The facts of one insight, with its non-numeric context and its (untrusted) headlines."""

    kind: str
    as_of: str
    facts: tuple[Fact, ...]
    context: Mapping[str, str] = field(default_factory=dict)
    headlines: tuple[Headline, ...] = ()

    def __post_init__(self) -> None:
        ids = [f.id for f in self.facts]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate fact id(s) {', '.join(dup)}")

    def by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    def get(self, fact_id: str) -> Fact:
        return self.by_id()[fact_id]

    def has(self, fact_id: str) -> bool:
        return any(f.id == fact_id for f in self.facts)

    def to_json(self) -> dict:
        """The stored (``ai_insights.facts``) and prompted form; includes each fact's display."""
        return {
            "kind": self.kind,
            "as_of": self.as_of,
            "context": dict(sorted(self.context.items())),
            "facts": [{**asdict(f), "display": f.display} for f in self.facts],
            "headlines": [asdict(h) for h in self.headlines],
        }

    def hash(self) -> str:
        """SHA-256 of the canonical JSON (sorted keys, no whitespace): equal facts, equal hash."""
        body = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(body.encode()).hexdigest()


def display(value: float | None, unit: str) -> str | None:
    """How a value is written in insight text (the offline engine and the prompt use this form)."""
    if value is None:
        return None
    if unit == "fraction":
        return f"{value * 100:.1f}%"
    if unit == "percent":
        return f"{value:.2f}%"
    if unit in ("score", "ratio"):
        return f"{value:.2f}"
    if unit == "usd":
        return f"{'-' if value < 0 else ''}${abs(value):,.0f}"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.4g}"


def grounding_values(fact: Fact) -> list[tuple[float, bool]]:
    """Values a written number may stand for when it cites ``fact``: ``(value, needs_percent)``.

    A fraction is written as a percentage (``12.3%``) or as the bare decimal; the magnitude is
    accepted for either sign (a -0.3 drawdown "fell 30%"). Numbers in the fact's label and id
    ("30-day", "VaR 95") are grounded by citing it.
    """
    out: list[tuple[float, bool]] = []
    if fact.value is not None:
        v = float(fact.value)
        if fact.unit == "fraction":
            out += [(v * 100, True), (abs(v) * 100, True), (v, False), (abs(v), False)]
        elif fact.unit == "percent":
            out += [(v, True), (abs(v), True)]
        else:
            out += [(v, False), (abs(v), False)]
    for text in (fact.label, fact.id):
        out += [(float(n), False) for n in _LABEL_NUMBER.findall(text)]
    return out


def fact(
    fact_id: str,
    label: str,
    value,
    unit: str,
    as_of: str,
    source: str,
    note: str | None = None,
) -> Fact:
    """A :class:`Fact` from a warehouse value (None, NaN and infinities become None with ``note``)."""
    v = None if value is None else float(value)
    if v is not None and not math.isfinite(v):
        v = None
    if v is None and note is None:
        note = "not available"
    return Fact(fact_id, label, v, unit, as_of, source, note)


def numeric(facts: Iterable[Fact]) -> list[Fact]:
    """The facts that carry a value."""
    return [f for f in facts if f.value is not None]

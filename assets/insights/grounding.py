"""The grounding validator: every number a user reads must come from a fact the text cites.

A written number ``x`` with ``d`` decimals grounds on a cited fact value ``v`` when
:math:`|x - v| \\le \\tfrac12 10^{-d}` (it is ``v`` rounded to what was written), using the forms
of :func:`assets.insights.facts.grounding_values` (percentages for fractions, magnitudes for
signed values, numbers named in the fact's label). The sheet's asset symbols (``1INCH``) and
as-of days (``2025-06-30``) are not numbers; any other date is.
The title cites nothing, so its numbers must match some fact of the sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assets.insights.facts import Fact, FactSheet, grounding_values
from assets.insights.prompts import Claim, Draft

_NUMBER = re.compile(
    r"(?<![\w.])[-+\u2212]?\$?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<dec>\d+))?(?P<pct>\s?(?:%|percent\b))?"
)
_WORD = re.compile(r"\b[A-Za-z0-9]+\b")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@dataclass(frozen=True)
class WrittenNumber:
    text: str
    value: float
    decimals: int
    percent: bool


def numbers(
    text: str, symbols: frozenset[str] = frozenset(), dates: frozenset[str] = frozenset()
) -> list[WrittenNumber]:
    """Every number written in ``text``; words in ``symbols`` (asset symbols such as ``1INCH``) and
    ISO dates in ``dates`` (the facts' as-of days) are skipped."""
    masked = _DATE.sub(lambda m: " " * len(m.group()) if m.group() in dates else m.group(), text)
    masked = _WORD.sub(lambda m: " " * len(m.group()) if m.group() in symbols else m.group(), masked)
    out = []
    for m in _NUMBER.finditer(masked):
        digits = m.group("int").replace(",", "")
        dec = m.group("dec") or ""
        out.append(
            WrittenNumber(
                text=m.group().strip(),
                value=float(f"{digits}.{dec}" if dec else digits),
                decimals=len(dec),
                percent=m.group("pct") is not None,
            )
        )
    return out


def grounded(number: WrittenNumber, facts: list[Fact]) -> bool:
    """Whether ``number`` is one of the facts' values as written (within its rounding)."""
    tolerance = 0.5 * 10.0 ** (-number.decimals)
    for f in facts:
        for value, needs_percent in grounding_values(f):
            if needs_percent and not number.percent:
                continue
            if abs(number.value - value) <= tolerance * (1 + 1e-9) + 1e-12:
                return True
    return False


def symbols_of(sheet: FactSheet) -> frozenset[str]:
    return frozenset(s for s in sheet.context.get("symbols", "").split(",") if s)


def dates_of(sheet: FactSheet) -> frozenset[str]:
    """The as-of days of the sheet and its facts: a text may name them."""
    return frozenset([sheet.as_of[:10], *(f.as_of[:10] for f in sheet.facts)])


def check_claim(claim: Claim, sheet: FactSheet, where: str) -> list[str]:
    """Problems with one claim: no citation, unknown fact ids, numbers its facts do not carry."""
    known = sheet.by_id()
    if not claim.fact_ids:
        return [f"{where}: cites no fact"]
    unknown = [i for i in claim.fact_ids if i not in known]
    if unknown:
        return [f"{where}: cites unknown fact id(s) {', '.join(i[:60] for i in unknown[:3])}"]
    cited = [known[i] for i in claim.fact_ids]
    return [
        f"{where}: number {n.text!r} matches none of the cited facts ({', '.join(claim.fact_ids)})"
        for n in numbers(claim.text, symbols_of(sheet), dates_of(sheet))
        if not grounded(n, cited)
    ]


def validate(draft: Draft, sheet: FactSheet) -> list[str]:
    """Every grounding problem of ``draft`` (empty when every number is grounded)."""
    problems: list[str] = []
    for n in numbers(draft.title, symbols_of(sheet), dates_of(sheet)):
        if not grounded(n, list(sheet.facts)):
            problems.append(f"title: number {n.text!r} matches no fact of the sheet")
    for section in ("summary", "recommendations"):
        for i, claim in enumerate(getattr(draft, section)):
            problems += check_claim(claim, sheet, f"{section}[{i}]")
    if not draft.summary:
        problems.append("summary: no claim")
    return problems

"""The grounding validator: every number must be a cited fact's value, as written (within rounding)."""

from __future__ import annotations

import pytest

from assets.insights import grounding, offline
from assets.insights.facts import FactSheet, fact
from assets.insights.prompts import Claim, Draft

AS_OF = "2025-06-30T23:59:59+00:00"


def sheet() -> FactSheet:
    return FactSheet(
        "weekly_analysis",
        AS_OF,
        (
            fact("risk.volatility_30d", "30-day annualized volatility", 0.45213, "fraction", AS_OF, "t"),
            fact("risk.risk_score", "risk score (1 lowest .. 10 highest)", 6.4321, "score", AS_OF, "t"),
            fact("risk.value_usd", "portfolio value", 123456.7, "usd", AS_OF, "t"),
            fact("risk.max_drawdown", "maximum drawdown", -0.3012, "fraction", AS_OF, "t"),
            fact("holding.1INCH.weight", "1INCH weight", 0.05, "fraction", AS_OF, "t"),
            fact("risk.sharpe", "Sharpe ratio", None, "ratio", AS_OF, "t", "zero variance"),
        ),
        {"symbols": "1INCH,BTC"},
    )


def one(text: str, *ids: str, title: str = "Weekly analysis") -> Draft:
    return Draft(title=title, summary=[Claim(text, list(ids))], recommendations=[])


@pytest.mark.parametrize(
    "text",
    [
        "Volatility over 30 days is 45.2%.",
        "Volatility is 45%.",
        "Volatility is 45.21%.",
        "Volatility is 0.45.",
    ],
)
def test_a_cited_number_within_rounding_is_grounded(text):
    assert grounding.validate(one(text, "risk.volatility_30d"), sheet()) == []


@pytest.mark.parametrize(
    "text",
    [
        "Volatility is 45.3%.",  # 45.213 does not round to 45.3
        "Volatility is 46%.",
        "Volatility is 4.5%.",
        "Volatility is 45.2 over 2 weeks.",  # 45.2 without % is not the fraction, 2 is nobody's
    ],
)
def test_a_wrong_number_is_rejected(text):
    problems = grounding.validate(one(text, "risk.volatility_30d"), sheet())
    assert problems and all("matches none of the cited facts" in p for p in problems)


def test_the_right_number_citing_the_wrong_fact_is_rejected():
    problems = grounding.validate(one("The risk score is 6.43.", "risk.volatility_30d"), sheet())
    assert problems == ["summary[0]: number '6.43' matches none of the cited facts (risk.volatility_30d)"]
    assert grounding.validate(one("The risk score is 6.43.", "risk.risk_score"), sheet()) == []


def test_signs_currency_and_label_numbers():
    s = sheet()
    assert grounding.validate(one("The drawdown fell 30.1% at worst, to -30.1%.", "risk.max_drawdown"), s) == []
    assert (
        grounding.validate(
            one("The portfolio is worth $123,457 (score 1 to 10).", "risk.value_usd", "risk.risk_score"), s
        )
        == []
    )
    assert grounding.validate(one("The portfolio is worth $123,000.", "risk.value_usd"), s) != []


def test_symbols_with_digits_are_not_numbers_but_other_numbers_are():
    s = sheet()
    assert grounding.validate(one("1INCH is 5.0% of the portfolio.", "holding.1INCH.weight"), s) == []
    assert grounding.validate(one("1INCH is 7% of the portfolio.", "holding.1INCH.weight"), s) != []


def test_as_of_days_may_be_named_other_dates_may_not():
    s = sheet()
    assert grounding.validate(one("As of 2025-06-30, volatility is 45.2%.", "risk.volatility_30d"), s) == []
    assert grounding.validate(one("Since 2024-01-01, volatility is 45.2%.", "risk.volatility_30d"), s) != []


def test_citations_must_exist_and_null_facts_ground_nothing():
    s = sheet()
    assert grounding.validate(one("Risk is elevated."), s) == ["summary[0]: cites no fact"]
    assert "unknown fact id" in grounding.validate(one("Risk is elevated.", "risk.nope"), s)[0]
    assert grounding.validate(one("The Sharpe ratio is 1.2.", "risk.sharpe"), s) != []


def test_numbers_in_the_title_must_be_facts():
    s = sheet()
    assert grounding.validate(one("Score 6.43.", "risk.risk_score", title="Risk score 6.43"), s) == []
    problems = grounding.validate(one("Score 6.43.", "risk.risk_score", title="Risk score 9.9"), s)
    assert problems == ["title: number '9.9' matches no fact of the sheet"]


def test_offline_drafts_pass_the_validator(risk, settings, prices):
    from assets.insights import sheets
    from assets.insights.personalize import profile

    for s in (
        sheets.weekly_analysis(risk),
        sheets.personalized_recommendation(risk, settings, profile("moderate"), {}),
    ):
        d = offline.draft(s)
        assert d.summary and grounding.validate(d, s) == []
        written = [n for c in d.summary for n in grounding.numbers(c.text)]
        assert written, "the offline draft states numbers"

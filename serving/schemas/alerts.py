"""Alert rules, alerts and user settings."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from serving.schemas.common import CURRENCY, SYMBOL, field_error

RuleKind = Literal[
    "price_move", "price_above", "price_below", "var_breach", "drawdown", "concentration", "volatility_regime"
]
PORTFOLIO_ID = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


def _check_threshold(value: float) -> None:
    if not math.isfinite(value):
        raise field_error("threshold", "must be a finite number")


class AlertRuleIn(msgspec.Struct, forbid_unknown_fields=True):
    """A rule watches a portfolio, an asset, or an asset within a portfolio (at least one)."""

    kind: RuleKind
    threshold: float
    portfolio_id: PORTFOLIO_ID | None = None
    symbol: SYMBOL | None = None
    params: dict[str, Any] = {}
    is_active: bool = True

    def __post_init__(self) -> None:
        _check_threshold(self.threshold)
        if self.portfolio_id is None and self.symbol is None:
            raise field_error("portfolio_id", "a rule needs a portfolio_id or a symbol")
        self.symbol = self.symbol.upper() if self.symbol else None


class AlertRulePatch(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    threshold: float | msgspec.UnsetType = msgspec.UNSET
    params: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.threshold is not msgspec.UNSET:
            _check_threshold(self.threshold)


class AlertRuleOut(msgspec.Struct):
    id: int
    portfolio_id: int | None
    symbol: str | None
    kind: str
    threshold: float
    params: dict[str, Any]
    is_active: bool
    is_triggered: bool
    last_evaluated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AlertOut(msgspec.Struct):
    id: int
    rule_id: int | None
    portfolio_id: int | None
    severity: str
    kind: str
    title: str
    message: str
    data: dict[str, Any]
    triggered_at: datetime
    acknowledged_at: datetime | None


FRACTION = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class SettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    risk_tolerance: Literal["conservative", "moderate", "aggressive"] = "moderate"
    base_currency: CURRENCY = "USD"
    alert_channels: Annotated[list[Literal["in_app", "email", "webhook"]], msgspec.Meta(max_length=3)] = msgspec.field(
        default_factory=lambda: ["in_app"]
    )
    max_weight: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.4
    stablecoin_floor: FRACTION = 0.0
    turnover_limit: Annotated[float, msgspec.Meta(ge=0.0, le=2.0)] = 1.0

    def __post_init__(self) -> None:
        if len(set(self.alert_channels)) != len(self.alert_channels):
            raise field_error("alert_channels", "must not repeat a channel")


class SettingsOut(SettingsIn, forbid_unknown_fields=False):
    updated_at: datetime | None = None

"""``crypto-risk risk PRICES.csv``: the offline risk report of a price file and optional holdings."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import polars as pl

from assets.metrics import PriceDataError, PriceMatrix, risk_report
from assets.metrics.constants import DEFAULT_BENCHMARK, DEFAULT_WINDOW, MIN_WINDOW


def read_prices(path: Path) -> PriceMatrix:
    """Read a wide price CSV (``date`` in ISO format, then one column of closes per symbol).

    Raises
    ------
    PriceDataError
        Naming the column and date of the first bad cell (unparsable, NaN after listing, inf, <= 0).
    """
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise PriceDataError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
    if "date" not in raw.columns:
        raise PriceDataError(f"{path} has no 'date' column (columns: {', '.join(raw.columns) or 'none'})")
    if raw.height == 0:
        raise PriceDataError(f"{path} has no price rows")
    dates = raw.get_column("date").str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    if dates.null_count():
        row = int(dates.is_null().arg_max())
        raise PriceDataError(
            f"'date' on line {row + 2} is not an ISO date (YYYY-MM-DD): {raw['date'][row]!r}", column="date"
        )
    symbols = [c for c in raw.columns if c != "date"]
    if not symbols:
        raise PriceDataError(f"{path} has no price columns besides 'date'")
    columns = []
    for sym in symbols:
        text = raw.get_column(sym).str.strip_chars()
        blank = text.is_null() | (text == "")
        parsed = text.cast(pl.Float64, strict=False)
        bad = parsed.is_null() & ~blank
        if bad.any():
            row = int(bad.arg_max())
            raise PriceDataError(
                f"column {sym!r} has an unparsable number {text[row]!r} on {dates[row].isoformat()}",
                column=sym,
                date=dates[row],
            )
        columns.append(parsed.fill_null(float("nan")).to_numpy())
    return PriceMatrix.build(dates.to_numpy(), symbols, np.column_stack(columns))


def read_holdings(path: Path) -> dict[str, float]:
    """Read ``{"BTC": 0.5, "ETH": 10}`` (quantities held); ``ValueError`` on anything else."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read holdings {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"holdings {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise ValueError(f'holdings {path} must be a JSON object of quantities, e.g. {{"BTC": 0.5, "ETH": 10}}')
    for sym, qty in data.items():
        if isinstance(qty, bool) or not isinstance(qty, int | float):
            raise ValueError(f"holdings {path}: quantity of {sym!r} is not a number: {qty!r}")
    return {str(k): float(v) for k, v in data.items()}


@click.command()
@click.argument("prices_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--holdings",
    "holdings_json",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help='JSON object of quantities held, e.g. {"BTC": 0.5, "ETH": 10} (default: equal value in every asset).',
)
@click.option(
    "--benchmark", default=DEFAULT_BENCHMARK, show_default=True, help="Symbol of beta_btc and the shock scenario."
)
@click.option(
    "--window",
    default=DEFAULT_WINDOW,
    show_default=True,
    type=click.IntRange(min=MIN_WINDOW),
    help="Trailing daily returns for Sharpe, Sortino, drawdown, VaR, ES, betas and correlation.",
)
@click.option("--rf", default=0.0, show_default=True, type=float, help="Annual risk-free rate, decimal.")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
def risk(prices_csv: Path, holdings_json: Path | None, benchmark: str, window: int, rf: float, fmt: str) -> None:
    """Risk metrics of the assets in PRICES.csv and of a portfolio of them (annualized with 365 days)."""
    try:
        prices = read_prices(prices_csv)
        holdings = read_holdings(holdings_json) if holdings_json is not None else None
        if benchmark not in prices.symbols:
            raise ValueError(f"benchmark {benchmark!r} is not a column of {prices_csv} ({', '.join(prices.symbols)})")
        if not np.isfinite(rf) or rf <= -1:
            raise ValueError(f"--rf must be an annual rate above -1, got {rf}")
        report = risk_report(prices, holdings, benchmark=benchmark, window=window, risk_free_annual=rf)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    except ValueError as exc:  # PriceDataError is a ValueError
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(report, allow_nan=False))
    else:
        click.echo(render_table(report))


_MODEL_ROWS = (
    ("historical", "var_95", "es_95", None, None),
    ("ewma", "var_95_ewma", "es_95_ewma", "var_95_ewma_10d", "es_95_ewma_10d"),
    ("fhs", "var_95_fhs", "es_95_fhs", "var_95_fhs_10d", "es_95_fhs_10d"),
    ("mc", "var_95_mc", "es_95_mc", "var_95_mc_10d", "es_95_mc_10d"),
)


def _p(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _model_lines(p: dict) -> list[str]:
    """The portfolio's VaR models side by side with their 95% and 99% backtests."""
    if "backtest" not in p:
        return []
    lines = [
        "",
        f"VaR models (95%, portfolio): volatility EWMA {_fmt(p['volatility_ewma'], 'pct')}, "
        f"GARCH {_fmt(p['volatility_garch'], 'pct')} (10-day mean {_fmt(p['volatility_garch_10d'], 'pct')})",
        "  model       VaR 1d   ES 1d  VaR 10d  ES 10d | backtest   breaches   Kupiec p  Christoffersen p  CC p   zone",
    ]
    for model, var1, es1, var10, es10 in _MODEL_ROWS:
        cells = [_fmt(p.get(k) if k else None, "pct") for k in (var1, es1, var10, es10)]
        for name, bt in p["backtest"][model].items():
            if bt["null_reason"]:
                test = f"{name}: n/a ({bt['null_reason']})"
            else:
                test = (
                    f"{name}  {bt['breaches']:>4}/{bt['days']:<5} {_p(bt['kupiec_p']):>8}  "
                    f"{_p(bt['christoffersen_ind_p']):>16}  {_p(bt['conditional_coverage_p']):>5}  {bt['traffic_light'] or 'n/a'}"
                )
            lines.append(f"  {model:<10} {cells[0]:>7} {cells[1]:>7} {cells[2]:>8} {cells[3]:>7} | {test}")
            model, cells = "", [""] * 4
    regime = p["correlation_regime"]
    label = regime["label"] or f"n/a ({regime['null_reason']})"
    lines.append(f"Correlation regime: {label} ({regime['rule']})")
    return lines


_ASSET_COLUMNS = (
    ("vol 30d", "volatility_30d", "pct"),
    ("vol 365d", "volatility_365d", "pct"),
    ("sharpe", "sharpe", "num"),
    ("sortino", "sortino", "num"),
    ("max dd", "max_drawdown", "pct"),
    ("VaR95", "var_95", "pct"),
    ("ES95", "es_95", "pct"),
    ("VaR99", "var_99", "pct"),
    ("beta btc", "beta_btc", "num"),
    ("beta mkt", "beta_market", "num"),
)


def _fmt(value, kind: str) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:.1f}%" if kind == "pct" else f"{value:.2f}"


def render_table(report: dict) -> str:
    """The report for people: aligned columns, percentages, and every null's reason."""
    lines = [
        f"Risk report as of {report['as_of']} - window {report['window']} days, annualization "
        f"{report['annualization']}, benchmark {report['benchmark']}, rf {report['risk_free_rate']:.2%}",
        "",
    ]
    rows = [("", *(c[0] for c in _ASSET_COLUMNS))]
    entries = [*report["assets"].items(), ("PORTFOLIO", report["portfolio"])]
    for name, m in entries:
        rows.append((name, *(_fmt(m.get(key), kind) for _, key, kind in _ASSET_COLUMNS)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        lines.append(
            "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        )
    p = report["portfolio"]
    lines += [
        "",
        f"Portfolio value {p['value']:,.2f}  HHI {_fmt(p['hhi'], 'num')}  effective holdings "
        f"{_fmt(p['effective_n'], 'num')}  risk score {_fmt(p['risk_score'], 'num')} / 10",
    ]
    if p["risk_score_components"]:
        parts = ", ".join(f"{k} +{v['points']:.2f}" for k, v in p["risk_score_components"].items())
        lines.append(f"  score = 1 + {parts}")
    lines.append("")
    lines.append("Contributions (annualized volatility, one-day component VaR95; each sums to the portfolio's):")
    contrib = p["contributions"]
    if contrib["null_reason"]:
        lines.append(f"  n/a: {contrib['null_reason']}")
    for sym, c in contrib["holdings"].items():
        lines.append(
            f"  {sym:<8} weight {_fmt(c['weight'], 'pct'):>7}  vol {_fmt(c['volatility'], 'pct'):>7}  "
            f"VaR95 {_fmt(c['component_var_95'], 'pct'):>7}"
        )
    lines.append("")
    lines.append("VaR backtest (historical VaR, Kupiec test):")
    for name, bt in p["var_backtest"].items():
        if bt["breaches"] is None:
            lines.append(f"  {name}: n/a: {bt['null_reason']}")
        else:
            verdict = "REJECTED" if bt["model_rejected"] else "holds"
            lines.append(
                f"  {name}: {bt['breaches']} breaches in {bt['days']} days (expected "
                f"{bt['expected_breaches']:.1f}), p = {bt['p_value']:.3f}: model {verdict}"
            )
    lines += _model_lines(p)
    lines.append("")
    lines.append("Stress scenarios:")
    for name, s in p["stress"].items():
        result = (
            _fmt(s["portfolio_return"], "pct") if s["portfolio_return"] is not None else f"n/a ({s['null_reason']})"
        )
        lines.append(f"  {name:<24} {result:>8}   {s['description']}")
    nulls = [(n, k, r) for n, m in entries for k, r in m["null_reasons"].items()]
    if nulls:
        lines += ["", "Not computed:"]
        lines += [f"  {n}.{k}: {r}" for n, k, r in nulls]
    return "\n".join(lines)

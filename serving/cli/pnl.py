"""``crypto-risk pnl TRANSACTIONS.csv --prices PRICES.csv``: positions, cost basis, P&L and returns of a ledger."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assets.metrics import PriceDataError
from assets.portfolio.lib import LedgerError, pnl_statement
from assets.portfolio.lib.constants import DEFAULT_BENCHMARK, MARKET_BENCHMARK, METHODS, PERIODS
from assets.portfolio.lib.imports import parse_transactions
from serving.cli.risk import read_prices

#: Row errors shown on the one error line before "and N more".
SHOWN_ERRORS = 5


def _errors_line(path: Path, errors) -> str:
    shown = "; ".join(str(e) for e in errors[:SHOWN_ERRORS])
    more = len(errors) - SHOWN_ERRORS
    return f"{path}: {shown}" + (f"; and {more} more" if more > 0 else "") + " (nothing computed)"


@click.command()
@click.argument("transactions_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--prices",
    "prices_csv",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Wide daily closes in USD (date, then one column per symbol), as `crypto-risk risk` reads.",
)
@click.option("--method", type=click.Choice(METHODS), default="fifo", show_default=True, help="Cost-basis method.")
@click.option(
    "--benchmark",
    default=DEFAULT_BENCHMARK,
    show_default=True,
    help=f"A column of PRICES.csv, or {MARKET_BENCHMARK} for the equal-weighted index of every column.",
)
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
def pnl(transactions_csv: Path, prices_csv: Path, method: str, benchmark: str, fmt: str) -> None:
    """Positions, lots, realized/unrealized P&L, TWR, MWR and a benchmark for TRANSACTIONS.csv.

    TRANSACTIONS.csv: our format (time,type,symbol,quantity,price_usd,fee_usd) or a Coinbase,
    Kraken or Binance trade export (detected from the header). Figures are fractions, not percent.
    """
    try:
        data = transactions_csv.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {transactions_csv}: {exc.strerror or exc}") from None
    parsed = parse_transactions(data)
    if parsed.errors:
        raise click.ClickException(_errors_line(transactions_csv, parsed.errors))
    try:
        prices = read_prices(prices_csv)
        if benchmark != MARKET_BENCHMARK and benchmark not in prices.symbols:
            raise ValueError(
                f"benchmark {benchmark!r} is not a column of {prices_csv} ({', '.join(prices.symbols)}) "
                f"nor {MARKET_BENCHMARK}"
            )
        report = pnl_statement(parsed.transactions, prices, method=method, benchmark=benchmark)
    except LedgerError as exc:
        raise click.ClickException(_errors_line(transactions_csv, exc.errors)) from None
    except PriceDataError as exc:
        raise click.ClickException(f"{prices_csv}: {exc}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    report = {
        "format": parsed.format,
        **report,
        "import": {"rows": parsed.rows, "unknown_columns": parsed.unknown_columns, "skipped": len(parsed.skipped)},
    }
    click.echo(json.dumps(report, allow_nan=False) if fmt == "json" else render_table(report))


def _money(x) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


def _pct(x) -> str:
    return "n/a" if x is None else f"{x * 100:.2f}%"


def _ratio(x) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _qty(x) -> str:
    return f"{x:,.8g}"


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]


def render_table(doc: dict) -> str:
    """The P&L statement for people: positions, totals, returns by period, benchmark, ex-post risk, nulls."""
    p = doc["portfolio"]
    lines = [
        f"P&L as of {doc['as_of']} - {doc['transactions']} transactions since {doc['first_transaction']} "
        f"({doc['format']} format), cost basis {doc['method'].upper()}, in {doc['currency']}",
        "",
        *_positions_table(doc),
        "",
        f"Total P&L {_money(p['total_pnl'])}  =  realized + unrealized + income;  money in {_money(p['inflows'])}, "
        f"out {_money(p['outflows'])}, net {_money(p['net_flows'])}",
        "",
        *_returns_table(p),
        "",
        *_risk_lines(p),
    ]
    nulls = [(f"portfolio.{k}", v) for k, v in p["null_reasons"].items()]
    nulls += [(f"{sym}.{k}", v) for sym, pos in doc["positions"].items() for k, v in pos["null_reasons"].items()]
    if nulls:
        lines += ["", "Not computed:"]
        lines += [f"  {k}: {v}" for k, v in nulls]
    return "\n".join(lines)


_MONEY_COLUMNS = ("market_value", "cost_basis", "unrealized_pnl", "realized_pnl", "income")


def _positions_table(doc: dict) -> list[str]:
    rows = [("", "quantity", "price", "value", "cost basis", "unrealized", "realized", "income")]
    for sym, pos in doc["positions"].items():
        rows.append((sym, _qty(pos["quantity"]), _money(pos["price"]), *(_money(pos[k]) for k in _MONEY_COLUMNS)))
    rows.append(("PORTFOLIO", "", "", *(_money(doc["portfolio"][k]) for k in _MONEY_COLUMNS)))
    return _aligned(rows)


def _returns_table(p: dict) -> list[str]:
    bench = p["benchmark"]
    rows = [
        ("return", *PERIODS),
        ("time-weighted", *(_pct(p["twr"][k]) for k in PERIODS)),
        ("money-weighted", *(_pct(p["mwr"][k]) for k in PERIODS)),
        ("simple", *(_pct(p["simple_return"][k]) for k in PERIODS)),
        (f"benchmark {bench['symbol']}", *(_pct(bench["twr"][k]) for k in PERIODS)),
    ]
    return [
        *_aligned(rows),
        f"annualized (all, over a year only): TWR {_pct(p['twr_annualized']['all'])}, MWR {_pct(p['mwr_annualized'])}",
        "",
        f"Against {bench['symbol']} (all): excess return {_pct(bench.get('excess_return'))}, tracking error "
        f"{_pct(bench.get('tracking_error'))}, information ratio {_ratio(bench.get('information_ratio'))}, "
        f"up capture {_pct(bench.get('up_capture'))}, down capture {_pct(bench.get('down_capture'))}",
    ]


def _risk_lines(p: dict) -> list[str]:
    lines = [f"Ex-post risk - {p['ex_post_risk']['measures']}:"]
    for k in ("1y", "all"):
        r = p["ex_post_risk"][k]
        if r is None:
            lines.append(f"  {k}: n/a")
            continue
        dd = f"max drawdown {_pct(r['max_drawdown'])}"
        if r["peak"]:
            end = f"recovered {r['recovery']}" if r["recovery"] else "not recovered"
            dd += f" ({r['peak']} -> {r['trough']}, {end}; {r['drawdown_days']:.0f} days under water)"
        lines.append(f"  {k}: volatility {_pct(r['volatility'])}, {dd}")
    return lines

"""``crypto-risk demo [--no-serve]``: the quickstart, from nothing to a running platform.

1. the database: the embedded PostgreSQL (or ``CRYPTO_RISK_DATABASE_URL``), migrated;
2. the Dagster instance: ``DAGSTER_HOME`` under ``CRYPTO_RISK_HOME``, storage in the ``dagster``
   schema of the same database, concurrency pools set;
3. demo users with portfolios (a linked wallet and alert rules too);
4. a simulated-market backfill of price history (>= 400 days), as one run;
5. the full materialization: market, wallets, news, holdings, asset and portfolio risk,
   correlations, the Parquet export and AI insights (the offline rules engine without a key);
6. unless ``--no-serve``: the Dagster webserver and daemon and the API, until Ctrl-C.

Every run is recorded in the Dagster instance, so the UI shows the demo's backfill. Running the
demo again reuses what is there: existing users and portfolios are kept, and only partitions not
yet materialized (plus today's, which moves) are computed.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import click
import sqlalchemy as sa

from warehouse import embedded, migrate
from warehouse.engine import transaction
from warehouse.settings import ConfigError, DatabaseUrl, home_dir

DEMO_PASSWORD = "crypto-risk-demo"
DEMO_USERS = {
    "demo@crypto-risk.dev": ("Demo Analyst", {
        "Core": {"BTC": 0.8, "ETH": 6.0, "SOL": 40.0, "USDC": 5000.0},
        "Altcoins": {"ETH": 2.0, "LINK": 300.0, "AVAX": 120.0, "DOT": 600.0, "UNI": 400.0},
    }),
    "trader@crypto-risk.dev": ("Demo Trader", {
        "High beta": {"SOL": 150.0, "DOGE": 40000.0, "PEPE": 300_000_000.0, "SUI": 2000.0},
    }),
}
MIN_DAYS = 400
SNAPSHOTS = ["market_overview", "trending_coins", "wallet_analysis", "news_sentiment", "portfolio_holdings"]
RISK = ["asset_risk_metrics", "portfolio_risk_metrics", "correlation_matrix", "warehouse_export"]
INSIGHTS = ["ai_insights", "rebalancing_suggestions"]  # offline rules engine unless OPENAI_API_KEY is set


def _say(message: str) -> None:
    click.echo(message, err=False)


@contextmanager
def _step(n: int, total: int, what: str):
    _say(f"[{n}/{total}] {what} ...")
    started = time.perf_counter()
    yield
    _say(f"      done in {time.perf_counter() - started:.1f} s")


def _demo_users(url: DatabaseUrl) -> list[str]:
    from argon2 import PasswordHasher  # the API's hasher (argon2id, argon2-cffi's defaults)

    from pipelines.simulated import wallet_address
    from warehouse.queries import batch

    hasher = PasswordHasher()
    created = []
    with transaction(url) as conn:
        for email, (name, portfolios) in DEMO_USERS.items():
            uid, _ = batch.ensure_user(conn, email, hasher.hash(DEMO_PASSWORD), display_name=name)
            for pname, positions in portfolios.items():
                pid, new = batch.ensure_portfolio(conn, uid, pname, positions, description="crypto-risk demo")
                if new:
                    created.append(f"{email}: {pname}")
                if new and pname == "Core":
                    conn.execute(sa.text("INSERT INTO wallets (portfolio_id, address, label) VALUES (:p, :a, 'demo wallet')"),
                                 {"p": pid, "a": wallet_address(42, 0)})
                    conn.execute(sa.text(
                        "INSERT INTO alert_rules (user_id, portfolio_id, kind, threshold) VALUES "
                        "(:u, :p, 'var_breach', 0.05), (:u, :p, 'drawdown', 0.25), (:u, :p, 'concentration', 0.5)"),
                        {"u": uid, "p": pid})
                    conn.execute(sa.text(
                        "INSERT INTO alert_rules (user_id, asset_id, kind, threshold) "
                        "SELECT :u, id, 'price_move', 5.0 FROM crypto_assets WHERE symbol = 'BTC'"), {"u": uid})
    return created


def _missing_span(instance, asset: str, keys: list[str]) -> tuple[str, str] | None:
    """The partition range still to compute: from the first key not yet materialized through the
    last key (today's partition is always recomputed: its prices move)."""
    from dagster import AssetKey

    done = instance.get_materialized_partitions(AssetKey(asset))
    todo = [k for k in keys[:-1] if k not in done] + keys[-1:]
    return todo[0], keys[-1]


def _materialize(instance, selection: list[str], span: tuple[str, str] | None, **kwargs):
    from dagster import load_asset_checks_from_modules, load_assets_from_modules, materialize
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.definitions import ASSET_MODULES, CHECK_MODULES, resources

    tags = {"crypto_risk/trigger": "demo"}
    if span:
        tags |= {ASSET_PARTITION_RANGE_START_TAG: span[0], ASSET_PARTITION_RANGE_END_TAG: span[1]}
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = materialize(
        load_assets_from_modules(ASSET_MODULES) + load_asset_checks_from_modules(CHECK_MODULES),
        selection=selection, instance=instance, resources=resources(), tags=tags, run_config=quiet,
        raise_on_error=False, **kwargs,
    )
    if not result.success:
        raise click.ClickException(f"run {result.run_id} ({', '.join(selection)}) failed; see the Dagster UI or logs")
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed and e.check_name != "price_history_fresh"]
    if failed:
        _say(f"      warning: check(s) not passing: {', '.join(failed)}")
    return result


def _servers(env: dict[str, str], ui_port: int, api_port: int) -> list[tuple[str, list[str]]]:
    exe = sys.executable
    bin_dir = Path(exe).parent  # the console scripts installed beside this interpreter
    commands = [
        ("dagster webserver", [str(bin_dir / "dagster-webserver"), "-m", "assets.definitions", "-h", "127.0.0.1",
                               "-p", str(ui_port)]),
        ("dagster daemon", [str(bin_dir / "dagster-daemon"), "run", "-m", "assets.definitions"]),
    ]
    if importlib.util.find_spec("serving.cli.serve") is not None:
        commands.append(("API", [exe, "-m", "serving.cli", "serve", "--port", str(api_port)]))
    return commands


def _run_servers(env: dict[str, str], ui_port: int, api_port: int) -> None:
    commands = _servers(env, ui_port, api_port)
    children: list[tuple[str, subprocess.Popen]] = []

    def stop_all() -> None:
        for _, proc in children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, proc in children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                _say(f"{name} did not stop in time: killed")

    def interrupt(signum, frame):  # SIGTERM (a supervisor, `kill`) stops as cleanly as Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, interrupt)
    try:
        for name, cmd in commands:
            # Each server in its own process group: Ctrl-C reaches us once, and we stop them in order.
            children.append((name, subprocess.Popen(cmd, env={**os.environ, **env}, start_new_session=True)))
        _say("")
        _say(f"  Dagster UI   http://127.0.0.1:{ui_port}   (lineage, runs, backfills; the daemon runs schedules and sensors)")
        if any(name == "API" for name, _ in children):
            _say(f"  Dashboard    http://127.0.0.1:{api_port}/   (live prices, risk, insights, alerts, weekly reports)")
            _say(f"  API          http://127.0.0.1:{api_port}/api/v1   (OpenAPI docs at /schema, WebSocket at /ws)")
        else:
            _say("  API          not started: this build has no `crypto-risk serve` command")
        _say(f"  demo login   {next(iter(DEMO_USERS))} / {DEMO_PASSWORD}   (also {list(DEMO_USERS)[1]})")
        _say("  Ctrl-C stops everything.")
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    raise click.ClickException(f"{name} exited with code {proc.returncode}; stopping the others")
            time.sleep(1)
    except KeyboardInterrupt:
        _say("\nstopping ...")
    finally:
        stop_all()
    _say("stopped.")


@click.command()
@click.option("--no-serve", is_flag=True, help="Prepare everything, start no servers, exit 0.")
@click.option("--days", default=MIN_DAYS, show_default=True, type=click.IntRange(MIN_DAYS, 3 * 365 + 1),
              help="Days of simulated price history to backfill.")
@click.option("--ui-port", default=3000, show_default=True, type=click.IntRange(1, 65535), help="Dagster UI port.")
@click.option("--api-port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="API port.")
def demo(no_serve: bool, days: int, ui_port: int, api_port: int) -> None:
    """The quickstart: database, Dagster, demo users, a simulated backfill, then the servers."""
    from dagster import BetaWarning, PreviewWarning

    # Single-run backfill policies (beta) and partitioned checks (preview) are used on purpose.
    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)
    total = 5 if no_serve else 6
    with _step(1, total, "database (embedded PostgreSQL unless CRYPTO_RISK_DATABASE_URL is set) and migrations"):
        try:
            url = embedded.resolve_url()
        except (ConfigError, RuntimeError) as exc:
            raise click.ClickException(str(exc)) from exc
        migrate.upgrade(url)
        _say(f"      {url.redacted()}")

    from dagster import DagsterInstance

    from assets.partitions import apply_pool_limits
    from serving.cli import dagster_instance

    with _step(2, total, f"Dagster instance in {home_dir() / 'dagster'} (storage: schema 'dagster')"):
        env = dagster_instance.prepare(url)
        # The demo is the simulated market, whatever the shell says.
        env["CRYPTO_RISK_MARKET_SOURCE"] = "simulated"
        os.environ.update(env)
        instance = DagsterInstance.get()
        apply_pool_limits(instance)

    with _step(3, total, "demo users and portfolios"):
        created = _demo_users(url)
        _say(f"      {len(created)} portfolio(s) created" if created else "      already there: kept as they are")

    today = dt.datetime.now(dt.UTC).date()
    keys = [(today - dt.timedelta(days=d)).isoformat() for d in range(days, -1, -1)]
    span = _missing_span(instance, "price_history", keys)
    with _step(4, total, f"simulated price backfill {span[0]} .. {span[1]} (one run)"):
        _materialize(instance, ["price_history"], span)

    risk_span = _missing_span(instance, "portfolio_risk_metrics", keys)
    with _step(5, total, f"market, wallets, news, holdings; risk, export, insights {risk_span[0]} .. {risk_span[1]}; last week's reports"):
        _materialize(instance, SNAPSHOTS, None)
        _materialize(instance, RISK, risk_span)
        _materialize(instance, INSIGHTS, None)
        # Last closed week's report, so the dashboard's Reports page has one from the start.
        last_week = today - dt.timedelta(days=today.weekday() + 7)
        _materialize(instance, ["weekly_reports"], None, partition_key=last_week.isoformat())

    if no_serve:
        _say("ready (--no-serve: no servers started). `crypto-risk demo` starts them.")
        return
    _say(f"[6/{total}] starting the Dagster webserver, the Dagster daemon and the API")
    _run_servers(env, ui_port, api_port)

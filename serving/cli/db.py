"""``crypto-risk db start|stop|status|url|migrate``."""

from __future__ import annotations

import json
import sys

import click

from warehouse import embedded, migrate
from warehouse.settings import ConfigError, configured_url


def _url(start: bool):
    try:
        return embedded.resolve_url(start_embedded=start)
    except (ConfigError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def db() -> None:
    """The database: the embedded default, or CRYPTO_RISK_DATABASE_URL when set."""


@db.command()
def start() -> None:
    """Start the embedded PostgreSQL (no-op when CRYPTO_RISK_DATABASE_URL is set)."""
    if configured_url() is not None:
        click.echo("CRYPTO_RISK_DATABASE_URL is set: nothing to start (the configured server is used).")
        return
    url = embedded.start()
    click.echo(f"embedded PostgreSQL running in {embedded.data_dir()}")
    click.echo(url.libpq)


@db.command()
def stop() -> None:
    """Stop the embedded PostgreSQL."""
    if configured_url() is not None:
        click.echo("CRYPTO_RISK_DATABASE_URL is set: the configured server is not managed here.")
        return
    click.echo("stopped" if embedded.stop() else "the embedded PostgreSQL was not running")


@db.command()
def url() -> None:
    """Print the database URL for psql, Dagster, DuckDB (starts the embedded server if needed)."""
    click.echo(_url(start=True).libpq)


@db.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(as_json: bool) -> None:
    """Server version, Timescale features, migration revision."""
    if configured_url() is None and not embedded.info().running:
        if as_json:
            click.echo(json.dumps({"running": False, "data_dir": str(embedded.data_dir())}))
        else:
            click.echo(f"embedded PostgreSQL: not running (data folder {embedded.data_dir()})")
        sys.exit(1)
    st = migrate.status(_url(start=False))
    if as_json:
        click.echo(json.dumps(st.as_dict()))
        return
    ts = (
        f"on (timescaledb {st.timescale_version})"
        if st.timescale_enabled
        else (
            "available, not enabled (run `crypto-risk db migrate`)"
            if st.timescale_available
            else "off (extension not installed)"
        )
    )
    click.echo(f"database:   {st.url}")
    click.echo(f"server:     PostgreSQL {st.server_version}")
    click.echo(f"timescale:  {ts}")
    click.echo(
        f"revision:   {st.revision or 'none (empty)'}"
        + ("" if st.up_to_date else f"  (head is {st.head}: run `crypto-risk db migrate`)")
    )


@db.command(name="migrate")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--down", is_flag=True, help="Downgrade to --revision (default base) instead.")
def migrate_cmd(revision: str, down: bool) -> None:
    """Apply migrations (idempotent: an up-to-date database is left as it is)."""
    target = _url(start=True)
    if down:
        migrate.downgrade(target, "base" if revision == "head" else revision)
    else:
        migrate.upgrade(target, revision)
    st = migrate.status(target)
    click.echo(f"schema at revision {st.revision}; timescale features {'on' if st.timescale_enabled else 'off'}")

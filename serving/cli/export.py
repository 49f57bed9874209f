"""``crypto-risk export``: the time-series tables as date-partitioned Parquet for analysts."""

from __future__ import annotations

from pathlib import Path

import click

from warehouse import embedded
from warehouse.export import EXPORTABLE, export_tables
from warehouse.settings import home_dir


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Target folder (default: <CRYPTO_RISK_HOME>/exports).",
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    type=click.Choice(sorted(EXPORTABLE)),
    help="Export only these tables (repeatable; default all).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only days from this date on (default: everything).",
)
def export(out_dir: Path | None, tables: tuple[str, ...], since) -> None:
    """Write price_history, risk_metrics and portfolio_risk_metrics as Hive-partitioned Parquet."""
    target = out_dir or home_dir() / "exports"
    written = export_tables(
        embedded.resolve_url(),
        target,
        tables or tuple(sorted(EXPORTABLE)),
        since=since.date() if since else None,
    )
    for table, count in written.items():
        click.echo(f"{table}: {count} rows -> {target / table}")

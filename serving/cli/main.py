"""``crypto-risk``: one console script; subcommands live in small modules beside this one."""

from __future__ import annotations

import logging

import click

from serving.cli.bench import bench
from serving.cli.db import db
from serving.cli.demo import demo
from serving.cli.diagrams import diagrams
from serving.cli.export import export
from serving.cli.pnl import pnl
from serving.cli.risk import risk
from serving.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def cli(verbose: bool) -> None:
    """crypto-risk: crypto portfolio risk on Dagster, PostgreSQL/TimescaleDB and Litestar."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


cli.add_command(db)
cli.add_command(demo)
cli.add_command(bench)
cli.add_command(export)
cli.add_command(serve)
cli.add_command(risk)
cli.add_command(pnl)
cli.add_command(diagrams)

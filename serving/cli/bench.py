"""``crypto-risk bench NAME [options]``: runs ``tests/benchmarks/bench_NAME.py`` and prints its JSON.

Benchmarks live with the tests (they are not part of the default test run) and ship with the
source checkout, which is how the README installs the project.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
from pathlib import Path

import click

BENCH_DIR = Path(__file__).resolve().parents[2] / "tests" / "benchmarks"


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.pass_context
def bench(ctx: click.Context, name: str) -> None:
    """Run benchmark NAME and print one JSON object (extra options go to the benchmark; try --help)."""
    path = BENCH_DIR / f"bench_{name.replace('-', '_')}.py"
    if not path.exists():
        names = ", ".join(available()) or "none found (benchmarks ship with the source checkout)"
        raise click.ClickException(f"unknown benchmark {name!r}; available: {names}")
    # Benchmarks import shared helpers as ``tests.benchmarks.*``: the checkout must be importable.
    root = str(BENCH_DIR.parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    spec = importlib.util.spec_from_file_location(f"crypto_risk_bench_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(list(ctx.args))
    result = {"benchmark": name, **result, "cpu_count": os.cpu_count(), "python": platform.python_version()}
    click.echo(json.dumps(result))

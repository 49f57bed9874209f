"""``crypto-risk diagrams``: the committed diagrams are what the code generates now."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from serving.cli import diagrams as d
from serving.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "diagrams"


@pytest.mark.parametrize("name", sorted(d.GENERATED))
def test_committed_diagram_matches_the_code(name):
    committed = (COMMITTED / name).read_text() if (COMMITTED / name).exists() else ""
    assert committed == d.GENERATED[name](), (
        f"docs/diagrams/{name} is out of date: run `crypto-risk diagrams` and commit"
    )


def test_erd_draws_every_table_column_and_foreign_key():
    from warehouse.models import metadata

    erd = d.erd()
    for table in metadata.tables.values():
        assert f"    {table.name} {{" in erd
        for column in table.columns:
            assert f" {column.name}" in erd
        for fk in table.foreign_keys:
            assert f"{fk.column.table.name} " in erd and f'{table.name} : "{fk.parent.name}"' in erd


def test_route_diagram_lists_every_operation_of_the_schema():
    routes = d.api_routes()
    assert "GET /api/v1/portfolios/{portfolio_id}/reports/{report_id}" in routes
    assert "POST /api/v1/auth/register" in routes and "GET /health" in routes


def test_check_names_stale_files_and_passes_once_regenerated(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["diagrams", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 1 and "erd.md" in result.output
    assert runner.invoke(cli, ["diagrams", "--out", str(tmp_path)]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(d.GENERATED)
    result = runner.invoke(cli, ["diagrams", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 0, result.output
    (tmp_path / "erd.md").write_text("edited by hand")
    result = runner.invoke(cli, ["diagrams", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 1 and "erd.md" in result.output and "api-routes.md" not in result.output

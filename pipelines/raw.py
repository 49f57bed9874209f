"""Running a provider's dlt source: raw responses into the ``raw`` dataset, curated frames into
the warehouse, in an order that never loses data.

1. ``sync_destination``: the incremental cursors come from the raw dataset's dlt state, so each
   run (each Dagster process) starts where the last *loaded* run ended.
2. ``extract``: resources call the provider; a collector keeps each resource's records.
3. curate and validate the records; upsert them in one warehouse transaction.
4. ``normalize`` + ``load``: raw rows and the advanced cursors are committed together.

A failure in 2-3 writes nothing and ``abort_packages`` puts the cursors back where they were,
so the next run fetches the same data again; a failure in 4 after 3 means curated rows are rewritten next time, which
the idempotent upserts absorb.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.extract.source import DltSource
from sqlalchemy.engine import Connection

from pipelines.errors import InvalidBatch, ProviderError
from pipelines.store import Written
from warehouse.engine import transaction
from warehouse.settings import DatabaseUrl, home_dir
from warehouse.writes import BatchRejected

RAW_DATASET = "raw"

Curate = Callable[[Connection, dict[str, list[dict]]], list[Written]]


@dataclass
class RunResult:
    """What one run fetched and wrote; ``load_id`` names the raw load package."""

    provider: str
    raw_rows: dict[str, int] = field(default_factory=dict)
    written: list[Written] = field(default_factory=list)
    load_id: str | None = None

    def rows(self, table: str) -> int:
        return sum(w.rows for w in self.written if w.table == table)


def make_pipeline(provider: str, url: DatabaseUrl, *, dev_mode: bool = False, pipelines_dir: str | None = None,
                  dataset_name: str = RAW_DATASET) -> dlt.Pipeline:
    """A dlt pipeline loading into ``dataset_name`` of the warehouse database.

    The working folder defaults to ``$CRYPTO_RISK_HOME/dlt``; the cursors that count are the
    ones loaded with the raw data (``sync_destination`` restores them in a fresh process).
    """
    return dlt.pipeline(
        pipeline_name=f"crypto_risk_{provider}",
        destination=dlt.destinations.postgres(credentials=url.dlt),
        dataset_name=dataset_name,
        dev_mode=dev_mode,
        pipelines_dir=pipelines_dir or str(home_dir() / "dlt"),
    )


def collect(source: DltSource) -> dict[str, list[dict]]:
    """Tee every record of every selected resource into lists keyed by table name."""
    records: dict[str, list[dict]] = defaultdict(list)
    for resource in source.selected_resources.values():
        table = resource.table_name if isinstance(resource.table_name, str) else resource.name

        resource.add_map(_keeper(records[table]))
    return records


def _own_error(exc: BaseException) -> BaseException | None:
    """Our ProviderError / InvalidBatch inside dlt's wrappers, so callers catch one set of errors."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ProviderError | InvalidBatch | BatchRejected):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _keeper(into: list[dict]) -> Callable[[Any], Any]:
    # One positional parameter: dlt passes item metadata to map functions that take two.
    def keep(item: Any) -> Any:
        into.append(item)
        return item

    return keep


def run(provider: str, pipeline: dlt.Pipeline, source: DltSource, url: DatabaseUrl, curate: Curate) -> RunResult:
    """Extract, write curated rows, then load raw rows and cursors (see the module docstring)."""
    if not pipeline.dev_mode:
        pipeline.sync_destination()
    records = collect(source)
    try:
        pipeline.extract(source)
        with transaction(url) as conn:
            written = curate(conn, records)
    except Exception as exc:
        # Drops the extracted package and restores the cursors to where this run started.
        pipeline.abort_packages()
        own = _own_error(exc)
        if own is not None and own is not exc:
            raise own from exc
        raise
    pipeline.normalize()
    info = pipeline.load()
    return RunResult(
        provider=provider,
        raw_rows={table: len(rows) for table, rows in records.items()},
        written=written,
        load_id=info.loads_ids[-1] if info.loads_ids else None,
    )

"""The one road from a provider to the warehouse: a dlt source lands the provider's answers in
the ``raw`` dataset (one load id per run) while its resources hand curated frames to the caller,
in an order that never loses data and never holds a warehouse transaction over the network.

1. ``sync_destination``: incremental cursors come from the raw dataset's dlt state, so each run
   (each Dagster process, each with its own working folder) starts where the last *loaded* one ended;
2. ``extract``: the resources call the provider (all network I/O happens here) and put what
   they parsed and validated into the run's ``Harvest``;
3. the caller writes the curated rows and their outbox event in one short transaction;
4. ``normalize`` + ``load``: the raw rows and the advanced cursors are committed together.

A failure in 2-3 writes nothing and drops the extracted package, so the cursors stay where they
were and the next run fetches the same data again; a failure in 4 after 3 means the curated rows
are written again next time, which their idempotent writes absorb.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dlt
import polars as pl
from dlt.extract.source import DltSource

from pipelines.errors import InvalidBatch, ProviderError
from warehouse.settings import DatabaseUrl, home_dir
from warehouse.writes import BatchRejected

RAW_DATASET = "raw"


@dataclass
class Harvest:
    """What one run's resources fetched and curated: frames by name, skipped keys with reasons."""

    frames: dict[str, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    skipped: dict[str, str] = field(default_factory=dict)
    load_id: str | None = None
    raw_rows: dict[str, int] = field(default_factory=dict)
    def add(self, name: str, frame: pl.DataFrame) -> None:
        if frame.height:
            self.frames[name].append(frame)

    def skip(self, key: str, reason: str) -> None:
        self.skipped[key] = reason

    def frame(self, name: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        parts = self.frames.get(name) or []
        return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame(schema=schema)


def make_pipeline(name: str, url: DatabaseUrl, *, dev_mode: bool = False, pipelines_dir: str | None = None,
                  dataset_name: str = RAW_DATASET) -> dlt.Pipeline:
    """A dlt pipeline ``crypto_risk_<name>`` loading into ``dataset_name`` of the warehouse."""
    # Arrow rows carry their load id too (dlt adds it to JSON rows only by default): the nightly
    # cleanup prunes raw rows by the age of their load.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    return dlt.pipeline(
        pipeline_name=f"crypto_risk_{name}",
        destination=dlt.destinations.postgres(credentials=url.dlt),
        dataset_name=dataset_name,
        dev_mode=dev_mode,
        pipelines_dir=pipelines_dir or str(home_dir() / "dlt"),
    )


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


@contextmanager
def landing(name: str, url: DatabaseUrl, source: DltSource, harvest: Harvest, *,
            pipeline: dlt.Pipeline | None = None) -> Iterator[Harvest]:
    """Extract ``source`` (the network part), yield its ``harvest`` for the curated write, then
    land the raw rows; on any error before the landing, drop the package (cursors unchanged).

    Each run works in a folder of its own (runs of the same pipeline may overlap in time); what
    has to persist between runs, the cursors, lives in the raw dataset itself.
    """
    workdir = None
    if pipeline is None:
        base = home_dir() / "dlt"
        base.mkdir(parents=True, exist_ok=True)
        workdir = tempfile.mkdtemp(prefix=f"{name}-", dir=base)
        pipeline = make_pipeline(name, url, pipelines_dir=workdir)
    try:
        if not pipeline.dev_mode:
            pipeline.sync_destination()
        try:
            pipeline.extract(source)
            yield harvest
        except BaseException as exc:
            pipeline.abort_packages()
            own = _own_error(exc)
            if own is not None and own is not exc:
                raise own from exc
            raise
        normalized = pipeline.normalize()
        harvest.raw_rows = {t: n for t, n in normalized.row_counts.items() if not t.startswith("_dlt")}
        loaded = pipeline.load()
        harvest.load_id = loaded.loads_ids[-1] if loaded.loads_ids else None
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

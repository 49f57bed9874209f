"""Schema migrations (Alembic) and the database status report.

Migrations run under a session advisory lock, so two processes migrating at once (the demo and a
Dagster run, say) take turns instead of racing; migrating an up-to-date database is a no-op.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from warehouse.engine import get_engine
from warehouse.settings import DatabaseUrl

VERSION_TABLE = "crypto_risk_alembic_version"
_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x63727970746F  # "crypto" — any constant shared by every migrating process


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _run(url: DatabaseUrl, action, *args) -> None:
    cfg = alembic_config()
    with get_engine(url).connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        try:
            conn.commit()
            cfg.attributes["connection"] = conn
            action(cfg, *args)
            conn.commit()
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            conn.commit()


def upgrade(url: DatabaseUrl, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    _run(url, command.upgrade, revision)


def downgrade(url: DatabaseUrl, revision: str = "base") -> None:
    """Step the schema back to ``revision`` (default: empty)."""
    _run(url, command.downgrade, revision)


def current_revision(url: DatabaseUrl) -> str | None:
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


@dataclass(frozen=True)
class DatabaseStatus:
    url: str
    server_version: str
    timescale_available: bool
    timescale_enabled: bool
    timescale_version: str | None
    revision: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    def as_dict(self) -> dict:
        return asdict(self) | {"up_to_date": self.up_to_date}


def status(url: DatabaseUrl) -> DatabaseStatus:
    with get_engine(url).connect() as conn:
        version = conn.execute(sa.text("SHOW server_version")).scalar_one()
        available = conn.execute(
            sa.text("SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'")
        ).scalar()
        installed = conn.execute(sa.text("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")).scalar()
    return DatabaseStatus(
        url=url.redacted(),
        server_version=version,
        timescale_available=available is not None,
        timescale_enabled=installed is not None,
        timescale_version=installed,
        revision=current_revision(url),
        head=head_revision(),
    )

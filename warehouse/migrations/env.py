"""Alembic environment: run online against the connection ``warehouse.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from warehouse.migrate import VERSION_TABLE
from warehouse.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `crypto-risk db migrate` (warehouse.migrate.upgrade)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()

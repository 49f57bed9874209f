"""``crypto-risk serve [--host] [--port] [--workers]``: the API under uvicorn.

Settings are checked here first, so a bad environment is a clear CLI message rather than a worker
crash; each worker process then builds its own app (its own pool and outbox listener) with
``create_app()``.
"""

from __future__ import annotations

import os
import secrets

import click

from serving.settings import JWT_SECRET_ENV, ServingSettings
from warehouse import embedded, migrate
from warehouse.settings import DATABASE_URL_ENV, ConfigError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the REST API, /ws, /health, /metrics and the OpenAPI docs at /schema."""
    import uvicorn

    try:
        url = embedded.resolve_url()
        ServingSettings.from_env(url)
    except (ConfigError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    if migrate.current_revision(url) != migrate.head_revision():
        raise click.ClickException("the database schema is not up to date: run `crypto-risk db migrate` first")
    # Workers resolve the same database without starting anything, and share one signing key
    # (development without CRYPTO_RISK_JWT_SECRET: a key for this run only).
    os.environ[DATABASE_URL_ENV] = url.url
    os.environ.setdefault(JWT_SECRET_ENV, secrets.token_urlsafe(32))
    click.echo(f"serving on http://{host}:{port} (API docs at /schema, {workers} worker(s))")
    uvicorn.run(
        "serving.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Named rather than "auto", so a missing uvloop/httptools is an error, not a silent slowdown
        # (both come with uvicorn[standard]); websockets' sans-I/O implementation has the cheapest
        # send path of uvicorn's three.
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        # Events are small JSON; compressing each one per connection costs more CPU on fan-out
        # than it saves bandwidth.
        ws_per_message_deflate=False,
    )

"""``create_app()``: the one way to build the API (STYLE.md 10).

Settings are read from the environment when this runs (tests set the environment, or pass
``ServingSettings``, before building the app). The app owns one engine pool, one outbox listener
(the hub) and one response cache per process; ``/`` is left for the dashboard.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio.to_thread
from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from serving.auth.revocations import Revocations
from serving.auth.tokens import PUBLIC, AuthUser, build_jwt_auth
from serving.cache import (
    INVALIDATING_CHANNELS,
    STORE_NAME,
    USER_CHANNELS,
    CountingStore,
    FreshAfterWrites,
    Generations,
)
from serving.controllers.alerts import AlertController
from serving.controllers.assets import AssetController
from serving.controllers.auth import AuthController, MeController
from serving.controllers.health import HealthController
from serving.controllers.holdings import HoldingController
from serving.controllers.market import MarketController
from serving.controllers.portfolio_risk import PortfolioRiskController
from serving.controllers.portfolios import PortfolioController
from serving.controllers.reports import ReportController
from serving.controllers.settings import SettingsController
from serving.controllers.wallets import WalletController
from serving.dashboard import dashboard_router
from serving.db import Db
from serving.errors import EXCEPTION_HANDLERS
from serving.pagination import provide_paging
from serving.runtime import tuned_gc
from serving.settings import ServingSettings
from serving.streams.hub import Hub
from serving.streams.ws import stream
from warehouse.engine import get_engine
from warehouse.outbox import OutboxEvent
from warehouse.queries import users
from warehouse.timescale import warn_once_if_disabled

API_PREFIX = "/api/v1"


class MetricsController(PrometheusController):
    """``/metrics``: Prometheus text (request latency, WebSocket connections, events, cache)."""

    opt = PUBLIC
    include_in_schema = False


def _user_id(request: Request[AuthUser, object, State]) -> int:
    return request.user.id


def create_app(settings: ServingSettings | None = None) -> Litestar:
    settings = settings or ServingSettings.from_env()
    engine = get_engine(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)
    db = Db(engine)
    hub = Hub(db, settings.database_url, heartbeat=settings.ws_heartbeat_seconds)
    cache = CountingStore()
    jwt_auth = build_jwt_auth(settings.jwt_secret, settings.access_token_seconds, exclude=["^/schema", "^/$"])

    generations = Generations()

    async def invalidate(events: list[OutboxEvent]) -> None:
        if any(e.channel in INVALIDATING_CHANNELS and e.user_id is None for e in events):
            await cache.invalidate()
        for event in events:
            if event.channel in USER_CHANNELS:
                generations.bump(event.user_id)

    hub.listeners.append(invalidate)
    revocations = Revocations(settings.access_token_seconds, on_revoke=hub.end_sessions)
    hub.listeners.append(revocations.apply)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(_check_timescale, engine)
        await hub.start()
        # After the hub listens (it brings every later revocation): those committed before.
        since = timedelta(seconds=revocations.keep)
        for sids, revoked_at in await db.run(users.revoked_families, since):
            revocations.add(sids, revoked_at)
        try:
            with tuned_gc():
                yield
        finally:
            await hub.stop()

    api = Router(
        API_PREFIX,
        route_handlers=[
            AuthController,
            MeController,
            PortfolioController,
            HoldingController,
            WalletController,
            PortfolioRiskController,
            ReportController,
            AssetController,
            MarketController,
            AlertController,
            SettingsController,
        ],
        middleware=[FreshAfterWrites],
        dependencies={
            "user_id": Provide(_user_id, sync_to_thread=False),
            "paging": Provide(provide_paging, sync_to_thread=False),
        },
    )
    return Litestar(
        route_handlers=[api, HealthController, MetricsController, stream, dashboard_router()],
        dependencies={
            "db": Provide(lambda: db, use_cache=True, sync_to_thread=False),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        },
        on_app_init=[jwt_auth.on_app_init],
        openapi_config=OpenAPIConfig(
            title="crypto-risk API",
            version="1",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(), ScalarRenderPlugin(path="/scalar")],
        ),
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        request_max_body_size=settings.max_body_bytes,
        exception_handlers=EXCEPTION_HANDLERS,
        response_cache_config=ResponseCacheConfig(
            default_expiration=max(1, round(settings.cache_ttl_seconds)), store=STORE_NAME
        ),
        stores={STORE_NAME: cache},
        # HTTP only: a WebSocket's "request latency" would be its whole lifetime, and wrapping every
        # event sent to every client costs CPU on fan-out (/ws has its own metrics).
        middleware=[
            PrometheusConfig(
                app_name="crypto_risk", prefix="crypto_risk", group_path=True, scopes={ScopeType.HTTP}
            ).middleware
        ],
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "hub": hub,
                "jwt_auth": jwt_auth,
                "revocations": revocations,
                "db": db,
                "cache": cache,
                "generations": generations,
            }
        ),
    )


def _check_timescale(engine) -> None:
    with engine.connect() as conn:
        warn_once_if_disabled(conn)

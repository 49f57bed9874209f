"""``/api/v1/settings``: the user's risk tolerance, base currency, alert channels and limits."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, put

from serving.db import Db
from serving.schemas.alerts import SettingsIn, SettingsOut
from warehouse.queries import alerts


class SettingsController(Controller):
    path = "/settings"
    tags = ["settings"]

    @get("/")
    async def get_settings(self, db: Db, user_id: int) -> SettingsOut:
        """The saved settings, or the defaults."""
        return msgspec.convert(await db.run(alerts.get_settings, user_id), SettingsOut)

    @put("/")
    async def put_settings(self, db: Db, user_id: int, data: SettingsIn) -> SettingsOut:
        """Replace all settings (omitted fields take their defaults)."""
        return msgspec.convert(await db.run(alerts.put_settings, user_id, msgspec.structs.asdict(data)), SettingsOut)

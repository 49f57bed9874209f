"""``/api/v1/settings``: the user's risk tolerance, base currency, alert channels and limits."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, put
from litestar.params import JSONBody

from serving.deps import DB, UserId
from serving.schemas.alerts import SettingsIn, SettingsOut
from warehouse.queries import alerts


class SettingsController(Controller):
    path = "/settings"
    tags = ["settings"]

    @get("/")
    async def get_settings(self, db: DB, user_id: UserId) -> SettingsOut:
        """The saved settings, or the defaults."""
        return msgspec.convert(await db.run(alerts.get_settings, user_id), SettingsOut)

    @put("/")
    async def put_settings(self, db: DB, user_id: UserId, data: JSONBody[SettingsIn]) -> SettingsOut:
        """Replace all settings (omitted fields take their defaults)."""
        return msgspec.convert(await db.run(alerts.put_settings, user_id, msgspec.structs.asdict(data)), SettingsOut)

"""``/api/v1/alerts``: the user's alert rules, the alerts raised for them, acknowledgement."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, FromQuery, JSONBody

from serving.deps import DB, Pages, UserId
from serving.errors import found
from serving.pagination import to_page
from serving.schemas.alerts import AlertOut, AlertRuleIn, AlertRuleOut, AlertRulePatch
from warehouse.queries import alerts


class AlertController(Controller):
    path = "/alerts"
    tags = ["alerts"]

    @get("/")
    async def list_alerts(
        self, db: DB, user_id: UserId, paging: Pages, acknowledged: FromQuery[bool | None] = None
    ) -> OffsetPagination[AlertOut]:
        """The user's alerts, newest first; ``acknowledged`` filters by state."""
        page = await db.run(
            alerts.list_alerts, user_id, acknowledged=acknowledged, limit=paging.limit, offset=paging.offset
        )
        return to_page(page, paging, AlertOut)

    @post("/{alert_id:int}/ack", status_code=200)
    async def acknowledge(self, db: DB, user_id: UserId, alert_id: FromPath[int]) -> AlertOut:
        return found(await db.run(alerts.acknowledge, user_id, alert_id), "alert", AlertOut)

    @get("/rules")
    async def list_rules(self, db: DB, user_id: UserId, paging: Pages) -> OffsetPagination[AlertRuleOut]:
        return to_page(
            await db.run(alerts.list_rules, user_id, limit=paging.limit, offset=paging.offset),
            paging,
            AlertRuleOut,
        )

    @post("/rules")
    async def create_rule(self, db: DB, user_id: UserId, data: JSONBody[AlertRuleIn]) -> AlertRuleOut:
        """422 when the portfolio is not the user's or the symbol is unknown."""
        return msgspec.convert(await db.run(alerts.create_rule, user_id, msgspec.structs.asdict(data)), AlertRuleOut)

    @get("/rules/{rule_id:int}")
    async def get_rule(self, db: DB, user_id: UserId, rule_id: FromPath[int]) -> AlertRuleOut:
        return found(await db.run(alerts.get_rule, user_id, rule_id), "alert rule", AlertRuleOut)

    @patch("/rules/{rule_id:int}")
    async def update_rule(
        self, db: DB, user_id: UserId, rule_id: FromPath[int], data: JSONBody[AlertRulePatch]
    ) -> AlertRuleOut:
        row = await db.run(alerts.update_rule, user_id, rule_id, msgspec.to_builtins(data))
        return found(row, "alert rule", AlertRuleOut)

    @delete("/rules/{rule_id:int}")
    async def delete_rule(self, db: DB, user_id: UserId, rule_id: FromPath[int]) -> None:
        found(await db.run(alerts.delete_rule, user_id, rule_id), "alert rule")

"""``/api/v1/portfolios/{portfolio_id}/reports``: the weekly reports of a portfolio, listed and
downloaded (HTML; PDF when one was rendered)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Response, get
from litestar.pagination import OffsetPagination
from litestar.params import FromPath, FromQuery

from serving.deps import DB, Pages, UserId
from serving.errors import found
from serving.pagination import to_page
from serving.schemas.reports import ReportOut
from warehouse.queries import reports

# A report is a static page: inline styles and SVG, nothing else may load or run.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


class ReportController(Controller):
    path = "/portfolios/{portfolio_id:int}/reports"
    tags = ["reports"]

    @get("/")
    async def list_reports(
        self, db: DB, user_id: UserId, portfolio_id: FromPath[int], paging: Pages
    ) -> OffsetPagination[ReportOut]:
        """Newest week first."""
        page = await db.run(reports.list_reports, user_id, portfolio_id, limit=paging.limit, offset=paging.offset)
        return to_page(found(page, "portfolio"), paging, ReportOut)

    @get("/{report_id:int}", media_type="text/html")
    async def download(
        self,
        db: DB,
        user_id: UserId,
        portfolio_id: FromPath[int],
        report_id: FromPath[int],
        format: FromQuery[Literal["html", "pdf"]] = "html",
    ) -> Response[bytes]:
        """The report as a self-contained HTML page (``?format=pdf`` for the PDF, 404 if none)."""
        row = found(await db.run(reports.get_report, user_id, portfolio_id, report_id), "report")
        name = f"crypto-risk-report-{row['period_end']}"
        if format == "pdf":
            pdf = found(row["pdf"], "PDF of this report")
            return Response(
                bytes(pdf),
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
            )
        return Response(
            row["html"].encode(),
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{name}.html"', "Content-Security-Policy": REPORT_CSP},
        )

"""Weekly reports (the HTML itself is served as ``text/html``, not JSON)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class ReportOut(msgspec.Struct):
    id: int
    portfolio_id: int
    period_start: date
    period_end: date
    created_at: datetime
    has_pdf: bool

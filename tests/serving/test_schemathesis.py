"""Property-based run over the OpenAPI schema at /schema: no generated request gets a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from serving.app import create_app
from serving.settings import ServingSettings
from tests.conftest import _fresh
from tests.serving.conftest import SECRET, make_user, start_server, stop_server


@pytest.fixture(scope="module")
def api(pg_server) -> Iterator[tuple[str, dict[str, str]]]:
    for url in _fresh(pg_server, timescale=False):
        live, server, thread = start_server(create_app(ServingSettings(database_url=url, jwt_secret=SECRET)))
        try:
            with httpx.Client(base_url=live.base) as http:
                user = make_user(http, "fuzz@example.com")
                # Something real to find, so ids 1 and small symbols hit rows, not only 404s.
                pid = http.post("/api/v1/portfolios", json={"name": "F"}, headers=user.headers).json()["id"]
                http.post(
                    f"/api/v1/portfolios/{pid}/holdings", json={"symbol": "BTC", "quantity": 1}, headers=user.headers
                )
            yield live.base, user.headers
        finally:
            stop_server(server, thread)


def test_no_server_errors(api):
    base, headers = api
    schema = schemathesis.openapi.from_url(base + "/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    failures, statuses = [], []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def run(case) -> None:
            response = case.call_and_validate(base_url=base, headers=headers, checks=[not_a_server_error])
            statuses.append(response.status_code)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The run reached the handlers, not only the validators: successes and client errors both.
    assert len(statuses) > 300 and any(200 <= s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)

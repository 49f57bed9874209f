"""The dashboard in a real browser against a real server and database: sign up, add holdings,
see risk appear, receive a pushed price, survive a server restart, acknowledge an alert."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from dagster import materialize

from assets.reports.assets import weekly_reports
from tests.assets.conftest import make_resources
from tests.support import warehouse_rows
from warehouse.engine import transaction

EMAIL, PASSWORD = "investor@example.com", "a long enough password"
HOLDINGS = {"BTC": "0.8", "ETH": "6", "SOL": "120", "USDC": "5000"}


def _ids(db_url) -> tuple[int, int]:
    with transaction(db_url) as conn:
        return conn.execute(
            sa.text("SELECT u.id, p.id FROM users u JOIN portfolios p ON p.user_id = u.id WHERE u.email = :e"),
            {"e": EMAIL},
        ).one()


def _expected_value(prices: dict, overrides: dict[str, float]) -> float:
    latest = {s: overrides.get(s, series[-1][1]) for s, series in prices.items()}
    return sum(float(Decimal(q)) * latest[s] for s, q in HOLDINGS.items())


def _wait_value(page, expected: float) -> None:
    page.wait_for_function(
        "x => { const el = document.querySelector('#total-value'); return el && Math.abs(Number(el.dataset.value) - x) < 0.01 }",
        arg=expected,
    )


def _shot(page, path) -> None:
    """A full-page screenshot without the toasts that happen to be up."""
    page.evaluate("document.getElementById('toasts').replaceChildren(); scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


def _sign_up_with_keyboard(page, base: str) -> None:
    page.goto(base + "/")
    page.wait_for_selector("form[aria-label='Log in']")
    page.get_by_role("button", name="Sign up").click()
    page.keyboard.type(EMAIL)  # the form focuses its first field
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=No portfolio yet")


def _add_holding(page, symbol: str, quantity: str) -> None:
    page.fill("#holding-symbol", symbol)
    page.fill("#holding-quantity", quantity)
    page.press("#holding-quantity", "Enter")


def test_investor_journey(page, server, db_url, screenshots):
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    prices = warehouse_rows.seed_market(db_url, yesterday)
    base = server.base

    page.goto(base + "/")
    page.wait_for_selector("form[aria-label='Log in']")
    assert not page.is_visible("nav") and not page.is_visible("#logout")  # nothing to navigate before signing in
    page.screenshot(path=screenshots / "login.png")
    _sign_up_with_keyboard(page, base)
    page.wait_for_selector("#conn[data-state='live']")

    # Portfolio and holdings, through the forms.
    page.click("nav >> text=Portfolios")
    page.fill("#new-portfolio-name", "Long-term")
    page.click("form[aria-label='Create portfolio'] button")
    page.wait_for_selector("h1:has-text('Portfolios · Long-term')")
    for symbol, quantity in HOLDINGS.items():
        _add_holding(page, symbol, quantity)
        page.wait_for_selector(f"#holdings tr[data-symbol='{symbol}']:not(.pending)")

    # An optimistic add the API refuses is rolled back, visibly.
    _add_holding(page, "NOPE", "1")
    page.wait_for_selector(".toast:has-text('Add NOPE refused — change rolled back')")
    page.wait_for_selector("#holdings tr[data-symbol='NOPE']", state="detached")

    # A CSV with bad rows is refused whole, with the error of each row.
    page.fill("#csv-text", "symbol,quantity\nBTC,abc\nETH,2\nDOGE,-1\n")
    page.click("#csv-import")
    page.wait_for_selector("#import-report table")
    report_rows = page.locator("#import-report tbody tr")
    assert report_rows.count() == 2
    assert {report_rows.nth(i).locator("td").first.inner_text() for i in range(2)} == {"2", "4"}
    # An edit the API refuses is rolled back too; a wallet links.
    page.once("dialog", lambda dialog: dialog.accept("-1"))
    page.click("button[aria-label='Edit BTC quantity']")
    page.wait_for_selector(".toast:has-text('Edit BTC refused — change rolled back')")
    assert page.inner_text("#holdings tr[data-symbol='BTC'] .qty") == "0.8"
    page.fill("#wallet-address", "0x" + "ab" * 20)
    page.fill("#wallet-label", "cold storage")
    page.click("form[aria-label='Link wallet'] button")
    page.wait_for_selector("tr:has(td:has-text('cold storage')) button:has-text('Unlink')")
    _shot(page, screenshots / "portfolios.png")

    # Overview before the risk assets ran: value yes, risk score honestly absent.
    page.click("nav >> text=Overview")
    _wait_value(page, _expected_value(prices, {}))
    assert page.inner_text("#risk-score") == "—"

    # Dagster computes the risk: the page shows it without a reload.
    user_id, portfolio_id = _ids(db_url)
    holdings = {s: float(q) for s, q in HOLDINGS.items()}
    score = warehouse_rows.write_risk(db_url, prices, portfolio_id, user_id, holdings, days=120)
    page.wait_for_selector(f"#risk-score:has-text('{score:.1f} / 10')")

    # A pushed price moves the portfolio value.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    btc = prices["BTC"][-1][1] * 1.05
    warehouse_rows.push_price(db_url, "BTC", btc, now)
    _wait_value(page, _expected_value(prices, {"BTC": btc}))
    _shot(page, screenshots / "overview.png")

    # The server restarts; a price published meanwhile arrives after the reconnect (since=seq).
    page.console.outage = True
    server.stop()
    page.wait_for_selector("#conn[data-state='reconnecting']")
    btc2 = btc * 0.9
    warehouse_rows.push_price(db_url, "BTC", btc2, now + dt.timedelta(seconds=1))
    server.start()
    page.wait_for_selector("#conn[data-state='live']", timeout=45_000)
    _wait_value(page, _expected_value(prices, {"BTC": btc2}))
    page.console.outage = False

    # An alert arrives as a toast and is acknowledged from the list.
    title = "VaR above your 5% limit"
    alert_id = warehouse_rows.raise_alert(db_url, user_id, portfolio_id, title)
    page.wait_for_selector(f".toast:has-text('{title}')")
    page.wait_for_selector("#alert-count:has-text('1')")
    page.click("nav >> text=Alerts")
    page.wait_for_selector(f"#alert-list li[data-alert='{alert_id}']")
    # A rule set from the same page (what the risk sensor evaluates).
    page.select_option("#rule-kind", "var_breach")
    page.fill("#rule-threshold", "0.05")
    page.click("form[aria-label='New alert rule'] button")
    page.wait_for_selector("td:has-text('1-day VaR 95% above')")
    with transaction(db_url) as conn:
        rule = conn.execute(sa.text("SELECT kind, threshold, portfolio_id FROM alert_rules")).one()
    assert tuple(rule) == ("var_breach", 0.05, portfolio_id)
    page.screenshot(path=screenshots / "alerts.png", full_page=True)
    page.click(f"button[aria-label='Acknowledge {title}']")
    page.wait_for_selector(f"#alert-list li[data-alert='{alert_id}']", state="detached")
    with transaction(db_url) as conn:
        acked = conn.execute(sa.text("SELECT acknowledged_at FROM alerts WHERE id = :i"), {"i": alert_id}).scalar()
    assert acked is not None
    page.wait_for_selector("#alert-count", state="hidden")

    # Every other main view renders its data.
    page.click("nav >> text=Risk")
    for selector in ("#metrics", "#correlation", "#contributions", "#backtest", "#stress"):
        page.wait_for_selector(selector)
    assert page.locator("#metrics tr[data-metric='var_95'] td").nth(3).inner_text() == "365d"
    page.wait_for_timeout(500)  # charts draw on the next frame
    _shot(page, screenshots / "risk.png")

    page.click("nav >> text=Insights")
    page.wait_for_selector("#insights li")
    page.click("#insights summary")
    page.wait_for_selector("#insights .facts li:has-text('largest_holding')")
    _shot(page, screenshots / "insights.png")

    page.click("nav >> text=Market")
    page.wait_for_selector("#top-assets tbody tr")
    assert page.is_visible("#sim-badge")  # simulated prices are labelled as such
    assert "BTC" in page.inner_text("#asset-index")
    _shot(page, screenshots / "market.png")

    page.click("#top-assets >> text=ETH")
    page.wait_for_selector("h1:has-text('Ethereum (ETH)')")
    page.click("text=1h · 7 days")
    page.wait_for_selector("h2:has-text('1h candles')")
    page.wait_for_timeout(500)
    _shot(page, screenshots / "asset.png")

    # Monday's report run (the Dagster asset itself) announces the report; the toast links to it.
    today = dt.datetime.now(dt.UTC).date()
    last_week = today - dt.timedelta(days=today.weekday() + 7)
    run = materialize([weekly_reports], partition_key=last_week.isoformat(), resources=make_resources(db_url))
    assert run.success
    page.click(".toast:has-text('Weekly report ready') >> text=Open reports")
    page.wait_for_selector("#reports tbody tr")
    with page.context.expect_page() as opened:
        page.click("#reports >> text=Open")
    report = opened.value
    report.wait_for_load_state()
    assert "weekly risk report" in report.title()
    report.screenshot(path=screenshots / "report.png", full_page=True)
    report.close()
    _shot(page, screenshots / "reports.png")

    # Logging out ends the session and the stream.
    page.click("#logout")
    page.wait_for_selector("form[aria-label='Log in']")
    assert not page.is_visible("nav") and page.evaluate("localStorage.getItem('crypto-risk.tokens')") is None

    # The browser logs the three refusals above (NOPE, the bad CSV, the negative quantity) as
    # failed loads; nothing else, and no Content-Security-Policy violation.
    refused = [e for e in page.console.errors if re.search(r"status of 4(00|22)", e)]
    assert len(refused) == 3 and [e for e in page.console.errors if e not in refused] == []


def test_dashboard_fits_a_phone_and_keeps_the_shell_offline(browser, server, db_url, screenshots):
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    warehouse_rows.seed_market(db_url, yesterday)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_up_with_keyboard(page, server.base)
        page.click("nav >> text=Market")
        page.wait_for_selector("#top-assets tbody tr")
        # Nothing wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=screenshots / "market-phone.png", full_page=True)

        # The service worker has the shell and the last data: offline, the page still opens.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_function("navigator.serviceWorker.controller !== null")  # claimed on activation
        page.reload()
        page.wait_for_selector("#top-assets tbody tr")
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#top-assets tbody tr")
        page.wait_for_selector("#conn[data-state='offline']")
        assert "offline copy" in page.inner_text("section[aria-label='Top assets'] .fresh")
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/sw.js", "/manifest.webmanifest", "/static/vendor/chartjs/LICENSE.md"])
def test_dashboard_files_are_public(server, path):
    import httpx

    r = httpx.get(server.base + path)
    assert r.status_code == 200 and r.content

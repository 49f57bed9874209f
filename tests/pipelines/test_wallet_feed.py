"""Etherscan through its dlt source into PostgreSQL: each wallet fetched once per run (balances and
transfers in one pass), block cursors per wallet kept in the raw dataset, balances derived from
the stored history."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from pipelines import loads
from pipelines.etherscan.feed import EtherscanFeed
from tests.pipelines.conftest import fast_policy
from warehouse.engine import get_engine, transaction
from warehouse.queries import batch

WALLET = "0xddbd2b932c763ba5b1b7ae3b362eac3e8d40121a"
TOKENS = "0x4e83362442b8d1bec281594cea3050c8eb01311c"


def _rows(url, sql: str, **params):
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(sql), params).all()


@pytest.fixture
def linked(db_url, tmp_path, monkeypatch):
    """Two portfolios linking the recorded wallets (one wallet in both)."""
    monkeypatch.setenv("CRYPTO_RISK_HOME", str(tmp_path))
    with transaction(db_url) as conn:
        uid, _ = batch.ensure_user(conn, "chain@example.com", "not-a-real-hash")
        a, _ = batch.ensure_portfolio(conn, uid, "A", {"BTC": 1})
        b, _ = batch.ensure_portfolio(conn, uid, "B", {"BTC": 1})
        for pid, address in ((a, WALLET), (a, TOKENS), (b, WALLET)):
            conn.execute(sa.text("INSERT INTO wallets (portfolio_id, address) VALUES (:p, :a)"), {"p": pid, "a": address})
    return a, b


def _feed(server, db_url):
    return EtherscanFeed(db_url, api_key="test-es-key", base_url=server.etherscan_url, policy=fast_policy())


def test_each_wallet_is_fetched_once_per_run(server, db_url, linked, shared_data):
    at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = loads.load_wallets(db_url, _feed(server, db_url), at)
    # One pass per wallet: each history starts once (page 1), however many pages follow, and
    # WALLET, linked to two portfolios, is fetched once.
    starts = {e: sorted(p.get("address") for prov, e2, p, _ in server.requests if e2 == e and p.get("page", "1") == "1")
              for e in ("account/balancemulti", "account/txlist", "account/tokentx")}
    assert starts["account/balancemulti"] == [f"{TOKENS},{WALLET}"]  # both addresses in one call
    assert starts["account/txlist"] == [TOKENS, WALLET]
    assert starts["account/tokentx"] == [TOKENS, WALLET]
    normal = json.loads((shared_data / "api/etherscan/pcko1_log_get_normal_txs_by_address.json").read_text())["res"]
    stored = _rows(db_url, "SELECT count(*) FROM wallet_transactions WHERE address = :w AND kind = 'normal'", w=WALLET)
    assert stored[0][0] == len(normal) and first.transactions > 900
    balances = dict(_rows(db_url, "SELECT token_address, balance FROM wallet_balances WHERE address = :w", w=WALLET))
    assert str(balances[""]) == "40891.626854930000000000"
    # The MKR balance derived from the stored transfers equals the arithmetic of the recorded history.
    mkr = "0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2"
    transfers = json.loads((shared_data / "api/etherscan/pcko1_log_get_erc20_token_transfer_events_by_address.json")
                           .read_text())["res"]
    expected = sum(int(t["value"]) * (1 if t["to"] == TOKENS else -1) for t in transfers if t["contractAddress"] == mkr)
    derived = _rows(db_url, "SELECT balance FROM wallet_balances WHERE address = :w AND token_address = :t", w=TOKENS, t=mkr)
    assert derived[0][0] * 10**18 == expected
    assert sorted(first.portfolios) == sorted((p, first.portfolios[0][1]) for p in linked)
    events = _rows(db_url, "SELECT count(*) FROM event_outbox WHERE channel = 'portfolio_updates'")[0][0]
    assert events == 2
    tokentx = json.loads((shared_data / "api/etherscan/pcko1_log_get_erc20_token_transfer_events_by_address.json")
                         .read_text())["res"]
    assert _rows(db_url, "SELECT count(*) FROM raw.etherscan_transactions WHERE _dlt_load_id = :l",
                 l=first.load_id)[0][0] == len(normal) + len(tokentx)  # every row as sent


def test_the_next_run_asks_from_the_last_loaded_block(server, db_url, linked, shared_data):
    loads.load_wallets(db_url, _feed(server, db_url), dt.datetime.now(dt.UTC).replace(microsecond=0))
    # A new feed and a new working folder: the cursor comes back from the raw dataset.
    second = loads.load_wallets(db_url, _feed(server, db_url), dt.datetime.now(dt.UTC).replace(microsecond=0))
    normal = json.loads((shared_data / "api/etherscan/pcko1_log_get_normal_txs_by_address.json").read_text())["res"]
    asked = [int(p["startblock"]) for prov, e, p, _ in server.requests if e == "account/txlist" and p["address"] == WALLET]
    assert asked == [0, max(int(t["blockNumber"]) for t in normal)]
    assert second.transactions == 0


def test_a_failed_run_keeps_the_cursor(server, db_url, linked):
    server.fault("etherscan", "account/tokentx", "file:etherscan/error_invalid_api_key.json")
    with pytest.raises(Exception, match="Invalid API Key"):
        loads.load_wallets(db_url, _feed(server, db_url), dt.datetime.now(dt.UTC).replace(microsecond=0))
    assert _rows(db_url, "SELECT count(*) FROM wallet_transactions")[0][0] == 0
    loads.load_wallets(db_url, _feed(server, db_url), dt.datetime.now(dt.UTC).replace(microsecond=0))
    asked = [int(p["startblock"]) for prov, e, p, _ in server.requests if e == "account/txlist" and p["address"] == WALLET]
    assert asked[-1] == 0  # the failed run's cursor never landed

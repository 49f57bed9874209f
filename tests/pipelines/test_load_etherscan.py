"""Etherscan end to end: wallets' histories and balances into PostgreSQL, block cursors per wallet."""

from __future__ import annotations

import json

import sqlalchemy as sa

from pipelines import etherscan as es_source
from pipelines import raw
from warehouse.engine import get_engine

WALLET = "0xddbd2b932c763ba5b1b7ae3b362eac3e8d40121a"
TOKENS = "0x4e83362442b8d1bec281594cea3050c8eb01311c"


def _rows(url, sql: str):
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(sql)).all()


def test_wallets_load_incrementally(etherscan, server, db_url, tmp_path, shared_data):
    pipeline = raw.make_pipeline("etherscan", db_url, dev_mode=True, pipelines_dir=str(tmp_path))
    source = es_source.etherscan_source(etherscan, [WALLET, TOKENS])
    first = raw.run("etherscan", pipeline, source, db_url, es_source.curate)
    normal = json.loads((shared_data / "api/etherscan/pcko1_log_get_normal_txs_by_address.json").read_text())["res"]
    stored = _rows(db_url, f"SELECT count(*) FROM wallet_transactions WHERE address = '{WALLET}' AND kind = 'normal'")
    assert stored[0][0] == len(normal)
    balances = dict(_rows(db_url, f"SELECT token_address, balance FROM wallet_balances WHERE address = '{WALLET}'"))
    assert str(balances[""]) == "40891.626854930000000000"
    # The MKR balance derived from the stored transfers equals the on-chain arithmetic of the recorded history.
    mkr = "0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2"
    transfers = json.loads((shared_data / "api/etherscan/pcko1_log_get_erc20_token_transfer_events_by_address.json").read_text())["res"]
    expected = sum(int(t["value"]) * (1 if t["to"] == TOKENS else -1) for t in transfers if t["contractAddress"] == mkr)
    derived = _rows(db_url, f"SELECT balance FROM wallet_balances WHERE address = '{TOKENS}' AND token_address = '{mkr}'")
    assert derived[0][0] * 10**18 == expected
    assert first.rows("wallet_transactions") > 900

    etherscan.http.store = type(etherscan.http.store)()  # cold cache: the provider is really asked again
    second = raw.run("etherscan", pipeline, es_source.etherscan_source(etherscan, [WALLET, TOKENS]), db_url, es_source.curate)
    asked = [int(p["startblock"]) for prov, e, p, _ in server.requests if e == "account/txlist" and p["address"] == WALLET]
    assert asked[-1] == max(int(t["blockNumber"]) for t in normal)  # from the last loaded block on
    assert second.rows("wallet_transactions") == 0

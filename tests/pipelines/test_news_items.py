"""One bad NEWS_SENTIMENT item costs that article only: it is left out with its sentiment rows and
reported with the reason, while the other articles of the recorded feed land."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil

import pytest
import sqlalchemy as sa

from pipelines import alphavantage as av_source
from pipelines.alphavantage import helpers as av
from pipelines.errors import MalformedResponse
from warehouse.engine import get_engine

NEWS = "api/alphavantage/NEWS_SENTIMENT_tickers_COIN_CRYPTO-BTC_FOREX-USD_2024-05.json"


@pytest.fixture
def recorded(shared_data) -> dict:
    return json.loads((shared_data / NEWS).read_bytes())


def _crypto_rows(item: dict) -> int:
    return sum(1 for t in item["ticker_sentiment"] if t["ticker"].startswith("CRYPTO:"))


def test_a_non_http_url_skips_that_article_only(recorded):
    body = copy.deepcopy(recorded)
    bad = body["feed"][3]
    bad["url"] = "javascript:alert(1)"
    news = av.parse_news(body)
    articles, sentiment = news  # still unpacks as before
    assert articles.height == len(recorded["feed"]) - 1
    assert bad["url"] not in articles.get_column("url").to_list()
    assert sentiment.height == sum(_crypto_rows(i) for i in recorded["feed"]) - _crypto_rows(bad)
    assert [(k.index, k.url, k.field) for k in news.skipped] == [(3, "javascript:alert(1)", "feed[3].url")]
    assert "https?" in news.skipped[0].reason


@pytest.mark.parametrize("mutate,field,reason", [
    (lambda i: i.pop("title"), "feed[5].title", "missing"),
    (lambda i: i.update(time_published="2024-05-06 20:32"), "feed[5].time_published", "matching regex"),
    (lambda i: i.update(time_published="20241306T203214"), "feed[5].time_published", "not a time"),
    (lambda i: i.update(time_published="29990101T000000"), "feed[5].time_published", "in the future"),
    (lambda i: i.update(overall_sentiment_score=1.5), "feed[5].overall_sentiment_score", "<= 1"),
    (lambda i: i["ticker_sentiment"][0].update(relevance_score="high"), "feed[5].ticker_sentiment[0].relevance_score",
     "Expected `float`"),
    (lambda i: i["ticker_sentiment"].append(dict(i["ticker_sentiment"][-1])), "feed[5].ticker_sentiment[", "listed twice"),
    (lambda i: i["ticker_sentiment"].append({"ticker": "CRYPTO:not a coin", "relevance_score": "0.1",
                                             "ticker_sentiment_score": "0.1"}), "feed[5].ticker_sentiment[", "not a crypto symbol"),
])
def test_each_kind_of_invalid_item_is_skipped_with_its_path(recorded, mutate, field, reason):
    body = copy.deepcopy(recorded)
    mutate(body["feed"][5])
    news = av.parse_news(body)
    assert news.articles.height == len(recorded["feed"]) - 1
    assert [k.index for k in news.skipped] == [5]
    assert news.skipped[0].field.startswith(field) and reason in news.skipped[0].reason
    assert news.skipped[0].url == recorded["feed"][5]["url"]


def test_a_repeated_url_keeps_the_first_copy(recorded):
    body = copy.deepcopy(recorded)
    body["feed"].append(copy.deepcopy(body["feed"][0]))
    news = av.parse_news(body)
    assert news.articles.height == len(recorded["feed"])
    assert [(k.index, k.field, k.reason) for k in news.skipped] == [(len(recorded["feed"]), f"feed[{len(recorded['feed'])}].url", "same URL as feed[0]")]


def test_an_item_that_is_no_object_is_skipped_and_a_body_without_feed_is_refused(recorded):
    body = copy.deepcopy(recorded)
    body["feed"].insert(0, "not an article")
    news = av.parse_news(body)
    assert news.articles.height == len(recorded["feed"])
    assert [(k.index, k.url, k.field) for k in news.skipped] == [(0, None, "feed[0]")]
    with pytest.raises(MalformedResponse, match=r"alphavantage NEWS_SENTIMENT: field 'feed': missing"):
        av.parse_news({k: v for k, v in recorded.items() if k != "feed"})


def test_the_body_bytes_give_the_same_frames_and_skips(recorded):
    body = copy.deepcopy(recorded)
    body["feed"][2]["url"] = "ftp://example.com/a"
    from_objects = av.parse_news(body)
    from_bytes = av.parse_news(json.dumps(body).encode())
    assert from_bytes.articles.equals(from_objects.articles)
    assert from_bytes.sentiment.equals(from_objects.sentiment)
    assert from_bytes.skipped == from_objects.skipped


@pytest.mark.parametrize("mutate", [
    lambda i: i.update(url="javascript:alert(1)"),
    lambda i: i.pop("time_published"),  # the cursor field of the dlt resource
    lambda i: i.pop("url"),  # its primary key
], ids=["url", "no-time", "no-url"])
def test_the_dlt_road_lands_the_good_articles_and_keeps_the_bad_one_raw(shared_data, tmp_path, db_url, mutate,
                                                                     monkeypatch):
    """End to end against the local server, serving the recording with one article broken."""
    monkeypatch.setenv("CRYPTO_RISK_HOME", str(tmp_path))
    from pipelines import loads
    from pipelines.alphavantage.feed import AlphaVantageFeed
    from tests.pipelines.conftest import fast_policy
    from tests.support.provider_server import ProviderServer

    data = tmp_path / "data"
    shutil.copytree(shared_data / "api", data / "api")
    body = json.loads((data / NEWS).read_bytes())
    body["feed"].sort(key=lambda a: a["time_published"])
    good = body["feed"][0]["url"]
    mutate(body["feed"][0])
    (data / "api/alphavantage/broken.json").write_text(json.dumps(body))
    with ProviderServer(data) as srv:
        srv.fault("alphavantage", "NEWS_SENTIMENT", "file:alphavantage/broken.json")
        feed = AlphaVantageFeed(db_url, api_key="test-av-key", base_url=srv.alphavantage_url, policy=fast_policy())
        result = loads.load_news(db_url, feed, ["BTC"], dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
                                 dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    # Raw keeps the answer as sent, but for an item without the table's key; the run names what it left out.
    with get_engine(db_url).connect() as conn:
        raw_rows = conn.execute(sa.text(f"SELECT count(*) FROM raw.{av_source.NEWS_TABLE}")).scalar_one()
    assert raw_rows == len(body["feed"]) - ("url" not in body["feed"][0])
    assert len(result.skipped) == 1
    with get_engine(db_url).connect() as conn:
        urls = conn.execute(sa.text("SELECT url FROM news_articles")).scalars().all()
    assert len(urls) == len(body["feed"]) - 1 and good not in urls and "javascript:alert(1)" not in urls

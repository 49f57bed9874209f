"""Checks on news sentiment: stored scores and relevances stay in their ranges."""

import pandera.polars as pa
import polars as pl
import sqlalchemy as sa
from dagster import AssetCheckResult, asset_check

from assets.checks_support import pandera_result
from assets.resources import WarehouseResource
from assets.sentiment.assets import news_sentiment


class SentimentRows(pa.DataFrameModel):
    article_id: pl.Int64 = pa.Field(gt=0, coerce=True)
    asset_id: pl.Int32 = pa.Field(gt=0, coerce=True)
    relevance: pl.Float64 = pa.Field(ge=0, le=1)
    score: pl.Float64 = pa.Field(ge=-1, le=1)

    class Config:
        unique = ["article_id", "asset_id"]


@asset_check(asset=news_sentiment)
def news_sentiment_valid(warehouse: WarehouseResource) -> AssetCheckResult:
    """The last two days of per-asset sentiment pass the contract."""
    with warehouse.transaction() as conn:
        rows = conn.execute(sa.text(
            "SELECT article_id, asset_id, relevance, score FROM news_sentiment "
            "WHERE published_at > now() - interval '2 days'")).all()
    frame = pl.DataFrame([tuple(r) for r in rows], schema=["article_id", "asset_id", "relevance", "score"],
                         orient="row", infer_schema_length=None)
    return pandera_result(SentimentRows, frame, min_rows=0)

"""Pure risk math: numpy, scipy and polars only (no Dagster, database or web imports)."""

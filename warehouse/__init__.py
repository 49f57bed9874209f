"""The warehouse: schema, migrations, connections, bulk writes, queries and the event outbox.

This package is the bottom layer: it imports neither Dagster, dlt nor Litestar.
"""

"""AI insights: the math decides, the language model explains.

Framework-free modules (the Dagster assets in ``assets.insights.assets`` are thin adapters):

- :mod:`~assets.insights.facts` — the compact fact sheet (ids, values, as-of times) and its hash;
- :mod:`~assets.insights.grounding` — every number in a text must match a cited fact;
- :mod:`~assets.insights.rebalance` — scipy target weights under the user's constraints;
- :mod:`~assets.insights.sentiment` — relevance-weighted news sentiment per asset;
- :mod:`~assets.insights.personalize` — risk-tolerance profiles;
- :mod:`~assets.insights.prompts` — versioned prompts and the answer schema;
- :mod:`~assets.insights.offline` — the deterministic template engine;
- :mod:`~assets.insights.llm` — the OpenAI-compatible client (timeouts, retries, budget);
- :mod:`~assets.insights.engine` — one insight: cache, model, validation, regeneration, fallback;
- :mod:`~assets.insights.sheets` — fact sheets of each insight kind from warehouse rows.
"""

"""The real openai SDK against a local OpenAI-compatible server: structured output, retries,
timeouts, regeneration on ungrounded numbers, offline fallback, token budget and cache."""

from __future__ import annotations

import json

import msgspec
import pytest

from assets.insights import grounding, prompts, sheets
from assets.insights.engine import generate
from assets.insights.llm import ChatModel, LLMSettings, TokenBudget
from assets.insights.prompts import NOTICE, PROMPT_VERSION, decode


def chat(**overrides) -> ChatModel:
    settings = LLMSettings.from_env(**{"timeout_s": 5.0, "max_retries": 2, **overrides})
    assert settings is not None
    return ChatModel(settings)


def test_without_a_key_there_is_no_model(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert LLMSettings.from_env() is None
    assert LLMSettings.from_env({"OPENAI_API_KEY": "  "}) is None
    s = LLMSettings.from_env({"OPENAI_API_KEY": "sk-secret", "CRYPTO_RISK_LLM_MODEL": "m"})
    assert s.model == "m" and s.base_url is None and "sk-secret" not in repr(s)


def test_well_formed_answer_is_stored_with_model_and_tokens(llm_env, risk):
    sheet = sheets.weekly_analysis(risk)
    ins = generate(sheet, chat=chat())
    assert ins.provider == "openai" and ins.model == "local-test-model" and ins.fallback_reason is None
    assert ins.structured["served_model"] == "local-test-model-2025-01-01"
    assert ins.prompt_tokens > 0 and ins.completion_tokens > 0 and ins.prompt_version == PROMPT_VERSION
    assert ins.body.endswith(NOTICE) and ins.structured["grounding"] == {"model_attempts": 1, "rejected": []}
    assert (
        grounding.validate(
            decode(json.dumps({k: ins.structured[k] for k in ("summary", "recommendations")} | {"title": ins.title})),
            sheet,
        )
        == []
    )
    (req,) = llm_env.requests
    assert req["headers"]["authorization"] == f"Bearer {llm_env.api_key}"
    body = req["body"]
    assert body["model"] == "local-test-model"
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True and schema["schema"]["required"] == ["title", "summary", "recommendations"]
    assert schema["schema"]["additionalProperties"] is False
    sent = json.dumps(schema["schema"])
    assert "$ref" not in sent and "maxLength" not in sent  # the subset every strict server accepts
    assert sorted(schema["schema"]["properties"]) == sorted(schema["schema"]["required"])
    claim = schema["schema"]["properties"]["summary"]["items"]
    assert claim["required"] == ["text", "fact_ids"] and claim["additionalProperties"] is False


def test_the_server_refuses_a_non_portable_schema(llm_env):
    from tests.support.openai_server import OpenAIServer

    fmt = {"type": "json_schema", "json_schema": {"name": "insight", "strict": True, "schema": {}}}
    fmt["json_schema"]["schema"] = prompts.answer_schema()
    assert OpenAIServer.schema_problem(fmt) is None
    fmt["json_schema"]["schema"] = msgspec.json.schema(prompts.Draft)  # msgspec's own form: $ref at the root
    assert "$ref" in OpenAIServer.schema_problem(fmt)


def test_limits_the_schema_leaves_out_are_enforced_on_decode():
    claim = {"text": "x", "fact_ids": ["a"]}
    with pytest.raises(msgspec.ValidationError, match="summary"):
        decode(json.dumps({"title": "t", "summary": [claim] * 9, "recommendations": []}))
    with pytest.raises(msgspec.ValidationError, match="title"):
        decode(json.dumps({"title": "t" * 200, "summary": [claim], "recommendations": []}))


def test_ungrounded_answer_is_regenerated_once_then_offline(llm_env, risk):
    llm_env.default = "ungrounded"
    sheet = sheets.weekly_analysis(risk)
    ins = generate(sheet, chat=chat())
    assert llm_env.calls() == 2
    retry = llm_env.requests[1]["body"]["messages"][-1]["content"]
    assert "rejected by the grounding validator" in retry and "987.65" in retry
    assert ins.provider == "offline" and ins.fallback_reason.startswith("ungrounded numbers after one regeneration")
    assert "987.65" not in ins.body and "987.65" not in json.dumps(ins.structured["summary"])
    assert ins.structured["grounding"]["model_attempts"] == 2 and ins.structured["grounding"]["rejected"]
    assert ins.prompt_tokens > 0  # the failed attempts' cost is recorded on the row
    assert ins.body == generate(sheet, chat=None).body


def test_ungrounded_then_grounded_keeps_the_second_answer(llm_env, risk):
    llm_env.script("ungrounded", "ok")
    ins = generate(sheets.weekly_analysis(risk), chat=chat())
    assert ins.provider == "openai" and llm_env.calls() == 2
    assert ins.structured["grounding"]["model_attempts"] == 2 and len(ins.structured["grounding"]["rejected"]) >= 1


@pytest.mark.parametrize(
    ("behaviour", "reason"), [("off_schema", "off-schema answer"), ("not_json", "off-schema answer")]
)
def test_off_schema_answer_goes_offline_for_the_item(llm_env, risk, behaviour, reason):
    llm_env.default = behaviour
    ins = generate(sheets.weekly_analysis(risk), chat=chat())
    assert llm_env.calls() == 1
    assert ins.provider == "offline" and ins.fallback_reason.startswith(reason)
    assert set(ins.structured) >= {"summary", "recommendations", "notice"}


@pytest.mark.parametrize("status", ["429", "500"])
def test_rate_limit_and_server_errors_are_retried_with_backoff(llm_env, risk, status):
    llm_env.script(status, status)
    ins = generate(sheets.weekly_analysis(risk), chat=chat(max_retries=2))
    assert llm_env.calls() == 3 and ins.provider == "openai"


def test_persistent_429_falls_back_offline(llm_env, risk):
    llm_env.default = "429"
    ins = generate(sheets.weekly_analysis(risk), chat=chat(max_retries=1))
    assert llm_env.calls() == 2
    assert (
        ins.provider == "offline"
        and ins.fallback_reason == "model call failed: rate limited (HTTP 429) after 1 retries"
    )


def test_slow_answer_times_out_and_falls_back(llm_env, risk):
    llm_env.default = "slow"
    llm_env.slow_delay_s = 2.0
    ins = generate(sheets.weekly_analysis(risk), chat=chat(timeout_s=0.3, max_retries=1))
    assert llm_env.calls() == 2
    assert ins.provider == "offline" and ins.fallback_reason.startswith("model call failed: timed out after 0.3s")


def test_token_budget_stops_calls_for_the_rest_of_the_run(llm_env, risk, settings):
    budget = TokenBudget(limit=50)
    first = generate(sheets.weekly_analysis(risk), chat=chat(), budget=budget)
    assert first.provider == "openai" and budget.used > 50
    second = generate(sheets.risk_alert_explanation(risk, []), chat=chat(), budget=budget)
    assert llm_env.calls() == 1
    assert second.provider == "offline" and "token budget of 50" in second.fallback_reason
    capped = llm_env.requests[0]["body"]["max_completion_tokens"]
    assert capped == 50


def test_cache_by_fact_sheet_hash_costs_no_call(llm_env, risk):
    store: dict[tuple, dict] = {}

    def cached(kind, facts_hash, prompt_version, model):
        return store.get((kind, facts_hash, prompt_version, model))

    sheet = sheets.weekly_analysis(risk)
    first = generate(sheet, chat=chat(), cached=cached)
    store[(sheet.kind, first.facts_hash, first.prompt_version, first.model)] = {
        "id": 41,
        "title": first.title,
        "body": first.body,
        "structured": first.structured,
        "model": first.model,
    }
    again = generate(sheets.weekly_analysis(dict(risk)), chat=chat(), cached=cached)
    assert llm_env.calls() == 1
    assert again.body == first.body and again.prompt_tokens == 0 and again.structured["cache"]["insight_id"] == 41
    changed = generate(sheets.weekly_analysis({**risk, "risk_score": 9.99}), chat=chat(), cached=cached)
    assert llm_env.calls() == 2 and changed.facts_hash != first.facts_hash

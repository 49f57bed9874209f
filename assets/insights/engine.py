"""One insight from one fact sheet: cache, model, validation, one regeneration, offline fallback.

1. No model configured: the offline engine writes it (``provider='offline'``).
2. A stored model answer for the same sheet hash, kind, prompt version and model: reused, no call.
3. The model answers; an answer that fails (error after the SDK's retries, off-schema) goes to the
   offline engine for this item, with ``fallback_reason`` saying why.
4. An answer with an ungrounded number is never kept: the model gets one more try with the
   validator's findings, then the offline engine takes over.

The result is an :class:`Insight`, the ``ai_insights`` row minus ids and as-of.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from assets.insights import grounding, offline, prompts
from assets.insights.facts import FactSheet
from assets.insights.llm import ChatModel, LLMError, TokenBudget
from assets.insights.prompts import NOTICE, PROMPT_VERSION, Draft

#: Looks up a stored model answer: (kind, facts_hash, prompt_version, model) -> row or None.
CacheLookup = Callable[[str, str, str, str], Mapping[str, Any] | None]

#: Grounding problems kept on a row (the first few say enough).
_MAX_PROBLEMS = 5


@dataclass(frozen=True)
class Insight:
    """An ``ai_insights`` row's content (see ``warehouse.models.ai_insights``)."""

    kind: str
    title: str
    body: str
    structured: dict[str, Any]
    facts: dict[str, Any]
    facts_hash: str
    provider: str
    model: str | None
    prompt_version: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    fallback_reason: str | None = None

    def row(self, *, user_id: int | None, portfolio_id: int | None, as_of) -> dict[str, Any]:
        return {
            "user_id": user_id,
            "portfolio_id": portfolio_id,
            "kind": self.kind,
            "as_of": as_of,
            "title": self.title,
            "body": self.body,
            "structured": self.structured,
            "facts": self.facts,
            "facts_hash": self.facts_hash,
            "provider": self.provider,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "fallback_reason": self.fallback_reason,
        }


def render(draft: Draft) -> str:
    """The body a reader sees: summary, recommendations, the not-financial-advice notice."""
    parts = [" ".join(c.text.strip() for c in draft.summary)]
    if draft.recommendations:
        parts.append("Recommendations:\n" + "\n".join(f"- {c.text.strip()}" for c in draft.recommendations))
    parts.append(NOTICE)
    return "\n\n".join(p for p in parts if p)


def _claims(claims) -> list[dict[str, Any]]:
    return [{"text": c.text, "fact_ids": list(c.fact_ids)} for c in claims]


def _insight(
    sheet: FactSheet,
    draft: Draft,
    *,
    provider: str,
    model: str | None,
    extra: Mapping[str, Any],
    tokens: tuple[int | None, int | None] = (None, None),
    fallback_reason: str | None = None,
    attempts: int = 0,
    rejected: list[str] | None = None,
    served_model: str | None = None,
) -> Insight:
    problems = grounding.validate(draft, sheet)
    if problems:
        # Only the offline engine reaches here with problems, and that is a bug: never store it.
        raise ValueError(f"{sheet.kind}: refusing to store an ungrounded draft: {'; '.join(problems)}")
    structured = {
        "summary": _claims(draft.summary),
        "recommendations": _claims(draft.recommendations),
        "notice": NOTICE,
        "generated_by": "language model" if provider == "openai" else "offline templates (no language model)",
        "grounding": {"model_attempts": attempts, "rejected": (rejected or [])[:_MAX_PROBLEMS]},
        "served_model": served_model,
        **extra,
    }
    return Insight(
        kind=sheet.kind,
        title=draft.title.strip(),
        body=render(draft),
        structured=structured,
        facts=sheet.to_json(),
        facts_hash=sheet.hash(),
        provider=provider,
        model=model,
        prompt_version=PROMPT_VERSION,
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        fallback_reason=fallback_reason,
    )


def _offline(sheet: FactSheet, extra: Mapping[str, Any], **kw: Any) -> Insight:
    return _insight(sheet, offline.draft(sheet), provider="offline", model=offline.ENGINE, extra=extra, **kw)


def generate(
    sheet: FactSheet,
    *,
    chat: ChatModel | None,
    budget: TokenBudget | None = None,
    cached: CacheLookup | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Insight:
    """The insight of ``sheet``; ``extra`` (computed results: trades, per-asset sentiment) is
    stored beside the claims in ``structured``."""
    extra = dict(extra or {})
    if chat is None:
        return _offline(sheet, extra)
    facts_hash = sheet.hash()
    hit = cached(sheet.kind, facts_hash, PROMPT_VERSION, chat.model) if cached else None
    if hit is not None:
        structured = {**hit["structured"], "cache": {"insight_id": hit["id"], "facts_hash": facts_hash}}
        return Insight(
            sheet.kind,
            hit["title"],
            hit["body"],
            structured,
            sheet.to_json(),
            facts_hash,
            "openai",
            hit["model"],
            PROMPT_VERSION,
            0,
            0,
            None,
        )
    budget = budget or TokenBudget()
    schema = prompts.answer_schema()
    messages = prompts.messages(sheet)
    used = [0, 0]
    rejected: list[str] = []
    for attempt in (1, 2):
        try:
            answer = chat.complete(messages, schema, budget)
        except LLMError as exc:
            return _offline(
                sheet,
                extra,
                tokens=(used[0], used[1]),
                attempts=attempt - 1,
                rejected=rejected,
                fallback_reason=f"model call failed: {exc}",
            )
        used[0] += answer.prompt_tokens
        used[1] += answer.completion_tokens
        try:
            draft = prompts.decode(answer.content)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return _offline(
                sheet,
                extra,
                tokens=(used[0], used[1]),
                attempts=attempt,
                rejected=rejected,
                fallback_reason=f"off-schema answer: {exc}",
            )
        problems = grounding.validate(draft, sheet)
        if not problems:
            # The configured name (the cache key), not the served snapshot ("gpt-4o-mini-2024-07-18").
            return _insight(
                sheet,
                draft,
                provider="openai",
                model=chat.model,
                extra=extra,
                served_model=answer.model,
                tokens=(used[0], used[1]),
                attempts=attempt,
                rejected=rejected,
            )
        rejected += problems
        messages = prompts.messages(sheet, feedback=problems[:_MAX_PROBLEMS])
    return _offline(
        sheet,
        extra,
        tokens=(used[0], used[1]),
        attempts=2,
        rejected=rejected,
        fallback_reason=f"ungrounded numbers after one regeneration: {'; '.join(rejected[:2])}",
    )

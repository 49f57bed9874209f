"""The language model through the ``openai`` SDK: any OpenAI-compatible server (OpenAI, Azure,
vLLM, Ollama...).

Configuration is read from the environment when a run builds its client, never at import time:
``OPENAI_API_KEY`` (none: the offline engine writes every insight), ``OPENAI_BASE_URL`` (optional)
and ``CRYPTO_RISK_LLM_MODEL``. The SDK does the retrying: up to ``max_retries`` retries with
exponential backoff and jitter on 408/409/429/5xx, timeouts and connection errors, honouring
``Retry-After``. Each call has a timeout, and every run shares one :class:`TokenBudget`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import openai

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_COMPLETION_TOKENS = 1200
#: Tokens (prompt + completion) one run may spend before the rest of its items go offline.
DEFAULT_RUN_BUDGET = 200_000


class LLMError(Exception):
    """A model call that produced no answer (after the SDK's retries); the message says why."""


@dataclass(frozen=True)
class LLMSettings:
    api_key: str
    model: str
    base_url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    max_completion_tokens: int = DEFAULT_MAX_COMPLETION_TOKENS

    def __repr__(self) -> str:  # the key never reaches a log
        return f"LLMSettings(model={self.model!r}, base_url={self.base_url!r}, timeout_s={self.timeout_s})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> LLMSettings | None:
        """Settings from ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``CRYPTO_RISK_LLM_MODEL``; None
        without a key (the offline engine then writes the insights)."""
        env = os.environ if env is None else env
        key = (env.get("OPENAI_API_KEY") or "").strip()
        if not key:
            return None
        base = (env.get("OPENAI_BASE_URL") or "").strip() or None
        model = (env.get("CRYPTO_RISK_LLM_MODEL") or "").strip() or DEFAULT_MODEL
        return cls(api_key=key, model=model, base_url=base, **overrides)


class TokenBudget:
    """Tokens one run may spend. A call starts only while some remain, and its completion is capped
    at what remains; calls are counted after they return (prompt + completion)."""

    def __init__(self, limit: int = DEFAULT_RUN_BUDGET) -> None:
        if limit < 0:
            raise ValueError(f"token budget must be >= 0, got {limit}")
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def spend(self, tokens: int) -> None:
        with self._lock:
            self.used += max(int(tokens), 0)


@dataclass(frozen=True)
class Completion:
    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int


class ChatModel:
    """Structured-output chat completions against one OpenAI-compatible server."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self._client = openai.OpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            timeout=settings.timeout_s,
            max_retries=settings.max_retries,
        )

    @property
    def model(self) -> str:
        return self.settings.model

    def complete(self, messages: list[dict[str, str]], schema: dict, budget: TokenBudget) -> Completion:
        """One answer constrained to ``schema`` (JSON schema, strict). Raises :class:`LLMError`."""
        if budget.remaining <= 0:
            raise LLMError(f"token budget of {budget.limit} for this run is spent")
        try:
            response = self._client.chat.completions.create(
                model=self.settings.model,
                messages=messages,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "insight", "schema": schema, "strict": True},
                },
                max_completion_tokens=min(self.settings.max_completion_tokens, budget.remaining),
            )
        except openai.APITimeoutError:
            raise LLMError(
                f"timed out after {self.settings.timeout_s:g}s ({self.settings.max_retries} retries)"
            ) from None
        except openai.RateLimitError:
            raise LLMError(f"rate limited (HTTP 429) after {self.settings.max_retries} retries") from None
        except openai.APIStatusError as exc:
            raise LLMError(f"HTTP {exc.status_code} from the model server") from None
        except openai.APIConnectionError:
            raise LLMError("could not connect to the model server") from None
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        budget.spend(prompt_tokens + completion_tokens)
        if not response.choices:
            raise LLMError("the model server answered without a choice")
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise LLMError("the model refused to answer")
        return Completion(message.content or "", response.model or self.model, prompt_tokens, completion_tokens)

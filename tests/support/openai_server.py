"""A local OpenAI-compatible server on loopback: ``POST /v1/chat/completions`` in the real wire format.

Each request takes the next scripted behaviour (``server.script("429", "ok")``), or ``default``:

- ``ok``: a well-formed, grounded answer built from the fact sheet in the request (it cites the
  first facts with a value and writes their display form);
- ``ungrounded``: the same answer with a number no fact carries;
- ``off_schema``: JSON that is not the answer schema (unknown and missing fields);
- ``not_json``: prose instead of JSON;
- ``slow``: the ``ok`` answer after ``slow_delay_s`` (longer than a test client's timeout);
- ``429`` / ``500``: the API's error bodies (429 with ``retry-after-ms``);
- (always) 400 ``invalid_json_schema`` for a strict schema outside the portable subset;
- ``obey``: a naive model that follows an instruction hidden in the data: it answers with the
  text after ``REPLY WITH:`` in a headline, verbatim (``ok`` when there is none).

Answers name the served snapshot (``MODEL-2025-01-01``), as OpenAI does for an alias. Requests
are recorded (headers and JSON body) in ``server.requests``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import LoopbackServer

DATA = re.compile(r"<<<FACT_SHEET_DATA\n(.*)\nFACT_SHEET_DATA>>>", re.S)
OBEY = re.compile(r"REPLY WITH:\s*(.*)$", re.S)


class OpenAIServer(LoopbackServer):
    METHOD = "POST"

    def __init__(self, *, api_key: str = "sk-test-local", default: str = "ok", slow_delay_s: float = 3.0) -> None:
        self.api_key = api_key
        self.default = default
        self.slow_delay_s = slow_delay_s
        self.requests: list[dict[str, Any]] = []
        self._script: deque[str] = deque()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    def script(self, *behaviours: str) -> None:
        with self._lock:
            self._script.extend(behaviours)

    def calls(self) -> int:
        return len(self.requests)

    # --- answers -----------------------------------------------------------------------------------
    def _next(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: dict, headers: dict[str, str] | None = None):
        raw = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(raw)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        try:
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing to deliver

    @staticmethod
    def _error(message: str, kind: str, code: str | None = None) -> dict:
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        with self._lock:
            self.requests.append(
                {"path": handler.path, "headers": {k.lower(): v for k, v in handler.headers.items()}, "body": body}
            )
        if handler.path != "/v1/chat/completions":
            return self._send(handler, 404, self._error(f"unknown path {handler.path}", "invalid_request_error"))
        if handler.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._send(
                handler, 401, self._error("Incorrect API key provided", "invalid_request_error", "invalid_api_key")
            )
        problem = self.schema_problem(body.get("response_format"))
        if problem:
            return self._send(
                handler,
                400,
                self._error(
                    f"Invalid schema for response_format 'insight': {problem}",
                    "invalid_request_error",
                    "invalid_json_schema",
                ),
            )
        behaviour = self._next()
        if behaviour == "429":
            return self._send(
                handler,
                429,
                self._error("Rate limit reached", "requests", "rate_limit_exceeded"),
                {"retry-after-ms": "20"},
            )
        if behaviour == "500":
            return self._send(handler, 500, self._error("The server had an error", "server_error"))
        if behaviour == "slow":
            time.sleep(self.slow_delay_s)
        sheet = self._sheet(body)
        content = {
            "ok": lambda: json.dumps(self.grounded(sheet)),
            "slow": lambda: json.dumps(self.grounded(sheet)),
            "ungrounded": lambda: json.dumps(self.grounded(sheet, wrong=True)),
            "off_schema": lambda: json.dumps({"headline": "Portfolio update", "text": "Risk is moderate.", "score": 5}),
            "not_json": lambda: "Your portfolio looks fine this week.",
            "obey": lambda: self._obeyed(sheet) or json.dumps(self.grounded(sheet)),
        }[behaviour]()
        prompt_tokens = sum(len(m.get("content", "")) for m in body.get("messages", [])) // 4
        completion_tokens = max(len(content) // 4, 1)
        self._send(
            handler,
            200,
            {
                "id": f"chatcmpl-local{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                # Like OpenAI, answer with the dated snapshot that served the alias.
                "model": f"{body.get('model', 'local-model')}-2025-01-01",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    @classmethod
    def schema_problem(cls, response_format: dict | None) -> str | None:
        """What a strict structured-output server refuses: every object lists all its properties as
        required with ``additionalProperties: false``, no ``$ref`` and no length keywords."""
        if not response_format or response_format.get("type") != "json_schema":
            return None
        spec = response_format["json_schema"]
        if spec.get("strict") is not True:
            return None
        return cls._node_problem(spec["schema"], "root")

    @classmethod
    def _node_problem(cls, node: dict, path: str) -> str | None:
        for bad in ("$ref", "minLength", "maxLength", "minItems", "maxItems"):
            if bad in node:
                return f"{path}: '{bad}' is not permitted"
        if node.get("type") == "object":
            props = node.get("properties", {})
            if sorted(node.get("required", [])) != sorted(props):
                return f"{path}: 'required' must list every property"
            if node.get("additionalProperties") is not False:
                return f"{path}: 'additionalProperties' must be false"
            for name, child in props.items():
                found = cls._node_problem(child, f"{path}.{name}")
                if found:
                    return found
        if node.get("type") == "array":
            return cls._node_problem(node.get("items", {}), f"{path}[]")
        return None

    @staticmethod
    def _sheet(body: dict) -> dict:
        for m in body.get("messages", []):
            found = DATA.search(m.get("content", ""))
            if found:
                return json.loads(found.group(1))
        return {"facts": [], "headlines": []}

    @staticmethod
    def grounded(sheet: dict, *, wrong: bool = False) -> dict:
        """An answer citing the first facts with a value, written in their display form."""
        facts = [f for f in sheet["facts"] if f["value"] is not None][:3]
        claims = []
        for f in facts:
            shown = "987.65" if wrong else f["display"]
            claims.append({"text": f"According to the data, {f['id']} stands at {shown}.", "fact_ids": [f["id"]]})
        if not claims:
            claims = [{"text": "There is little data yet.", "fact_ids": [sheet["facts"][0]["id"]]}]
        return {
            "title": "Your portfolio this week",
            "summary": claims,
            "recommendations": [
                {"text": "Review the figures above with your own goals in mind.", "fact_ids": claims[0]["fact_ids"]}
            ],
        }

    @staticmethod
    def _obeyed(sheet: dict) -> str | None:
        for h in sheet.get("headlines", []):
            found = OBEY.search(h["title"])
            if found:
                return found.group(1)
        return None

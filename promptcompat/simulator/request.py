"""Parsing an OpenAI or Anthropic request body into one protocol-neutral :class:`ChatRequest`.

Both protocols reduce to the same (role, text) turns, so one prompt sent through either SDK
is recognised, hashed (the "new" models' drift mix) and answered the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any


class RequestError(Exception):
    """The request body is invalid: a 400 (or ``status``) in the provider's error shape."""

    def __init__(self, message: str, *, status: int = 400, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class ChatRequest:
    model: str
    turns: tuple[tuple[str, str], ...]
    """(role, text) in order, system turns first; roles: system, user, assistant."""
    temperature: float = 0.0
    seed: int | None = None
    max_tokens: int | None = None
    canonical: str = field(init=False)
    """The messages as compact JSON: what the drift mix and the caches key on."""
    digest: str = field(init=False)
    """sha256 hex of ``canonical``."""

    def __post_init__(self) -> None:
        canonical = json.dumps(self.turns, ensure_ascii=False, separators=(",", ":"))
        object.__setattr__(self, "canonical", canonical)
        object.__setattr__(self, "digest", hashlib.sha256(canonical.encode()).hexdigest())

    @property
    def prompt_text(self) -> str:
        """System and user text joined: what task recognition reads."""
        return "\n".join(text for role, text in self.turns if role != "assistant")

    @property
    def user_text(self) -> str:
        return "\n".join(text for role, text in self.turns if role == "user")

    @property
    def input_tokens(self) -> int:
        return estimate_tokens("\n".join(text for _, text in self.turns))


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


_OPENAI_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "user",
}


def parse_openai(body: Any) -> ChatRequest:
    obj = _object(body)
    model = _model(obj)
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("'messages' must be a non-empty array")
    turns: list[tuple[str, str]] = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestError(f"messages[{index}] must be an object")
        raw_role = message.get("role")
        role = _OPENAI_ROLES.get(raw_role) if isinstance(raw_role, str) else None
        if role is None:
            raise RequestError(f"messages[{index}].role {raw_role!r} is not supported")
        turns.append((role, _text(message.get("content"), f"messages[{index}].content")))
    # OpenAI's API prefers max_completion_tokens; compatible servers know max_tokens.
    limit = obj.get("max_completion_tokens")
    if limit is None:
        limit = obj.get("max_tokens")
    return _finish(obj, model, _system_first(turns), limit, "max_completion_tokens")


def parse_anthropic(body: Any) -> ChatRequest:
    obj = _object(body)
    model = _model(obj)
    if "max_tokens" not in obj:
        raise RequestError("max_tokens: Field required")
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages: at least one message is required")
    turns: list[tuple[str, str]] = []
    system = obj.get("system")
    if system is not None:  # Anthropic's system prompt is a parameter, not a turn
        turns.append(("system", _text(system, "system")))
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RequestError(f"messages.{index}: must be an object")
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise RequestError(f"messages.{index}.role: must be 'user' or 'assistant'")
        turns.append((role, _text(message.get("content"), f"messages.{index}.content")))
    return _finish(obj, model, turns, obj["max_tokens"], "max_tokens")


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    return body


def _model(obj: dict[str, Any]) -> str:
    model = obj.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError("'model' is required")
    return model


def _text(content: Any, where: str) -> str:
    """A message's text: a plain string or the text parts of a content array."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict):
                raise RequestError(f"{where}: each content part must be an object")
            if part.get("type") == "text":
                text = part.get("text")
                if not isinstance(text, str):
                    raise RequestError(f"{where}: a text part needs a 'text' string")
                parts.append(text)
        return "\n".join(parts)
    raise RequestError(f"{where}: must be a string or an array of content parts")


def _system_first(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # Anthropic has no system turn among messages; ordering the same way keeps the hash equal.
    return [t for t in turns if t[0] == "system"] + [t for t in turns if t[0] != "system"]


def _finish(
    obj: dict[str, Any], model: str, turns: list[tuple[str, str]], limit: Any, limit_name: str
) -> ChatRequest:
    if obj.get("stream"):
        raise RequestError("stream: streaming is not supported by the simulator")
    temperature = obj.get("temperature")
    if temperature is None:
        temperature = 0.0
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise RequestError("temperature: must be a number")
    if temperature < 0 or temperature > 2:
        raise RequestError("temperature: must be between 0 and 2")
    seed = obj.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RequestError("seed: must be an integer")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise RequestError(f"{limit_name}: must be a positive integer")
    return ChatRequest(
        model=model,
        turns=tuple(turns),
        temperature=float(temperature),
        seed=seed,
        max_tokens=limit,
    )

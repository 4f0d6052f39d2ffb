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

from promptcompat.simulator.tool_calls import SimTool


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
    tools: tuple[SimTool, ...] = field(default=(), compare=False)
    tool_choice: str | None = None
    parallel_tool_calls: bool = True
    schema: dict[str, Any] | None = field(default=None, compare=False)
    """The JSON Schema of a structured-output request (JSON mode: ``{"type": "object"}``)."""
    tool_results: tuple[str, ...] = ()
    """The tool results after the last assistant turn (an agent loop's next step)."""
    sent: frozenset[str] = frozenset()
    """The top-level parameters the request carried (a reasoning model rejects some)."""
    canonical: str = field(init=False)
    """The messages as compact JSON: what the drift mix and the caches key on."""
    digest: str = field(init=False)
    """sha256 hex of ``canonical``."""

    def __post_init__(self) -> None:
        material: Any = self.turns
        if self.tools or self.schema is not None:
            # Only requests with tools or a schema hash these: plain requests keep their drifts.
            material = [
                self.turns,
                [[t.name, t.parameters] for t in self.tools],
                self.tool_choice,
                self.parallel_tool_calls,
                self.schema,
            ]
        canonical = json.dumps(material, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        object.__setattr__(self, "canonical", canonical)
        object.__setattr__(self, "digest", hashlib.sha256(canonical.encode()).hexdigest())

    @property
    def prompt_text(self) -> str:
        """System and user text joined: what task recognition reads."""
        return "\n".join(text for role, text in self.turns if role in ("system", "user"))

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
    "tool": "tool",
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
        text = _text(message.get("content"), f"messages[{index}].content")
        calls = message.get("tool_calls") or []
        if role == "assistant" and isinstance(calls, list) and calls:
            text += "".join(_call_text(c, f"messages[{index}].tool_calls") for c in calls)
        turns.append((role, text))
    # OpenAI's API prefers max_completion_tokens; compatible servers know max_tokens.
    limit = obj.get("max_completion_tokens")
    if limit is None:
        limit = obj.get("max_tokens")
    tools = tuple(_openai_tool(t, i) for i, t in enumerate(_list(obj, "tools")))
    choice = obj.get("tool_choice")
    if isinstance(choice, dict):
        choice = (choice.get("function") or {}).get("name")
    schema: dict[str, Any] | None = None
    response_format = obj.get("response_format")
    if isinstance(response_format, dict):
        if response_format.get("type") == "json_schema":
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec.get("schema"), dict) else None
            if schema is None:
                raise RequestError("response_format.json_schema.schema is required")
        elif response_format.get("type") == "json_object":
            schema = {"type": "object"}
    return _finish(
        obj,
        model,
        _system_first(turns),
        limit,
        "max_completion_tokens",
        tools=tools,
        choice=choice if isinstance(choice, str) else None,
        parallel=obj.get("parallel_tool_calls") is not False,
        schema=schema,
    )


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
        content = message.get("content")
        where = f"messages.{index}.content"
        results = (
            [b for b in content or () if isinstance(b, dict) and b.get("type") == "tool_result"]
            if isinstance(content, list)
            else []
        )
        if role == "user" and results:
            turns.extend(("tool", _text(b.get("content"), where)) for b in results)
            continue
        text = _text(content, where)
        if role == "assistant" and isinstance(content, list):
            text += "".join(
                _call_text(
                    {"function": {"name": b.get("name"), "arguments": json.dumps(b.get("input"))}},
                    where,
                )
                for b in content
                if isinstance(b, dict) and b.get("type") == "tool_use"
            )
        turns.append((role, text))
    tools = tuple(_anthropic_tool(t, i) for i, t in enumerate(_list(obj, "tools")))
    choice_obj = obj.get("tool_choice")
    choice: str | None = None
    parallel = True
    if isinstance(choice_obj, dict):
        kind = str(choice_obj.get("type"))
        named = choice_obj.get("name")
        choice = "required" if kind == "any" else named if kind == "tool" else kind
        parallel = not choice_obj.get("disable_parallel_tool_use", False)
    schema: dict[str, Any] | None = None
    output_config = obj.get("output_config")
    if isinstance(output_config, dict) and isinstance(output_config.get("format"), dict):
        schema = output_config["format"].get("schema")
        if not isinstance(schema, dict):
            raise RequestError("output_config.format.schema: Field required")
    return _finish(
        obj,
        model,
        turns,
        obj["max_tokens"],
        "max_tokens",
        tools=tools,
        choice=choice,
        parallel=parallel,
        schema=schema,
    )


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RequestError(f"{key}: must be an array")
    return value


def _openai_tool(tool: Any, index: int) -> SimTool:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise RequestError(f"tools[{index}].function.name is required")
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    return SimTool(function["name"], parameters)


def _anthropic_tool(tool: Any, index: int) -> SimTool:
    if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
        raise RequestError(f"tools.{index}.name: Field required")
    schema = tool.get("input_schema")
    if not isinstance(schema, dict):
        raise RequestError(f"tools.{index}.input_schema: Field required")
    return SimTool(tool["name"], schema)


def _call_text(call: Any, where: str) -> str:
    """An earlier tool call in the conversation, as the text the answer engine reads."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        raise RequestError(f"{where}: each tool call needs a function")
    return f"\n[called {function.get('name')} with {function.get('arguments')}]"


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
    obj: dict[str, Any],
    model: str,
    turns: list[tuple[str, str]],
    limit: Any,
    limit_name: str,
    *,
    tools: tuple[SimTool, ...] = (),
    choice: str | None = None,
    parallel: bool = True,
    schema: dict[str, Any] | None = None,
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
    results: list[str] = []
    for role, text in reversed(turns):
        if role != "tool":
            break
        results.insert(0, text)
    return ChatRequest(
        model=model,
        turns=tuple(turns),
        temperature=float(temperature),
        seed=seed,
        max_tokens=limit,
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=parallel,
        schema=schema,
        tool_results=tuple(results),
        sent=frozenset(obj),
    )

"""Assistant turns as data: the stored document of an answer, and a case's conversation history.

An answer with tool calls or a refusal is more than its text. It is stored as one canonical
JSON document (``turn_document``), the same shape a case's history uses for an assistant turn,
so a recorded answer can be pasted into a later case's history unchanged::

    {"content": "...", "refusal": null,
     "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]}

In a history, ``arguments`` may also be the JSON string the model wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from promptcompat.suite.types import ROLES, Message, RequestOptions, ResponseFormat, Tool, ToolCall

OutputKind = Literal["text", "turn"]
"""How a stored output reads: ``text`` (the answer's text) or ``turn`` (``turn_document``)."""
TEXT: OutputKind = "text"
TURN: OutputKind = "turn"


@dataclass(frozen=True)
class Turn:
    """An assistant turn: its text, its tool calls, the refusal field."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    refusal: str | None = None

    @property
    def plain(self) -> bool:
        """Nothing but text: stored as the text itself, as outputs always were."""
        return not self.tool_calls and self.refusal is None


def parse_arguments(raw: str) -> Any | None:
    """The arguments a model wrote, parsed; None when they are not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return None


def tool_call(call_id: str, name: str, raw_arguments: str) -> ToolCall:
    return ToolCall(
        id=call_id, name=name, arguments=parse_arguments(raw_arguments), raw_arguments=raw_arguments
    )


def call_json(call: ToolCall) -> dict[str, Any]:
    """One call as JSON: the parsed arguments, plus the raw string only when it is not JSON."""
    out: dict[str, Any] = {"id": call.id, "name": call.name, "arguments": call.arguments}
    if call.arguments is None:
        out["raw_arguments"] = call.raw_arguments
    return out


def turn_json(turn: Turn) -> dict[str, Any]:
    return {
        "content": turn.text,
        "refusal": turn.refusal,
        "tool_calls": [call_json(c) for c in turn.tool_calls],
    }


def turn_document(turn: Turn) -> str:
    """The stored form of a turn that is not plain text: canonical JSON (keys sorted)."""
    return json.dumps(turn_json(turn), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def read_turn(text: str, kind: OutputKind) -> Turn:
    """A stored output back as a turn (a ``text`` output is a turn of text only)."""
    if kind != TURN:
        return Turn(text=text)
    data = json.loads(text)
    return Turn(
        text=str(data.get("content") or ""),
        tool_calls=tuple(_stored_call(c) for c in data.get("tool_calls") or ()),
        refusal=data.get("refusal"),
    )


def _stored_call(data: dict[str, Any]) -> ToolCall:
    raw = data.get("raw_arguments")
    arguments = data.get("arguments")
    if raw is None:
        raw = json.dumps(arguments, ensure_ascii=False)
    return ToolCall(
        id=str(data["id"]), name=str(data["name"]), arguments=arguments, raw_arguments=raw
    )


class HistoryError(ValueError):
    """A case's history variable is not a list of messages; the text says what is wrong."""


_MESSAGE_KEYS = {"role", "content", "tool_calls", "tool_call_id"}


def parse_history(value: Any) -> tuple[Message, ...]:
    """A case's history (a list of messages, assistant turns with tool calls and tool results)
    as messages.

    Raises:
        HistoryError: What is wrong, naming the message (``message 3: ...``).
    """
    if not isinstance(value, list):
        raise HistoryError("history is not a list of messages")
    messages: list[Message] = []
    open_calls: set[str] = set()
    for index, item in enumerate(value, start=1):
        at = f"history message {index}"
        if not isinstance(item, dict):
            raise HistoryError(f"{at} is not an object {{role, content, ...}}")
        unknown = sorted(set(item) - _MESSAGE_KEYS)
        if unknown:
            allowed = ", ".join(sorted(_MESSAGE_KEYS))
            raise HistoryError(f"{at}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
        role = item.get("role")
        if role not in ROLES:
            raise HistoryError(f"{at}: role must be one of {', '.join(ROLES)}")
        content = item.get("content")
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise HistoryError(f"{at}: content must be a string")
        calls: list[ToolCall] = []
        raw_calls = item.get("tool_calls") or []
        if raw_calls and role != "assistant":
            raise HistoryError(f"{at}: only an assistant turn has tool_calls")
        if not isinstance(raw_calls, list):
            raise HistoryError(f"{at}: tool_calls must be a list")
        for number, raw in enumerate(raw_calls, start=1):
            calls.append(_history_call(raw, f"{at}, tool call {number}"))
            open_calls.add(calls[-1].id)
        call_id = item.get("tool_call_id")
        if role == "tool":
            if not isinstance(call_id, str) or call_id not in open_calls:
                raise HistoryError(
                    f"{at}: a tool result needs the tool_call_id of an earlier assistant tool call"
                )
        elif call_id is not None:
            raise HistoryError(f"{at}: only a tool message has a tool_call_id")
        messages.append(
            Message(role=role, content=content, tool_calls=tuple(calls), tool_call_id=call_id)
        )
    return tuple(messages)


def _history_call(raw: Any, at: str) -> ToolCall:
    if not isinstance(raw, dict):
        raise HistoryError(f"{at} is not an object {{id, name, arguments}}")
    call_id, name, arguments = raw.get("id"), raw.get("name"), raw.get("arguments", {})
    if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
        raise HistoryError(f"{at}: id and name must be non-empty strings")
    if isinstance(arguments, str):
        parsed = parse_arguments(arguments)
        if not isinstance(parsed, dict):
            raise HistoryError(f"{at}: arguments are not a JSON object")
        return ToolCall(id=call_id, name=name, arguments=parsed, raw_arguments=arguments)
    if not isinstance(arguments, dict):
        raise HistoryError(f"{at}: arguments must be an object (or its JSON string)")
    return ToolCall(
        id=call_id,
        name=name,
        arguments=arguments,
        raw_arguments=json.dumps(arguments, ensure_ascii=False, separators=(",", ":")),
    )


def message_json(message: Message) -> list[Any]:
    """A message as ``[role, content]``, with ``{tool_calls, tool_call_id}`` third when it has
    them: what cache keys hash and planned calls store (plain messages as they always were)."""
    extra: dict[str, Any] = {}
    if message.tool_calls:
        extra["tool_calls"] = [
            {"id": c.id, "name": c.name, "raw_arguments": c.raw_arguments}
            for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        extra["tool_call_id"] = message.tool_call_id
    return [message.role, message.content, extra] if extra else [message.role, message.content]


def message_from_json(data: list[Any]) -> Message:
    extra: dict[str, Any] = data[2] if len(data) > 2 else {}
    return Message(
        role=data[0],
        content=data[1],
        tool_calls=tuple(
            tool_call(c["id"], c["name"], c["raw_arguments"]) for c in extra.get("tool_calls", ())
        ),
        tool_call_id=extra.get("tool_call_id"),
    )


def options_from_json(data: dict[str, Any] | None) -> RequestOptions:
    """``RequestOptions.canonical()`` read back."""
    if not data:
        return RequestOptions()
    rf = data.get("response_format")
    return RequestOptions(
        tools=tuple(
            Tool(name=t["name"], description=t["description"], parameters=t["parameters"])
            for t in data.get("tools", ())
        ),
        tool_choice=data.get("tool_choice"),
        parallel_tool_calls=data.get("parallel_tool_calls"),
        response_format=None
        if rf is None
        else ResponseFormat(
            kind=rf["type"],
            name=rf.get("name", "output"),
            schema=rf.get("schema"),
            strict=bool(rf.get("strict", False)),
        ),
    )


def display(text: str, kind: OutputKind) -> str:
    """An output as a person reads it: a turn's text, then each tool call as its name and
    pretty-printed arguments, then its refusal; a text output as it is."""
    if kind != TURN:
        return text
    turn = read_turn(text, kind)
    parts = [turn.text] if turn.text else []
    for call in turn.tool_calls:
        arguments = (
            call.raw_arguments
            if call.arguments is None
            else json.dumps(call.arguments, indent=2, ensure_ascii=False, sort_keys=True)
        )
        parts.append(f"tool call {call.name} {arguments}")
    if turn.refusal is not None:
        parts.append(f"refusal: {turn.refusal}")
    return "\n".join(parts)

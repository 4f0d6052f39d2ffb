"""What a provider is: one async ``complete`` per protocol, answering a Completion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from promptcompat.suite import Message
from promptcompat.suite.targets import Target
from promptcompat.suite.types import RequestOptions, ToolCall


@dataclass(frozen=True)
class Completion:
    """What a provider answered, with the metadata a snapshot records."""

    text: str
    served_model: str | None
    fingerprint: str | None
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    response_id: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    refusal: str | None = None
    """The refusal field of structured outputs (OpenAI ``message.refusal``)."""
    reasoning_tokens: int | None = None


def output_size(text: str, tool_calls: tuple[ToolCall, ...], refusal: str | None) -> int:
    """Bytes of an answer, what ``max_output_bytes`` caps: text, arguments and refusal."""
    parts = [text, refusal or "", *(c.raw_arguments for c in tool_calls)]
    return sum(len(p.encode("utf-8")) for p in parts)


class Provider(Protocol):
    async def complete(
        self,
        target: Target,
        messages: tuple[Message, ...],
        *,
        seed: int | None,
        options: RequestOptions = ...,
    ) -> Completion: ...

    async def aclose(self) -> None: ...

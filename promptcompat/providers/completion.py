"""What a provider is: one async ``complete`` per protocol, answering a Completion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from promptcompat.suite import Message
from promptcompat.suite.targets import Target


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


class Provider(Protocol):
    async def complete(
        self, target: Target, messages: tuple[Message, ...], *, seed: int | None
    ) -> Completion: ...

    async def aclose(self) -> None: ...

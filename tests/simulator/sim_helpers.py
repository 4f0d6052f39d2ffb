"""One call shape over both SDKs, so every behaviour is checked through each protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anthropic
import openai

# Prompts written to the protocol in docs/simulator-protocol.md.
EXTRACT_SYSTEM = (
    "Extract the contact details from the user's message and answer with JSON only.\n"
    "Fields: name, email, phone, company, age, city, title, favourite_color"
)
EXTRACT_USER = (
    "Hello! I'm Jane Doe, 34 years old, and I work as a senior data engineer at Acme Corp. "
    "I'm based in San Francisco. Reach me at jane.doe@example.com or +1 415-555-0132."
)
CLASSIFY_SYSTEM = (
    "Classify the support ticket into one of the labels. Answer with JSON.\n"
    "Labels: billing, technical, account, shipping, other"
)
CLASSIFY_BARE_SYSTEM = (
    "Classify the support ticket. Reply with the label only.\n"
    "Labels: billing, technical, account, shipping, other"
)
CODE_SYSTEM = "You are a coding assistant. Reply with code only."
PRIME_USER = "Is 91 a prime number? Think step by step, then end with [Yes] or [No]."


@dataclass(frozen=True)
class Reply:
    text: str
    model: str
    finish: str | None
    input_tokens: int
    output_tokens: int
    fingerprint: str | None


async def ask(
    client: openai.AsyncOpenAI | anthropic.AsyncAnthropic,
    model: str,
    user: str,
    *,
    system: str | None = None,
    max_tokens: int = 1024,
    **sampling: Any,
) -> Reply:
    """One chat call through whichever SDK ``client`` is; sampling goes in the JSON body."""
    if isinstance(client, openai.AsyncOpenAI):
        messages: list[dict[str, str]] = []
        if system is not None:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": user})
        response = await client.chat.completions.create(
            model=model,
            messages=messages,  # type: ignore[arg-type]
            max_completion_tokens=max_tokens,
            **sampling,
        )
        choice = response.choices[0]
        assert response.usage is not None
        return Reply(
            choice.message.content or "",
            response.model,
            choice.finish_reason,
            response.usage.prompt_tokens,
            response.usage.completion_tokens,
            response.system_fingerprint,
        )
    kwargs: dict[str, Any] = {"extra_body": sampling} if sampling else {}
    if system is not None:
        kwargs["system"] = system
    message = await client.messages.create(
        model=model,
        max_tokens=max_tokens,
        messages=[{"role": "user", "content": user}],
        **kwargs,
    )
    text = "".join(block.text for block in message.content if block.type == "text")
    return Reply(
        text,
        message.model,
        message.stop_reason,
        message.usage.input_tokens,
        message.usage.output_tokens,
        None,
    )

"""Structured answers: a call whose answer is one JSON object of a given JSON Schema.

What the judge model is asked through (``promptcompat.compat.judge``): OpenAI's
``response_format`` of type ``json_schema`` (strict), Anthropic's forced tool (``tool_choice``
naming the one tool whose ``input_schema`` is the schema). Either way the answer comes back
as a :class:`~promptcompat.providers.completion.Completion` whose text is the object as
canonical JSON, so the replay engine caches, retries, rate-limits and prices these calls as
it does every other (it only ever sees ``complete``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promptcompat.config import Settings
from promptcompat.errors import BadRequestError
from promptcompat.providers.accounts import api_key_for, base_url_for
from promptcompat.providers.anthropic_messages import classify as classify_anthropic
from promptcompat.providers.completion import Completion
from promptcompat.providers.openai_chat import classify as classify_openai
from promptcompat.providers.transport import anthropic_client, openai_client
from promptcompat.suite import Message
from promptcompat.suite.targets import Target
from promptcompat.suite.types import RequestOptions

if TYPE_CHECKING:
    # imported where used: the SDKs cost a command ~1.3 s of CPU to import (transport.py)
    import anthropic
    import openai


@dataclass(frozen=True)
class Schema:
    """The JSON Schema of the one object asked for, with the name the providers show."""

    name: str
    description: str
    schema: dict[str, Any]


def canonical(answer: Any) -> str:
    """The stored text of a structured answer: sorted keys, compact."""
    return json.dumps(answer, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class StructuredProvider:
    """A provider (``complete``/``aclose``) whose every answer is an object of ``schema``."""

    def __init__(self, target: Target, settings: Settings, *, schema: Schema) -> None:

        key = api_key_for(target, settings)
        base_url = base_url_for(target, settings)
        self._schema = schema
        self._default_max_tokens = settings.default_max_tokens
        self._openai: openai.AsyncOpenAI | None = None
        self._anthropic: anthropic.AsyncAnthropic | None = None
        if target.provider == "anthropic":
            self._anthropic = anthropic_client(api_key=key, base_url=base_url, settings=settings)
        else:
            self._openai = openai_client(api_key=key, base_url=base_url, settings=settings)

    async def complete(
        self,
        target: Target,
        messages: tuple[Message, ...],
        *,
        seed: int | None,
        options: RequestOptions | None = None,
    ) -> Completion:
        # ``options`` is the replay's per-request part (tools, a response format); a judge's
        # request has none: its schema is this provider's own.
        if self._anthropic is not None:
            return await self._complete_anthropic(self._anthropic, target, messages)
        assert self._openai is not None
        return await self._complete_openai(self._openai, target, messages, seed)

    async def _complete_openai(
        self,
        client: openai.AsyncOpenAI,
        target: Target,
        messages: tuple[Message, ...],
        seed: int | None,
    ) -> Completion:
        import openai

        sampling = target.sampling
        kwargs: dict[str, Any] = {k: sampling[k] for k in ("temperature", "top_p") if k in sampling}
        if seed is not None:
            kwargs["seed"] = seed
        if "max_tokens" in sampling:
            name = "max_completion_tokens" if target.provider == "openai" else "max_tokens"
            kwargs[name] = sampling["max_tokens"]
        kwargs["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": self._schema.name,
                "description": self._schema.description,
                "schema": self._schema.schema,
                "strict": True,
            },
        }
        try:
            response = await client.chat.completions.create(
                model=target.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                **kwargs,
            )
        except openai.APIError as exc:
            raise classify_openai(exc, target) from None
        choice = response.choices[0] if response.choices else None
        if choice is None or choice.message.refusal or not choice.message.content:
            reason = (choice.message.refusal if choice else None) or "no structured answer"
            raise BadRequestError(f"the model gave no {self._schema.name}: {reason}")
        try:
            answer = json.loads(choice.message.content)
        except ValueError:
            raise BadRequestError(
                f"the model's {self._schema.name} is not JSON", where=target.label
            ) from None
        usage = response.usage
        return Completion(
            text=canonical(answer),
            served_model=response.model,
            fingerprint=response.system_fingerprint,
            finish_reason=choice.finish_reason,
            input_tokens=usage.prompt_tokens if usage else None,
            output_tokens=usage.completion_tokens if usage else None,
            response_id=response.id,
        )

    async def _complete_anthropic(
        self, client: anthropic.AsyncAnthropic, target: Target, messages: tuple[Message, ...]
    ) -> Completion:
        import anthropic

        sampling = target.sampling
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        extra: dict[str, Any] = {k: sampling[k] for k in ("temperature", "top_p") if k in sampling}
        kwargs: dict[str, Any] = {"extra_body": extra} if extra else {}
        if system:
            kwargs["system"] = system
        kwargs["tools"] = [
            {
                "name": self._schema.name,
                "description": self._schema.description,
                "input_schema": self._schema.schema,
            }
        ]
        kwargs["tool_choice"] = {"type": "tool", "name": self._schema.name}
        try:
            response = await client.messages.create(
                model=target.model,
                max_tokens=int(sampling.get("max_tokens", self._default_max_tokens)),
                messages=turns,  # type: ignore[arg-type]
                **kwargs,
            )
        except anthropic.APIError as exc:
            raise classify_anthropic(exc, target) from None
        used = [b for b in response.content if b.type == "tool_use" and b.name == self._schema.name]
        if not used:
            raise BadRequestError(
                f"the model did not call the {self._schema.name} tool", where=target.label
            )
        return Completion(
            text=canonical(used[0].input),
            served_model=response.model,
            fingerprint=None,
            finish_reason=response.stop_reason,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            response_id=response.id,
        )

    async def aclose(self) -> None:
        if self._openai is not None:
            await self._openai.close()
        if self._anthropic is not None:
            await self._anthropic.close()

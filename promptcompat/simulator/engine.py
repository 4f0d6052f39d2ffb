"""From (model, request) to the answer text: task, drift, sampling noise, max_tokens cut."""

from __future__ import annotations

import functools
import hashlib
import json
import random
from dataclasses import dataclass, replace
from typing import Any

from promptcompat.simulator import answers, drifts, tasks, tool_calls
from promptcompat.simulator.models import ModelSpec
from promptcompat.simulator.request import ChatRequest, estimate_tokens

HUGE_CHARS = 10 * 1024 * 1024


@dataclass(frozen=True)
class Output:
    text: str
    output_tokens: int
    truncated: bool
    tool_calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    """(tool name, arguments) in the order the model calls them."""
    refusal: str | None = None
    reasoning_tokens: int | None = None
    """Reported by the reasoning models only."""


REASONING_TOKENS = 64
"""What a reasoning model says it spent thinking, on top of its answer's tokens."""


def complete(spec: ModelSpec, request: ChatRequest, rng: random.Random) -> Output:
    """The model's answer to ``request``; ``rng`` only serves unseeded sampling."""
    if spec.behaviour == "huge":
        # It plays a server that ignores max_tokens: what the client's size cap is for.
        text = huge_text()
        return Output(text, estimate_tokens(text), truncated=False)
    output = _tool_output(spec, request) if request.tools or request.schema is not None else None
    if output is None:
        output = _text_output(spec, request, rng)
    if spec.behaviour == "reasoning":
        output = replace(
            output,
            output_tokens=output.output_tokens + REASONING_TOKENS,
            reasoning_tokens=REASONING_TOKENS,
        )
    return output


def _tool_output(spec: ModelSpec, request: ChatRequest) -> Output | None:
    kind: str | None = None
    if spec.behaviour == "new":
        kind = tool_calls.new_model_tool_drift(
            spec.family, request.canonical, request.tools, request.schema
        )
    elif spec.behaviour.startswith("drift:"):
        kind = spec.behaviour.removeprefix("drift:")
    found = tool_calls.answer(
        tools=request.tools,
        tool_choice=request.tool_choice,
        parallel=request.parallel_tool_calls,
        schema=request.schema,
        user_text=request.user_text,
        tool_results=request.tool_results,
        kind=kind,
    )
    if found is None:
        return None
    tokens = estimate_tokens(
        found.text + "".join(json.dumps(args) for _, args in found.calls) + (found.refusal or "")
    )
    return Output(found.text, max(tokens, 1), False, found.calls, found.refusal)


def _text_output(spec: ModelSpec, request: ChatRequest, rng: random.Random) -> Output:
    style = drifts.CLEAN
    if request.temperature > 0:
        if request.seed is not None:
            seed_bytes = hashlib.sha256(f"{request.seed}|{request.digest}".encode()).digest()
            rng = random.Random(int.from_bytes(seed_bytes[:8], "big"))
        style = drifts.Style(
            variant=rng.randrange(answers.VARIANTS),
            confidence=round(rng.uniform(0.70, 0.99), 2),
        )
    text = answer_text(
        spec.behaviour,
        spec.family,
        request.canonical,
        request.prompt_text,
        request.user_text,
        style,
    )
    return cut(text, request.max_tokens)


@functools.lru_cache(maxsize=8192)
def answer_text(
    behaviour: str,
    family: str,
    canonical: str,
    prompt_text: str,
    user_text: str,
    style: drifts.Style,
) -> str:
    """A pure function of its arguments, hence cached: replays repeat the same prompts."""
    task = tasks.recognise(prompt_text, user_text)
    kind: str | None = None
    if behaviour == "new":
        kind = drifts.new_model_drift(family, canonical, task)
    elif behaviour.startswith("drift:"):
        kind = behaviour.removeprefix("drift:")
    return drifts.render(task, kind, style)


def cut(text: str, max_tokens: int | None) -> Output:
    tokens = estimate_tokens(text)
    if max_tokens is not None and tokens > max_tokens:
        return Output(text[: max_tokens * 4], max_tokens, truncated=True)
    return Output(text, tokens, truncated=False)


@functools.cache
def huge_text() -> str:
    line = (
        "This is a deliberately oversized answer from sim-huge-output, repeated to about ten "
        "megabytes so that output-size limits can be tested.\n"
    )
    return (line * (HUGE_CHARS // len(line) + 1))[:HUGE_CHARS]

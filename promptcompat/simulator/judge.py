"""A scripted judge model: answers the judge protocol deterministically, offline.

A stand-in so the whole judge path (both orders, K samples, structured output through the
official SDKs, cache, cost) runs without a real model. It is NOT a measure of judge quality:
its rule is a crude comparison of the facts a regular expression sees (numbers, negations,
capitalised names) in the two answers, nothing more.

The request carries the two answers between ``<baseline>``/``</baseline>`` and
``<candidate>``/``</candidate>`` tags, in either order (the judge question of
``promptcompat.compat.judge``); the answer is the object of the judge schema,
``{"verdict": "equivalent" | "different", "differences": [...]}``, as OpenAI structured
output (``response_format`` of type ``json_schema``: the message content) or as the input of
the forced Anthropic tool (``tool_choice`` naming it: a ``tool_use`` block).

The key-fact question holds ``<key_fact>`` and ``<answer>`` blocks instead, in either order;
its answer is ``{"verdict": "conveyed" | "missing", "reason": ...}``: missing when a fact the
rule sees in the key fact is not in the answer.

Models: ``gpt-sim-judge`` / ``claude-sim-judge`` apply the rule whichever answer comes first;
``*-order-biased`` play a judge with position bias: whenever the candidate is shown first they
call the pair equivalent, so a pair the rule finds different is undecided across the orders.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from promptcompat.simulator import wire
from promptcompat.simulator.request import ChatRequest, estimate_tokens

MODELS = frozenset(
    {
        "gpt-sim-judge",
        "gpt-sim-judge-order-biased",
        "claude-sim-judge",
        "claude-sim-judge-order-biased",
    }
)
_BLOCK = re.compile(r"<(baseline|candidate)>\n?(.*?)\n?</\1>", re.DOTALL)
_FACT_BLOCK = re.compile(r"<(key_fact|answer)>\n?(.*?)\n?</\1>", re.DOTALL)
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|[A-Za-z][A-Za-z'’-]*")
_NEGATIONS = frozenset(
    [
        # Words that reverse a statement without a negation cue, which the fact diff does not
        # read ("permanent" -> "temporary"): the stand-in reads a few, so tests can put the
        # judge to work where only meaning tells.
        "temporary",
        "partial",
        "partially",
        "not",
        "no",
        "never",
        "none",
        "nothing",
        "cannot",
        "can't",
        "won't",
        "didn't",
        "doesn't",
        "isn't",
        "wasn't",
        "aren't",
        "failed",
        "fail",
        "fails",
        "failure",
        "lost",
        "without",
        "unable",
        "neither",
        "nor",
    ]
)


def is_judge(model: str) -> bool:
    return model in MODELS


def facts(text: str) -> set[str]:
    """What the scripted rule compares: numbers, negation words, capitalised names that do
    not open a sentence."""
    found: set[str] = set()
    sentence_start = True
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        lower = token.lower().replace("’", "'")
        if token[0].isdigit():
            found.add(token)
        elif lower in _NEGATIONS:
            found.add(lower)
        elif token[0].isupper() and not sentence_start:
            found.add(token)
        end = match.end()
        following = text[end : end + 2]
        sentence_start = following[:1] in (".", "!", "?", ":") or (
            not token[0].isdigit() and following.startswith("\n")
        )
    return found


def verdict(baseline: str, candidate: str) -> dict[str, Any]:
    """The scripted rule: different when the two answers' facts differ."""
    base, cand = facts(baseline), facts(candidate)
    differences = [f"the baseline says {f!r}; the candidate does not" for f in sorted(base - cand)]
    differences += [f"the candidate adds {f!r}" for f in sorted(cand - base)]
    return {"verdict": "different" if differences else "equivalent", "differences": differences}


def conveys(statement: str, text: str) -> dict[str, Any]:
    """The scripted rule of the key-fact question: missing when a fact of ``statement`` is
    not among the answer's."""
    absent = sorted(facts(statement) - facts(text))
    if absent:
        return {"verdict": "missing", "reason": f"the answer does not say {absent[0]!r}"}
    return {"verdict": "conveyed", "reason": "the answer says it"}


def answer(model: str, request: ChatRequest) -> dict[str, Any]:
    """The judge's structured answer to ``request``.

    Raises:
        wire.ApiError: the request does not hold the two tagged answers (400).
    """
    fact_blocks = _FACT_BLOCK.findall(request.user_text)
    if fact_blocks:
        found = dict(fact_blocks)
        if set(found) != {"key_fact", "answer"}:
            raise wire.ApiError(
                400, "a key-fact request holds one <key_fact> and one <answer> block (simulator)"
            )
        if model.endswith("-order-biased") and fact_blocks[0][0] == "answer":
            return {"verdict": "conveyed", "reason": "the answer says it"}
        return conveys(found["key_fact"], found["answer"])
    blocks = _BLOCK.findall(request.user_text)
    texts = dict(blocks)
    if set(texts) != {"baseline", "candidate"}:
        raise wire.ApiError(
            400, "a judge request holds one <baseline> and one <candidate> block (simulator)"
        )
    candidate_first = blocks[0][0] == "candidate"
    if model.endswith("-order-biased") and candidate_first:
        return {"verdict": "equivalent", "differences": []}
    return verdict(texts["baseline"], texts["candidate"])


def schema_name(protocol: wire.Protocol, payload: dict[str, Any]) -> str:
    """The name of the structured output asked for; a request without one is refused as the
    judge protocol's misuse (400).

    Raises:
        wire.ApiError: no ``json_schema`` response format (OpenAI), no forced tool (Anthropic).
    """
    if protocol == "openai":
        fmt = payload.get("response_format")
        if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
            raise wire.ApiError(400, "the judge answers only with response_format json_schema")
        return str((fmt.get("json_schema") or {}).get("name", "output"))
    choice = payload.get("tool_choice")
    tools = payload.get("tools")
    if not isinstance(choice, dict) or choice.get("type") != "tool" or not tools:
        raise wire.ApiError(400, "the judge answers only through a forced tool (tool_choice)")
    return str(choice.get("name"))


def body(
    protocol: wire.Protocol, model: str, payload: dict[str, Any], request: ChatRequest
) -> bytes:
    """The whole HTTP answer body for a judge request."""
    name = schema_name(protocol, payload)
    obj = answer(model, request)
    text = json.dumps(obj, ensure_ascii=False)
    output_tokens = estimate_tokens(text)
    if protocol == "openai":
        return wire.openai_completion(
            served=model,
            fingerprint="fp_sim_judge",
            text=text,
            truncated=False,
            input_tokens=request.input_tokens,
            output_tokens=output_tokens,
        )
    return json.dumps(
        {
            "id": f"msg_sim{uuid.uuid4().hex[:21]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [
                {
                    "type": "tool_use",
                    "id": f"toolu_sim{int(time.time())}",
                    "name": name,
                    "input": obj,
                }
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": request.input_tokens, "output_tokens": output_tokens},
        },
        ensure_ascii=False,
    ).encode()

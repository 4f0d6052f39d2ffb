"""Wire-level behaviour: served ids, fingerprints, usage, truncation, errors, model lists."""

from __future__ import annotations

import hashlib
import json
import math
import urllib.error
import urllib.request
from typing import Any

import anthropic
import openai
import pytest
from sim_helpers import EXTRACT_SYSTEM, EXTRACT_USER, PRIME_USER, ask

from promptcompat.simulator import SimulatorProcess

pytestmark = pytest.mark.anyio
Client = openai.AsyncOpenAI | anthropic.AsyncAnthropic


def raw(
    sim: SimulatorProcess, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body else None
    request = urllib.request.Request(
        sim.url + path, data=data, headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_alias_answers_with_the_served_id_and_fingerprint(oai: openai.AsyncOpenAI) -> None:
    reply = await ask(oai, "gpt-sim-latest", PRIME_USER)
    assert reply.model == "gpt-sim-2025-06-01"
    expected = "fp_sim_" + hashlib.sha256(b"gpt-sim-2025-06-01").hexdigest()[:10]
    assert reply.fingerprint == expected
    old = await ask(oai, "gpt-sim-2024-05-13", PRIME_USER)
    assert old.fingerprint and old.fingerprint.startswith("fp_sim_")
    assert old.fingerprint != expected


async def test_anthropic_serves_every_model_too(ant: anthropic.AsyncAnthropic) -> None:
    reply = await ask(ant, "gpt-sim-latest", PRIME_USER)
    assert reply.model == "gpt-sim-2025-06-01"


async def test_usage_is_estimated_from_characters(client: Client) -> None:
    reply = await ask(client, "gpt-sim-2024-05-13", EXTRACT_USER, system=EXTRACT_SYSTEM)
    assert reply.output_tokens == math.ceil(len(reply.text) / 4)
    prompt_chars = len(EXTRACT_SYSTEM) + 1 + len(EXTRACT_USER)
    assert reply.input_tokens == math.ceil(prompt_chars / 4)


async def test_max_tokens_truncates(client: Client) -> None:
    full = await ask(client, "gpt-sim-2024-05-13", PRIME_USER)
    cut = await ask(client, "gpt-sim-2024-05-13", PRIME_USER, max_tokens=5)
    assert cut.finish in ("length", "max_tokens")
    assert cut.output_tokens == 5
    assert cut.text == full.text[:20]
    assert full.finish in ("stop", "end_turn")


async def test_openai_max_tokens_is_honoured_too(oai: openai.AsyncOpenAI) -> None:
    response = await oai.chat.completions.create(
        model="gpt-sim-2024-05-13",
        messages=[{"role": "user", "content": PRIME_USER}],
        max_tokens=3,
    )
    assert response.choices[0].finish_reason == "length"
    assert (
        response.choices[0].message.content
        == (await ask(oai, "gpt-sim-2024-05-13", PRIME_USER)).text[:12]
    )


async def test_huge_output_ignores_max_tokens(oai: openai.AsyncOpenAI) -> None:
    reply = await ask(oai, "sim-huge-output", "Tell me everything.", max_tokens=16)
    assert len(reply.text) >= 10_000_000
    assert reply.finish == "stop"


async def test_unknown_model_is_a_404_in_each_shape(
    oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> None:
    with pytest.raises(openai.NotFoundError) as openai_error:
        await ask(oai, "gpt-nope", "hi")
    assert openai_error.value.code == "model_not_found"
    with pytest.raises(anthropic.NotFoundError) as anthropic_error:
        await ask(ant, "claude-nope", "hi")
    body = anthropic_error.value.body
    assert isinstance(body, dict)
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"


def test_missing_key_is_401(simproc: SimulatorProcess) -> None:
    message = {"model": "gpt-sim-2024-05-13", "messages": [{"role": "user", "content": "hi"}]}
    status, body = raw(simproc, "/v1/chat/completions", message)
    assert status == 401 and body["error"]["code"] == "missing_api_key"
    status, body = raw(simproc, "/v1/messages", {**message, "max_tokens": 5})
    assert status == 401 and body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "x-api-key header is required"},
    }
    status, _ = raw(simproc, "/v1/models")
    assert status == 401
    status, _ = raw(simproc, "/v1/chat/completions", message, {"authorization": "Bearer any"})
    assert status == 200


def test_bad_requests_are_400s(simproc: SimulatorProcess) -> None:
    auth = {"authorization": "Bearer sim"}
    status, body = raw(simproc, "/v1/chat/completions", b"{not json", auth)
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    status, body = raw(simproc, "/v1/chat/completions", {"model": "gpt-sim-2024-05-13"}, auth)
    assert status == 400 and "messages" in body["error"]["message"]
    no_max = {"model": "claude-sim-3-5-20241022", "messages": [{"role": "user", "content": "x"}]}
    status, body = raw(simproc, "/v1/messages", no_max, {"x-api-key": "sim"})
    assert status == 400 and body["error"]["message"] == "max_tokens: Field required"
    streamed = {**no_max, "max_tokens": 5, "stream": True}
    status, body = raw(simproc, "/v1/messages", streamed, {"x-api-key": "sim"})
    assert status == 400 and "stream" in body["error"]["message"]


async def test_model_lists(
    simproc: SimulatorProcess, oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> None:
    openai_ids = [model.id async for model in oai.models.list()]
    assert {"gpt-sim-2024-05-13", "gpt-sim-latest", "claude-sim-4-20250514"} <= set(openai_ids)
    assert "sim-drift-json_fenced" in openai_ids and "sim-huge-output" in openai_ids

    first = await ant.models.list(limit=2)
    assert len(first.data) == 2 and first.has_more
    assert first.first_id == first.data[0].id and first.last_id == first.data[1].id
    walked = [model.id async for model in await ant.models.list(limit=2)]
    assert len(walked) == len(set(walked)) == len(openai_ids) - 1  # Anthropic lists no aliases
    assert walked[0] == "gpt-sim-2025-06-01"  # newest first
    back = await ant.models.list(limit=2, before_id=walked[3])
    assert [m.id for m in back.data] == walked[1:3]

    retrieved = await oai.models.retrieve("gpt-sim-latest")
    assert retrieved.id == "gpt-sim-latest"
    resolved = await ant.models.retrieve("gpt-sim-latest")
    assert resolved.id == "gpt-sim-2025-06-01"
    with pytest.raises(openai.NotFoundError):
        await oai.models.retrieve("nope")

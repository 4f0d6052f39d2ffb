"""Determinism: temperature 0 and seeds reproduce; noise keeps facts; the "new" mix spreads."""

from __future__ import annotations

import collections
import hashlib
import json

import anthropic
import openai
import py3langid
import pytest
from sim_helpers import CLASSIFY_SYSTEM, EXTRACT_SYSTEM, EXTRACT_USER, PRIME_USER, ask

from promptcompat.simulator import drifts, tasks

pytestmark = pytest.mark.anyio
Client = openai.AsyncOpenAI | anthropic.AsyncAnthropic
REFUSAL = "I'm sorry, but I can't help with that request."
TICKET = "I was charged twice on my card, please refund me."


async def test_temperature_zero_is_a_pure_function(client: Client) -> None:
    for model in ("gpt-sim-2024-05-13", "gpt-sim-2025-06-01", "claude-sim-4-20250514"):
        first = await ask(client, model, PRIME_USER)
        again = await ask(client, model, PRIME_USER, temperature=0)
        assert first.text == again.text


async def test_same_seed_same_answer_and_noise_never_changes_facts(client: Client) -> None:
    seen_text, seen_confidence = set(), set()
    for seed in range(12):
        one = await ask(client, "gpt-sim-2024-05-13", PRIME_USER, temperature=1.0, seed=seed)
        two = await ask(client, "gpt-sim-2024-05-13", PRIME_USER, temperature=1.0, seed=seed)
        assert one.text == two.text
        assert one.text.endswith("[No]") and "13" in one.text
        seen_text.add(one.text)
        label = await ask(
            client, "gpt-sim-2024-05-13", TICKET, system=CLASSIFY_SYSTEM, temperature=0.8, seed=seed
        )
        data = json.loads(label.text)
        assert data["label"] == "billing"
        assert 0.70 <= data["confidence"] <= 0.99
        seen_confidence.add(data["confidence"])
        extracted = await ask(
            client,
            "gpt-sim-2024-05-13",
            EXTRACT_USER,
            system=EXTRACT_SYSTEM,
            temperature=1,
            seed=seed,
        )
        assert json.loads(extracted.text)["email"] == "jane.doe@example.com"
    assert len(seen_text) > 1 and len(seen_confidence) > 3


async def test_unseeded_sampling_varies(oai: openai.AsyncOpenAI) -> None:
    confidences = set()
    for _ in range(10):
        reply = await ask(oai, "gpt-sim-2024-05-13", TICKET, system=CLASSIFY_SYSTEM, temperature=1)
        confidences.add(json.loads(reply.text)["confidence"])
    assert len(confidences) > 1


def _drift_of(text: str, clean: str) -> str:
    if text == clean:
        return "none"
    if text == REFUSAL:
        return "refusal"
    if not text.endswith("]"):
        return "format_ignored"
    if len(text) >= 2 * len(clean):
        return "verbose"
    if py3langid.classify(text)[0] == "es":
        return "language_switched"
    return "paraphrase"


async def test_new_model_mix_spreads_drifts_and_is_stable(client: Client) -> None:
    questions = [
        f"Is {n} a prime number? End your answer with [Yes] or [No]." for n in range(100, 140)
    ]
    kinds: collections.Counter[str] = collections.Counter()
    for question in questions:
        clean = (await ask(client, "gpt-sim-2024-05-13", question)).text
        new = (await ask(client, "gpt-sim-2025-06-01", question)).text
        assert (await ask(client, "gpt-sim-2025-06-01", question, temperature=0)).text == new
        assert (await ask(client, "gpt-sim-latest", question)).text == new
        kinds[_drift_of(new, clean)] += 1
    assert set(kinds) == {
        "none",
        "paraphrase",
        "refusal",
        "format_ignored",
        "verbose",
        "language_switched",
    }, kinds
    assert 10 <= kinds["none"] + kinds["paraphrase"] <= 30


def test_mix_follows_the_documented_buckets() -> None:
    task = tasks.recognise(PRIME_USER, PRIME_USER)
    counts: collections.Counter[str | None] = collections.Counter()
    for i in range(2000):
        canonical = f'[["user","question {i}"]]'
        kind = drifts.new_model_drift("gpt-sim", canonical, task)
        digest = hashlib.sha256(("gpt-sim" + canonical).encode()).digest()
        bucket = int.from_bytes(digest[:8], "big") % 100
        if bucket < 50:
            assert kind == ("paraphrase" if bucket % 2 else None)
        else:
            assert kind in ("refusal", "format_ignored", "verbose", "language_switched")
        counts[kind] += 1
    assert 850 < counts[None] + counts["paraphrase"] < 1150
    for kind in ("refusal", "format_ignored", "verbose", "language_switched"):
        assert 180 < counts[kind] < 330


def test_families_drift_on_different_requests() -> None:
    task = tasks.recognise(PRIME_USER, PRIME_USER)
    pairs = [
        (
            drifts.new_model_drift("gpt-sim", f"q{i}", task),
            drifts.new_model_drift("claude-sim", f"q{i}", task),
        )
        for i in range(100)
    ]
    assert sum(a != b for a, b in pairs) > 30

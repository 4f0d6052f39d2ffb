"""The fault queue, random faults, stats and runtime models, seen through the real SDKs."""

from __future__ import annotations

import time

import anthropic
import openai
import pytest
from sim_helpers import PRIME_USER, ask

from promptcompat.errors import SimulatorError
from promptcompat.simulator import SimulatorProcess

pytestmark = pytest.mark.anyio
OLD = "gpt-sim-2024-05-13"


async def test_429_carries_retry_after_and_is_consumed_in_order(
    fresh: SimulatorProcess, oai: openai.AsyncOpenAI
) -> None:
    fresh.add_faults(
        [
            {"status": 429, "retry_after": 1.5, "count": 2},
            {"status": 429, "retry_after_ms": 250},
        ]
    )
    for _ in range(2):
        with pytest.raises(openai.RateLimitError) as error:
            await ask(oai, OLD, PRIME_USER)
        assert error.value.response.headers["retry-after"] == "1.5"
        assert error.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.RateLimitError) as error:
        await ask(oai, OLD, PRIME_USER)
    assert error.value.response.headers["retry-after-ms"] == "250"
    assert "retry-after" not in error.value.response.headers
    assert (await ask(oai, OLD, PRIME_USER)).text.endswith("[No]")
    assert fresh.stats() == {
        "requests": 4,
        "by_model": {OLD: 4},
        "by_status": {"429": 3, "200": 1},
    }


async def test_quota_and_overload_body_types(
    fresh: SimulatorProcess, oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> None:
    fresh.add_faults([{"status": 429, "body_type": "insufficient_quota"}])
    with pytest.raises(openai.RateLimitError) as quota:
        await ask(oai, OLD, PRIME_USER)
    assert quota.value.code == "insufficient_quota"
    assert "quota" in quota.value.message
    fresh.add_faults([{"status": 529, "body_type": "overloaded_error"}])
    with pytest.raises(anthropic.InternalServerError) as overloaded:
        await ask(ant, OLD, PRIME_USER)
    assert overloaded.value.status_code == 529
    assert overloaded.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded. (simulated fault)"},
    }


async def test_500_in_both_shapes(
    fresh: SimulatorProcess, oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> None:
    fresh.add_faults([{"status": 500, "count": 2}])
    with pytest.raises(openai.InternalServerError):
        await ask(oai, OLD, PRIME_USER)
    with pytest.raises(anthropic.InternalServerError) as error:
        await ask(ant, OLD, PRIME_USER)
    assert isinstance(error.value.body, dict) and error.value.body["error"]["type"] == "api_error"
    assert fresh.stats()["by_status"] == {"500": 2}


async def test_faults_can_target_one_model(
    fresh: SimulatorProcess, oai: openai.AsyncOpenAI
) -> None:
    fresh.add_faults([{"status": 500, "model": "gpt-sim-2025-06-01"}])
    await ask(oai, OLD, PRIME_USER)  # not matched, the fault stays queued
    assert len(fresh.pending_faults()) == 1
    with pytest.raises(openai.InternalServerError):
        await ask(oai, "gpt-sim-latest", PRIME_USER)  # matched by the served id
    await ask(oai, "gpt-sim-latest", PRIME_USER)


async def test_timeout_fault_times_the_client_out(
    fresh: SimulatorProcess, oai: openai.AsyncOpenAI
) -> None:
    fresh.add_faults([{"kind": "timeout", "seconds": 30}])
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        await oai.chat.completions.create(
            model=OLD, messages=[{"role": "user", "content": PRIME_USER}], timeout=0.3
        )
    assert time.monotonic() - started < 5
    assert (await ask(oai, OLD, PRIME_USER)).text.endswith("[No]")
    assert fresh.stats()["by_status"] == {"504": 1, "200": 1}


async def test_short_timeout_fault_answers_504(
    fresh: SimulatorProcess, ant: anthropic.AsyncAnthropic
) -> None:
    fresh.add_faults([{"kind": "timeout", "seconds": 0.05}])
    with pytest.raises(anthropic.InternalServerError) as error:
        await ask(ant, OLD, PRIME_USER)
    assert error.value.status_code == 504


def test_control_api_validates_and_clears(fresh: SimulatorProcess) -> None:
    with pytest.raises(SimulatorError, match="count"):
        fresh.add_faults([{"status": 429, "count": 0}])
    with pytest.raises(SimulatorError, match="unknown fault keys"):
        fresh.add_faults([{"status": 429, "retry_afterr": 1}])
    fresh.add_faults([{"status": 500, "count": 3}])
    fresh.clear_faults()
    assert fresh.pending_faults() == []
    fresh.add_faults([{"status": 500}])
    fresh.reset()
    assert fresh.pending_faults() == []
    assert fresh.stats() == {"requests": 0, "by_model": {}, "by_status": {}}


async def test_latency_is_set_at_runtime(fresh: SimulatorProcess, oai: openai.AsyncOpenAI) -> None:
    fresh.set_latency(400)
    try:
        start = time.monotonic()
        await ask(oai, OLD, PRIME_USER)
        assert time.monotonic() - start >= 0.4
    finally:
        fresh.set_latency(0)
    with pytest.raises(SimulatorError, match="latency_ms"):
        fresh.set_latency(-1)


async def test_runtime_models_and_aliases(
    fresh: SimulatorProcess, oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> None:
    fresh.add_model("gpt-sim-2025-09-01", behaves_like="gpt-sim-2025-06-01")
    assert "gpt-sim-2025-09-01" in [m.id async for m in oai.models.list()]
    assert (await ant.models.list(limit=1)).data[0].id == "gpt-sim-2025-09-01"  # newest first
    new = await ask(oai, "gpt-sim-2025-09-01", PRIME_USER)
    assert new.model == "gpt-sim-2025-09-01"
    assert new.text == (await ask(oai, "gpt-sim-2025-06-01", PRIME_USER)).text
    try:
        fresh.set_alias("gpt-sim-latest", "gpt-sim-2025-09-01")
        assert (await ask(oai, "gpt-sim-latest", PRIME_USER)).model == "gpt-sim-2025-09-01"
    finally:
        fresh.set_alias("gpt-sim-latest", "gpt-sim-2025-06-01")
    fresh.add_model("sim-shadow", behaves_like=OLD, served_as="gpt-sim-2024-05-13")
    assert (await ask(oai, "sim-shadow", PRIME_USER)).model == OLD
    with pytest.raises(SimulatorError, match="404"):
        fresh.add_model("x", behaves_like="no-such-model")


async def test_random_faults_at_a_seeded_rate() -> None:
    with SimulatorProcess(fault_rate=0.5, fault_kinds="429,500", seed=3) as sim:
        client = openai.AsyncOpenAI(base_url=sim.openai_base_url, api_key="sim", max_retries=0)
        outcomes: list[int] = []
        for _ in range(40):
            try:
                await ask(client, OLD, PRIME_USER)
                outcomes.append(200)
            except openai.RateLimitError as error:
                assert error.response.headers["retry-after-ms"] == "200"
                outcomes.append(429)
            except openai.InternalServerError:
                outcomes.append(500)
        await client.close()
        assert set(outcomes) == {200, 429, 500}
        assert 8 <= outcomes.count(200) <= 32
        assert sim.stats()["requests"] == 40

"""Fixtures for the simulator's own tests: a real simulator process per module, real SDKs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import openai
import pytest

from promptcompat.simulator import SimulatorProcess


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def simproc() -> Iterator[SimulatorProcess]:
    with SimulatorProcess(seed=7) as sim:
        yield sim
        # Every error must be an answer in the provider's shape, never a server crash.
        assert "Traceback" not in sim.stderr(), sim.stderr()


@pytest.fixture
def fresh(simproc: SimulatorProcess) -> SimulatorProcess:
    """The module's simulator with faults and counters reset."""
    simproc.reset()
    return simproc


@pytest.fixture
async def oai(simproc: SimulatorProcess) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=simproc.openai_base_url, api_key="sim", max_retries=0)
    yield client
    await client.close()


@pytest.fixture(params=["openai", "anthropic"])
def client(
    request: pytest.FixtureRequest, oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> openai.AsyncOpenAI | anthropic.AsyncAnthropic:
    """Each test using it runs once per SDK."""
    return oai if request.param == "openai" else ant


@pytest.fixture
async def ant(simproc: SimulatorProcess) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(
        base_url=simproc.anthropic_base_url, api_key="sim", max_retries=0
    )
    yield client
    await client.close()

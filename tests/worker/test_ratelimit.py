"""Shared rate limits (ratelimit.py): token buckets in Redis that every worker draws from."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from inline import run_inline
from procs import RedisServer
from sqlalchemy import Engine

from promptcompat.config import RateLimit, Settings
from promptcompat.replay.ratelimit import Bucket, LocalLimiter, RedisLimiter, buckets_for, take
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.suite import Suite
from promptcompat.suite.targets import parse_target

OLD = parse_target("openai:gpt-sim-2024-05-13?temperature=0")


def test_a_bucket_spends_its_burst_then_queues_callers_fairly() -> None:
    bucket = Bucket("b", per_second=10.0, capacity=5.0)
    state: tuple[float, float] | None = None
    waits = []
    for _ in range(10):
        tokens, stamp, wait = take(state, bucket, 1.0, 100.0)
        state = (tokens, stamp)
        waits.append(round(wait, 3))
    assert waits == [0, 0, 0, 0, 0, 0.1, 0.2, 0.3, 0.4, 0.5]
    tokens, _, wait = take(state, bucket, 1.0, 101.0)  # a second later: 10 tokens refilled
    assert wait == 0 and tokens == 4.0


def test_limits_apply_per_pattern_and_per_account() -> None:
    settings = Settings(
        rate_limits={"openai:gpt-sim-2024*": RateLimit(rpm=60), "openai:*": RateLimit(tpm=6000)},
        openai_base_url="http://127.0.0.1:1/v1",
    )
    first = buckets_for(OLD, settings)
    assert [kind for _, kind in first] == ["req"]  # the first matching pattern wins
    assert first[0][0].per_second == 1.0 and first[0][0].capacity == 1.0
    new = parse_target("openai:gpt-sim-2025-06-01")
    assert [kind for _, kind in buckets_for(new, settings)] == ["tok"]
    assert buckets_for(parse_target("anthropic:claude-sim-4-20250514"), settings) == []
    elsewhere = parse_target("openai:gpt-sim-2024-05-13?base_url=http://10.0.0.1/v1")
    assert buckets_for(elsewhere, settings)[0][0].key != first[0][0].key  # another account


def test_the_redis_buckets_are_shared_between_workers(
    start_redis: Callable[..., RedisServer],
) -> None:
    server = start_redis("none")
    settings = Settings(redis_url=server.url, rate_limits={"openai:*": RateLimit(rpm=600)})

    async def scenario() -> list[float]:
        one, two = RedisLimiter(settings), RedisLimiter(settings)
        try:
            return [await (one if i % 2 else two).acquire(OLD, tokens=0) for i in range(20)]
        finally:
            await one.aclose()
            await two.aclose()

    waits = sorted(asyncio.run(scenario()))
    # 10 per second with a one-second burst: ten at once, then one every 100 ms, whichever
    # process asks (a little refill happens while the test itself runs).
    assert sum(1 for w in waits if w == 0) in (10, 11)
    assert 0.85 <= waits[-1] <= 1.0


def test_token_reservations_are_corrected_by_what_the_call_used(
    start_redis: Callable[..., RedisServer],
) -> None:
    server = start_redis("none")
    settings = Settings(redis_url=server.url, rate_limits={"openai:*": RateLimit(tpm=60_000)})

    async def scenario() -> tuple[float, float, float]:
        limiter = RedisLimiter(settings)  # 1000 tokens per second, 1000 at once
        try:
            first = await limiter.acquire(OLD, tokens=900)
            await limiter.settle(OLD, reserved=900, used=100)  # 800 given back
            second = await limiter.acquire(OLD, tokens=800)
            third = await limiter.acquire(OLD, tokens=500)
            return first, second, third
        finally:
            await limiter.aclose()

    first, second, third = asyncio.run(scenario())
    assert first == 0 and second == 0
    assert 0.35 <= third <= 0.5  # 100 + 800 + 500 = 1400 of 1000: 0.4 s to wait


def test_an_embedded_run_keeps_to_its_limit(
    engine: Engine, suite: Suite, settings: Settings, sim: SimulatorProcess
) -> None:
    limited = settings.model_copy(update={"rate_limits": {"openai:*": RateLimit(rpm=3000)}})
    assert isinstance(LocalLimiter(limited), LocalLimiter)
    started = time.monotonic()
    _, stats = run_inline(
        engine=engine,
        suite=suite,
        request=RunRequest(prompts=("extract_contact",)),
        settings=limited,
    )
    took = time.monotonic() - started
    assert sim.stats()["requests"] == stats.provider_calls == 72
    assert took >= (72 - 50) / 50  # 50 at once, then 50 per second

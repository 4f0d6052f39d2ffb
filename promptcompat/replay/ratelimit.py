"""Shared rate limits: token buckets per provider account, held in Redis across workers.

Ten workers that each respect a provider's limit on their own send ten times too much and
meet a storm of 429s. Here every HTTP request first takes its cost from the buckets of its
account (requests per minute, and tokens per minute: the prompt's estimate plus the output it
may produce, corrected once the answer says how many it used). A bucket may go negative: the
caller is told how long to wait for its turn, so waiters queue fairly instead of polling.

``settings.rate_limits`` maps fnmatch patterns on target labels to limits; the first match
wins, and all targets of one account matching one pattern share its buckets. The embedded
default uses the same buckets in memory (one process, no Redis needed).
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from promptcompat.config import RateLimit, Settings
from promptcompat.errors import PromptCompatError
from promptcompat.providers import base_url_for, key_env_for
from promptcompat.suite import Message
from promptcompat.suite.targets import Target

_KEY_PREFIX = "promptcompat:rl:"
_REDIS_RETRY_FOR = 30.0


class LimiterUnavailable(PromptCompatError):
    """The shared limiter (Redis) cannot be reached: the call waits for a later delivery."""


@dataclass(frozen=True)
class Bucket:
    key: str
    per_second: float
    capacity: float


class Limiter(Protocol):
    async def acquire(self, target: Target, *, tokens: int) -> float:
        """Take one request and ``tokens`` tokens; returns the seconds to wait before sending."""

    async def settle(self, target: Target, *, reserved: int, used: int) -> None:
        """Correct the token reservation once the provider said how many it used."""

    async def aclose(self) -> None: ...


def estimate_tokens(messages: tuple[Message, ...], target: Target, settings: Settings) -> int:
    """Prompt tokens (about 4 characters each) plus the most the answer may use."""
    prompt = sum(len(m.content) for m in messages) // 4 + 4 * len(messages)
    output = int(target.sampling.get("max_tokens") or settings.default_max_tokens)
    return prompt + output


def buckets_for(target: Target, settings: Settings) -> list[tuple[Bucket, str]]:
    """The buckets a request to ``target`` draws from, with what each counts (req / tok)."""
    for pattern, limit in settings.rate_limits.items():
        if fnmatch.fnmatchcase(target.label, pattern):
            return _buckets(pattern, limit, _account(target, settings))
    return []


def _account(target: Target, settings: Settings) -> str:
    # An account is where requests go and whose key pays: never the key itself.
    env = key_env_for(target) or "-"
    where = f"{target.provider}|{base_url_for(target, settings) or ''}|{env}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


def _buckets(pattern: str, limit: RateLimit, account: str) -> list[tuple[Bucket, str]]:
    base = _KEY_PREFIX + account + ":" + hashlib.sha256(pattern.encode()).hexdigest()[:12]
    out = []
    for kind, per_minute in (("req", limit.rpm), ("tok", limit.tpm)):
        if per_minute:
            rate = per_minute / 60.0
            out.append((Bucket(f"{base}:{kind}", rate, max(1.0, rate * limit.burst_seconds)), kind))
    return out


def take(
    state: tuple[float, float] | None, bucket: Bucket, cost: float, at: float
) -> tuple[float, float, float]:
    """One bucket step: returns (tokens, timestamp, seconds to wait). Same math as the Lua."""
    tokens, stamp = state if state is not None else (bucket.capacity, at)
    tokens = min(bucket.capacity, tokens + max(0.0, at - stamp) * bucket.per_second) - cost
    tokens = min(tokens, bucket.capacity)
    wait = 0.0 if tokens >= 0 else -tokens / bucket.per_second
    return tokens, at, wait


class LocalLimiter:
    """The buckets in this process: for the embedded default."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._state: dict[str, tuple[float, float]] = {}

    async def acquire(self, target: Target, *, tokens: int) -> float:
        return self._take(target, requests=1, tokens=tokens)

    async def settle(self, target: Target, *, reserved: int, used: int) -> None:
        self._take(target, requests=0, tokens=used - reserved)

    def _take(self, target: Target, *, requests: float, tokens: float) -> float:
        wait = 0.0
        at = time.monotonic()
        for bucket, kind in buckets_for(target, self._settings):
            cost = requests if kind == "req" else tokens
            if cost == 0:
                continue
            level, stamp, delay = take(self._state.get(bucket.key), bucket, cost, at)
            self._state[bucket.key] = (level, stamp)
            wait = max(wait, delay)
        return wait

    async def aclose(self) -> None:
        return None


# KEYS: bucket keys; ARGV: per key (rate per second, capacity, cost), then the TTL.
# Redis's own clock makes every worker agree on time.
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[#ARGV])
local wait = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[3 * i - 2])
  local cap = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local s = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(s[1])
  local ts = tonumber(s[2])
  if tokens == nil or ts == nil then tokens = cap; ts = now end
  local elapsed = now - ts
  if elapsed < 0 then elapsed = 0 end
  tokens = math.min(cap, tokens + elapsed * rate) - cost
  if tokens > cap then tokens = cap end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
  redis.call('EXPIRE', key, ttl)
  if tokens < 0 and -tokens / rate > wait then wait = -tokens / rate end
end
return tostring(wait)
"""


class RedisLimiter:
    """The buckets in Redis, shared by every worker (one Lua call per request: atomic)."""

    def __init__(self, settings: Settings, *, client: Any | None = None) -> None:
        import redis.asyncio

        self._settings = settings
        self._client = client or redis.asyncio.from_url(settings.redis_url)
        self._script = self._client.register_script(_LUA)

    async def acquire(self, target: Target, *, tokens: int) -> float:
        return await self._take(target, requests=1, tokens=tokens)

    async def settle(self, target: Target, *, reserved: int, used: int) -> None:
        await self._take(target, requests=0, tokens=used - reserved)

    async def _take(self, target: Target, *, requests: float, tokens: float) -> float:
        import redis.exceptions

        keys: list[str] = []
        args: list[float] = []
        for bucket, kind in buckets_for(target, self._settings):
            cost = requests if kind == "req" else tokens
            if cost:
                keys.append(bucket.key)
                args += [bucket.per_second, bucket.capacity, cost]
        if not keys:
            return 0.0
        ttl = max(
            60, math.ceil(max(b / r for r, b in zip(args[0::3], args[1::3], strict=True))) * 2
        )
        deadline = time.monotonic() + _REDIS_RETRY_FOR
        delay = 0.1
        while True:
            try:
                return float(await self._script(keys=keys, args=[*args, ttl]))
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                # A Redis restart lasts seconds; the calls wait rather than fail.
                if time.monotonic() + delay > deadline:
                    raise LimiterUnavailable(
                        f"the rate limiter's Redis is unreachable: {exc}"
                    ) from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def aclose(self) -> None:
        await self._client.aclose()


def make_limiter(settings: Settings, *, shared: bool) -> Limiter | None:
    """None without limits; else Redis buckets (``shared``: workers) or in-memory ones."""
    if not settings.rate_limits:
        return None
    return RedisLimiter(settings) if shared else LocalLimiter(settings)

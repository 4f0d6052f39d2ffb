"""The replay engine: run planned calls concurrently, cache first, retries in one place.

Calls already answered (same cache key) cost nothing. The rest run with at most
``concurrency`` in flight per target; transient failures are retried with exponential backoff
that honours Retry-After; a call that still fails is stored as an error with its reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.errors import (
    AuthError,
    ProviderError,
    QuotaError,
    RateLimitedError,
    TransientProviderError,
)
from promptcompat.models import Call
from promptcompat.plan import PlannedCall
from promptcompat.pricing import PriceTable, cost_usd, load_prices
from promptcompat.providers import Provider, make_provider
from promptcompat.store import session_scope

ProviderFactory = Callable[..., Provider]
_FLUSH_EVERY = 256


@dataclass
class ReplayStats:
    total: int = 0
    cached: int = 0
    executed: int = 0
    provider_calls: int = 0
    errors: int = 0
    seconds: float = 0.0


@dataclass
class Progress:
    """What a progress bar shows; ``on_progress`` gets it after every finished call."""

    total: int
    done: int = 0
    cached: int = 0
    errors: int = 0


@dataclass
class _Buffer:
    calls: list[Call] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    provider_calls: int = 0
    errors: int = 0


def snapshot_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def replay(
    calls: Sequence[PlannedCall],
    *,
    engine: Engine,
    run_id: str,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
    provider_factory: ProviderFactory = make_provider,
) -> ReplayStats:
    """Execute ``calls`` for run ``run_id``, writing every result to the store."""
    started = time.perf_counter()
    stats = ReplayStats(total=len(calls))
    progress = Progress(total=len(calls))
    runnable = [c for c in calls if c.render_error is None]
    with session_scope(engine) as session:
        answered = store.answered_calls(session=session, keys=[c.key for c in runnable])
        store.link_calls(session=session, run_id=run_id, keys=answered, cached=True)
        store.add_progress(
            session=session,
            run_id=run_id,
            done=len(answered) + len(calls) - len(runnable),
            cached=len(answered),
            provider_calls=0,
            errors=0,
        )
    stats.cached = len(answered)
    progress.done = progress.cached = len(answered)
    progress.done += len(calls) - len(runnable)
    if on_progress:
        on_progress(progress)
    # Two cases that render to the same request share one call (and one cache key).
    todo = list({c.key: c for c in runnable if c.key not in answered}.values())
    stats.executed = len(todo)
    if todo:
        prices = load_prices(settings.price_table)
        buffer = _Buffer()
        by_target: dict[str, list[PlannedCall]] = {}
        for call in todo:
            by_target.setdefault(call.target.label, []).append(call)
        flusher = _Flusher(engine, run_id, buffer, stats)
        await asyncio.gather(
            *(
                _run_target(
                    group,
                    settings,
                    prices,
                    buffer,
                    progress,
                    on_progress,
                    flusher,
                    provider_factory,
                )
                for group in by_target.values()
            )
        )
        await flusher.flush()
    stats.seconds = time.perf_counter() - started
    return stats


class _Flusher:
    """Writes finished calls in batches, off the event loop, so calls keep flowing."""

    def __init__(self, engine: Engine, run_id: str, buffer: _Buffer, stats: ReplayStats):
        self._engine, self._run_id, self._buffer, self._stats = engine, run_id, buffer, stats
        self._lock = asyncio.Lock()

    async def maybe_flush(self) -> None:
        if len(self._buffer.calls) >= _FLUSH_EVERY and not self._lock.locked():
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            b = self._buffer
            calls, texts, n_calls, n_errors = b.calls, b.texts, b.provider_calls, b.errors
            b.calls, b.texts, b.provider_calls, b.errors = [], {}, 0, 0
            if calls or n_calls:
                await asyncio.to_thread(self._write, calls, texts, n_calls, n_errors)

    def _write(self, calls: list[Call], texts: dict[str, str], n_calls: int, n_errors: int) -> None:
        with session_scope(self._engine) as session:
            store.save_calls(session=session, run_id=self._run_id, calls=calls, texts=texts)
            store.add_progress(
                session=session,
                run_id=self._run_id,
                done=len(calls),
                cached=0,
                provider_calls=n_calls,
                errors=n_errors,
            )
        self._stats.provider_calls += n_calls
        self._stats.errors += n_errors


async def _run_target(
    calls: list[PlannedCall],
    settings: Settings,
    prices: PriceTable,
    buffer: _Buffer,
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
    flusher: _Flusher,
    provider_factory: ProviderFactory,
) -> None:
    target = calls[0].target
    fatal: ProviderError | None = None
    provider: Provider | None = None
    try:
        provider = provider_factory(target, settings)
    except ProviderError as exc:
        fatal = exc
    queue = iter(calls)

    async def worker() -> None:
        nonlocal fatal
        for call in queue:
            if fatal is not None or provider is None:
                assert fatal is not None
                row, text, attempts = _error_row(call, fatal, attempts=0), None, 0
            else:
                row, text, attempts = await _call_with_retries(provider, call, settings, prices)
                if row.error_reason in (AuthError.reason, QuotaError.reason):
                    # The account itself is refused: the remaining calls would fail the same way.
                    fatal = (AuthError if row.error_reason == "auth" else QuotaError)(
                        row.error_message or "refused", where=target.label
                    )
            buffer.calls.append(row)
            buffer.provider_calls += attempts
            if text is not None and row.snapshot_hash:
                buffer.texts[row.snapshot_hash] = text
            if row.status == "error":
                buffer.errors += 1
                progress.errors += 1
            progress.done += 1
            if on_progress:
                on_progress(progress)
            await flusher.maybe_flush()

    try:
        await asyncio.gather(*(worker() for _ in range(min(settings.concurrency, len(calls)))))
    finally:
        if provider is not None:
            await provider.aclose()


async def _call_with_retries(
    provider: Provider, call: PlannedCall, settings: Settings, prices: PriceTable
) -> tuple[Call, str | None, int]:
    attempt = 0
    while True:
        attempt += 1
        started = time.perf_counter()
        try:
            completion = await provider.complete(call.target, call.messages, seed=call.seed)
        except TransientProviderError as exc:
            if attempt >= settings.max_attempts:
                return _error_row(call, exc, attempts=attempt), None, attempt
            await asyncio.sleep(_backoff(attempt, exc, settings))
            continue
        except ProviderError as exc:
            return _error_row(call, exc, attempts=attempt), None, attempt
        latency_ms = (time.perf_counter() - started) * 1000.0
        text = completion.text
        row = _base_row(call)
        row.status = "ok"
        row.snapshot_hash = snapshot_hash(text)
        row.served_model = completion.served_model
        row.fingerprint = completion.fingerprint
        row.finish_reason = completion.finish_reason
        row.input_tokens = completion.input_tokens
        row.output_tokens = completion.output_tokens
        row.latency_ms = round(latency_ms, 3)
        row.attempts = attempt
        if completion.input_tokens is not None and completion.output_tokens is not None:
            row.cost_usd = cost_usd(
                prices,
                call.target.provider,
                completion.served_model or call.target.model,
                completion.input_tokens,
                completion.output_tokens,
            )
        return row, text, attempt


def _backoff(attempt: int, exc: TransientProviderError, settings: Settings) -> float:
    computed = settings.backoff_base * 2 ** (attempt - 1) * random.uniform(0.75, 1.0)
    hinted = exc.retry_after if isinstance(exc, RateLimitedError) and exc.retry_after else 0.0
    return float(min(max(computed, hinted), settings.backoff_max))


def _base_row(call: PlannedCall) -> Call:
    return Call(
        cache_key=call.key,
        prompt=call.prompt,
        version=call.version,
        case_id=call.case_id,
        target=call.target.label,
        sample=call.sample,
        request={
            "provider": call.target.provider,
            "model": call.target.model,
            "params": dict(call.target.params),
            "seed": call.seed,
            "messages": [{"role": m.role, "content": m.content} for m in call.messages],
        },
    )


def _error_row(call: PlannedCall, exc: ProviderError, *, attempts: int) -> Call:
    row = _base_row(call)
    row.status = "error"
    row.error_reason = exc.reason
    row.error_message = str(exc)
    row.attempts = attempts
    return row

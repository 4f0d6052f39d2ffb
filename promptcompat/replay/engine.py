"""The replay engine: run planned calls concurrently, cache first, retries in one place.

Calls already answered (same cache key) cost nothing. The rest run with at most
``concurrency`` in flight per target; transient failures are retried with exponential backoff
that honours Retry-After; a call that still fails is stored as an error with its reason.

With a ``Claimer`` (leases.py) a call is only made once its key is claimed, so parallel copies
of a task never call the provider twice for one key; with a ``Limiter`` (ratelimit.py) every
request waits for its turn in the shared rate limits; with a ``deadline`` no attempt starts
that could not finish before it (the call is *deferred*: not an error, left for a later task).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

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
from promptcompat.providers import Provider, make_provider
from promptcompat.providers.completion import Completion
from promptcompat.replay.leases import Claimer, Claims
from promptcompat.replay.plan import PlannedCall
from promptcompat.replay.pricing import PriceTable, cost_usd, load_prices
from promptcompat.replay.ratelimit import Limiter, LimiterUnavailable, estimate_tokens
from promptcompat.store import session_scope
from promptcompat.store.call_rows import CallRow
from promptcompat.store.redaction import RunRedaction
from promptcompat.suite import Message
from promptcompat.suite.agent_loops import AgentLoop, fixture_for
from promptcompat.suite.targets import Target
from promptcompat.suite.turns import (
    TEXT,
    TURN,
    OutputKind,
    Turn,
    call_json,
    read_turn,
    turn_document,
)

ProviderFactory = Callable[..., Provider]
_FLUSH_EVERY = 256
_PROGRESS_EVERY = 1.0  # seconds between recounts of the run's progress counters


@dataclass
class ReplayStats:
    total: int = 0
    cached: int = 0
    executed: int = 0
    """Calls sent to a provider (each distinct key once)."""
    provider_calls: int = 0
    """HTTP requests, retries included."""
    errors: int = 0
    busy: int = 0
    """Calls left alone because another live owner holds their lease."""
    deferred: int = 0
    """Calls not started (or not retried) because the deadline was near."""
    retry_in: float = 0.0
    """When busy: seconds until the earliest of those leases expires."""
    waiting_on: list[str] = field(default_factory=list)
    """When busy: the keys another live owner holds."""
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return self.busy == 0 and self.deferred == 0


@dataclass
class Progress:
    """What a progress bar shows; ``on_progress`` gets it after every finished call."""

    total: int
    done: int = 0
    cached: int = 0
    errors: int = 0


@dataclass
class _Buffer:
    calls: list[CallRow] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    turns: set[str] = field(default_factory=set)
    """Hashes among ``texts`` that are turn documents (answers with tool calls or a refusal)."""
    steps: list[CallRow] = field(default_factory=list)
    """The steps of agent loops: stored and cached like calls, not linked to the run (its
    planned call is the loop, whose row holds the last turn)."""
    provider_calls: int = 0
    errors: int = 0


class _Deferred(Exception):
    """The call was not finished before the deadline; a later task makes it."""


def snapshot_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_output(completion: Completion) -> tuple[str, OutputKind]:
    """What a snapshot stores of an answer: its text, or, when it has tool calls or a refusal,
    the canonical JSON document of the whole turn (``promptcompat/suite/turns.py``)."""
    turn = Turn(text=completion.text, tool_calls=completion.tool_calls, refusal=completion.refusal)
    return (completion.text, TEXT) if turn.plain else (turn_document(turn), TURN)


async def replay(
    calls: Sequence[PlannedCall],
    *,
    engine: Engine,
    run_id: str | None,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
    provider_factory: ProviderFactory = make_provider,
    claimer: Claimer | None = None,
    limiter: Limiter | None = None,
    deadline: float | None = None,
) -> ReplayStats:
    """Execute ``calls`` for run ``run_id``, writing every result to the store.

    ``deadline`` is a ``time.monotonic()`` value. ``run_id`` None: calls of no run (a judge
    calibration): cached like every call, linked to and counted in no run.
    """
    started = time.perf_counter()
    distinct = list({c.key: c for c in calls}.values())
    runnable = [c for c in distinct if c.render_error is None]
    stats = ReplayStats(total=len(distinct))
    progress = Progress(total=len(distinct))
    claims: Claims | None = None
    # One transaction: what the cache answers is linked, and the rest claimed.
    with session_scope(engine) as session:
        answered = store.answered_keys(session=session, keys=[c.key for c in runnable])
        redaction = RunRedaction.for_run(session=session, run_id=run_id or "", settings=settings)
        todo = [c for c in runnable if c.key not in answered]
        # Agent loops to run: which first steps the store already answers (one query here,
        # instead of one per loop later).
        first_steps = [c.step_key(c.messages) for c in todo if c.loop is not None]
        stored_steps = (
            store.answered_keys(session=session, keys=first_steps) if first_steps else set()
        )
        if todo and claimer is not None:
            claims = claimer.claim(session=session, keys=[c.key for c in todo])
            answered |= claims.answered
        if run_id is not None:
            store.link_calls(session=session, run_id=run_id, keys=answered, cached=True)
            store.refresh_progress(session=session, run_id=run_id)
    stats.cached = progress.cached = len(answered)
    progress.done = len(answered) + len(distinct) - len(runnable)
    if claims is not None:
        todo = [c for c in todo if c.key in claims.mine]
        stats.busy = len(claims.busy)
        stats.retry_in = min(claims.busy.values(), default=0.0)
        stats.waiting_on = sorted(claims.busy)
    if on_progress:
        on_progress(progress)
    stats.executed = len(todo)
    if todo:
        context = _Context(
            settings,
            load_prices(settings.price_table),
            limiter,
            deadline,
            engine=engine,
            stored_steps=stored_steps,
        )
        flusher = _Flusher(
            engine, run_id, _Buffer(), stats, claimer, settings.flush_interval, redaction
        )
        by_target: dict[Target, list[PlannedCall]] = {}
        for call in todo:
            by_target.setdefault(call.target, []).append(call)
        periodic = asyncio.create_task(flusher.run_periodically())
        heartbeat = asyncio.create_task(_heartbeat(engine, claimer)) if claimer else None
        try:
            await asyncio.gather(
                *(
                    _run_target(group, context, progress, on_progress, flusher, provider_factory)
                    for group in by_target.values()
                )
            )
        finally:
            # Stopped, not cancelled: a cancelled flush would lose the counts it was writing.
            await flusher.stop(periodic)
            if heartbeat is not None:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
        stats.executed -= stats.deferred
    if claimer is not None and stats.deferred:
        with session_scope(engine) as session:
            claimer.release(session=session)
    stats.seconds = time.perf_counter() - started
    return stats


async def _heartbeat(engine: Engine, claimer: Claimer) -> None:
    """Renew this claimer's leases while its calls run, so nobody takes them over."""
    while True:
        await asyncio.sleep(claimer.lease_seconds / 3)

        def renew() -> None:
            with session_scope(engine) as session:
                claimer.renew(session=session)

        await asyncio.to_thread(renew)


@dataclass
class _Context:
    settings: Settings
    prices: PriceTable
    limiter: Limiter | None
    deadline: float | None
    engine: Engine | None = None
    """The store an agent loop looks its steps up in."""
    stored_steps: set[str] = field(default_factory=set)
    """The first steps of the run's agent loops that the store answered when it started."""

    def too_late(self, wait: float = 0.0) -> bool:
        if self.deadline is None:
            return False
        return time.monotonic() + wait + self.settings.request_timeout > self.deadline


class _Flusher:
    """Writes finished calls in batches, off the event loop, so calls keep flowing.

    A batch is written when it is large or ``interval`` seconds old: a worker killed mid-shard
    loses at most the calls it had in flight and the last fraction of a second.
    """

    def __init__(
        self,
        engine: Engine,
        run_id: str | None,
        buffer: _Buffer,
        stats: ReplayStats,
        claimer: Claimer | None,
        interval: float,
        redaction: RunRedaction,
    ) -> None:
        self._engine, self._run_id, self._buffer, self._stats = engine, run_id, buffer, stats
        self._claimer, self._interval, self._redaction = claimer, interval, redaction
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._counted_at = 0.0
        self._uncounted = False  # results written since the last recount of the progress

    @property
    def buffer(self) -> _Buffer:
        return self._buffer

    @property
    def stats(self) -> ReplayStats:
        return self._stats

    async def run_periodically(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
            if self._stopping.is_set():
                break
            # A recount is also due when results were written without one and nothing else
            # has arrived since (the rest of the run hangs): else progress would stay stale.
            recount_due = self._uncounted and time.monotonic() - self._counted_at >= _PROGRESS_EVERY
            if self._buffer.calls or self._buffer.provider_calls or recount_due:
                await self.flush()
        # Stopped (the calls ended, or the run is being cancelled): the rest, and an exact
        # recount of the progress, in one last transaction; none if nothing is left to say.
        if self._buffer.calls or self._buffer.provider_calls or self._uncounted:
            await self.flush(recount=True)

    async def stop(self, periodic: asyncio.Task[None]) -> None:
        self._stopping.set()
        await periodic

    async def maybe_flush(self) -> None:
        if len(self._buffer.calls) >= _FLUSH_EVERY and not self._lock.locked():
            await self.flush()

    async def flush(self, *, recount: bool = False) -> None:
        async with self._lock:
            b = self._buffer
            calls, texts, n_calls, n_errors = b.calls, b.texts, b.provider_calls, b.errors
            turns, steps = b.turns, b.steps
            b.calls, b.texts, b.provider_calls, b.errors, b.turns = [], {}, 0, 0, set()
            b.steps = []
            await asyncio.to_thread(self._write, calls, texts, turns, n_calls, recount, steps)
            self._stats.provider_calls += n_calls
            self._stats.errors += n_errors

    def _write(
        self,
        calls: list[CallRow],
        texts: dict[str, str],
        turns: set[str],
        n_calls: int,
        recount: bool,
        steps: list[CallRow],
    ) -> None:
        recount = recount or time.monotonic() - self._counted_at >= _PROGRESS_EVERY or not calls
        # The one way results reach the store: personal data and secrets go no further.
        rows, texts, turns = self._redaction.apply([*steps, *calls], texts, turns)
        steps, calls = rows[: len(steps)], rows[len(steps) :]
        with session_scope(self._engine) as session:
            if self._run_id is None:
                # Calls of no run (a judge's calibration): stored and cached, nothing more.
                store.save_results(
                    session=session, calls=[*steps, *calls], texts=texts, turns=turns
                )
                return
            # The outputs first (calls point at them), with the steps of agent loops, which
            # are stored and cached but not the run's own calls.
            store.save_results(session=session, calls=steps, texts=texts, turns=turns)
            store.save_calls(session=session, run_id=self._run_id, calls=calls, texts={})
            store.add_provider_calls(session=session, run_id=self._run_id, requests=n_calls)
            if self._claimer is not None:
                # Same transaction as the result: a crash leaves either both or neither.
                self._claimer.release(session=session, keys=[c.cache_key for c in calls])
            if recount:
                store.refresh_progress(session=session, run_id=self._run_id)
        if recount:
            self._counted_at = time.monotonic()
        self._uncounted = not recount


async def _run_target(
    calls: list[PlannedCall],
    context: _Context,
    progress: Progress,
    on_progress: Callable[[Progress], None] | None,
    flusher: _Flusher,
    provider_factory: ProviderFactory,
) -> None:
    target = calls[0].target
    fatal: ProviderError | None = None
    provider: Provider | None = None
    try:
        provider = provider_factory(target, context.settings)
    except ProviderError as exc:
        fatal = exc
    queue = iter(calls)
    buffer = flusher.buffer

    async def worker() -> None:
        nonlocal fatal
        for call in queue:
            if fatal is not None or provider is None:
                assert fatal is not None
                row, text, kind = _error_row(call, fatal, attempts=0), None, TEXT
            else:
                try:
                    row, text, kind = await _call_with_retries(provider, call, context, buffer)
                except _Deferred:
                    flusher.stats.deferred += 1
                    continue
                if row.error_reason in (AuthError.reason, QuotaError.reason):
                    # The account itself is refused: the remaining calls would fail the same way.
                    fatal = (AuthError if row.error_reason == "auth" else QuotaError)(
                        row.error_message or "refused", where=target.label
                    )
            buffer.calls.append(row)
            if text is not None and row.snapshot_hash:
                buffer.texts[row.snapshot_hash] = text
                if kind == TURN:
                    buffer.turns.add(row.snapshot_hash)
            if row.status == "error":
                buffer.errors += 1
                progress.errors += 1
            progress.done += 1
            if on_progress:
                on_progress(progress)
            await flusher.maybe_flush()

    try:
        await asyncio.gather(
            *(worker() for _ in range(min(context.settings.concurrency, len(calls))))
        )
    finally:
        if provider is not None:
            await provider.aclose()


async def _call_with_retries(
    provider: Provider, call: PlannedCall, context: _Context, buffer: _Buffer
) -> tuple[CallRow, str | None, OutputKind]:
    if call.loop is not None:
        return await _run_loop(provider, call, call.loop, context, buffer)
    settings, limiter = context.settings, context.limiter
    attempt = 0
    while True:
        if context.too_late():
            raise _Deferred
        reserved = 0
        if limiter is not None:
            reserved = estimate_tokens(call.messages, call.target, settings)
            try:
                wait = await limiter.acquire(call.target, tokens=reserved)
            except LimiterUnavailable:
                raise _Deferred from None
            if context.too_late(wait):
                await limiter.settle(call.target, reserved=reserved, used=0)
                raise _Deferred
            if wait > 0:
                await asyncio.sleep(wait)
        attempt += 1
        buffer.provider_calls += 1
        started = time.perf_counter()
        try:
            completion = await provider.complete(
                call.target, call.messages, seed=call.seed, options=call.options
            )
        except TransientProviderError as exc:
            if attempt >= settings.max_attempts:
                return _error_row(call, exc, attempts=attempt), None, TEXT
            delay = _backoff(attempt, exc, settings)
            if context.too_late(delay):
                raise _Deferred from None
            await asyncio.sleep(delay)
            continue
        except ProviderError as exc:
            return _error_row(call, exc, attempts=attempt), None, TEXT
        latency_ms = (time.perf_counter() - started) * 1000.0
        if limiter is not None and completion.input_tokens is not None:
            used = completion.input_tokens + (completion.output_tokens or 0)
            await _settle(limiter, call.target, reserved, used)
        text, kind = stored_output(completion)
        row = _base_row(call)
        row.status = "ok"
        row.snapshot_hash = snapshot_hash(text)
        row.served_model = completion.served_model
        row.fingerprint = completion.fingerprint
        row.finish_reason = completion.finish_reason
        row.input_tokens = completion.input_tokens
        row.output_tokens = completion.output_tokens
        row.reasoning_tokens = completion.reasoning_tokens
        row.latency_ms = round(latency_ms, 3)
        row.attempts = attempt
        if completion.input_tokens is not None and completion.output_tokens is not None:
            row.cost_usd = cost_usd(
                context.prices,
                call.target.provider,
                completion.served_model or call.target.model,
                completion.input_tokens,
                completion.output_tokens,
            )
        return row, text, kind


async def _run_loop(
    provider: Provider,
    call: PlannedCall,
    loop: AgentLoop,
    context: _Context,
    buffer: _Buffer,
) -> tuple[CallRow, str | None, OutputKind]:
    """An agent loop (``promptcompat/suite/agent_loops.py``): step after step, each a cached
    call of its own, until an answer without tool calls or ``max_steps``.

    The row returned is the loop's: the last turn, with the keys of its steps in its request.
    A tool call no fixture answers, or a model still calling tools at the limit, ends the loop
    as an error of the case (never a retry, never a crash).
    """
    messages = call.messages
    keys: list[str] = []
    steps: list[CallRow] = []
    where = f"{call.source or call.prompt}: case {call.case_id}"
    # A step's request holds every earlier answer: once a step is not in the store, no later
    # one can be, so the store is asked only while the loop replays stored steps.
    in_store = call.step_key(messages) in context.stored_steps
    for number in range(1, loop.max_steps + 1):
        key = call.step_key(messages)
        keys.append(key)
        found = await _cached_step(context, buffer, key, in_store=in_store)
        in_store = in_store and found is not None
        if found is None:
            step = replace(call, key=key, messages=messages, loop=None)
            row, text, kind = await _call_with_retries(provider, step, context, buffer)
            buffer.steps.append(row)
            if text is not None and row.snapshot_hash:
                buffer.texts[row.snapshot_hash] = text
                if kind == TURN:
                    buffer.turns.add(row.snapshot_hash)
            if row.status != "ok" or text is None:
                return _loop_row(call, loop, keys, steps, row), None, TEXT
            found = row, text, kind
        row, text, kind = found
        steps.append(row)
        turn = read_turn(text, kind)
        if not turn.tool_calls:
            return _loop_row(call, loop, keys, steps, row), text, kind
        results: list[Message] = []
        for tool_call in turn.tool_calls:
            fixture = fixture_for(loop, tool_call)
            if fixture is None:
                failed = _loop_row(call, loop, keys, steps, row)
                failed.status, failed.snapshot_hash = "error", None
                failed.error_reason = "fixture_missing"
                failed.error_message = (
                    f"{where}: step {number}: no fixture answers {tool_call.name}"
                    f"({tool_call.raw_arguments}); add one under fixtures.{tool_call.name}"
                )
                return failed, None, TEXT
            results.append(Message("tool", fixture.result, tool_call_id=tool_call.id))
        assistant = Message("assistant", turn.text, tool_calls=turn.tool_calls)
        messages = (*messages, assistant, *results)
    failed = _loop_row(call, loop, keys, steps, steps[-1])
    failed.status, failed.snapshot_hash = "error", None
    failed.error_reason = "max_steps_exceeded"
    failed.error_message = (
        f"{where}: the model still calls tools after max_steps={loop.max_steps} steps"
    )
    return failed, None, TEXT


async def _cached_step(
    context: _Context, buffer: _Buffer, key: str, *, in_store: bool
) -> tuple[CallRow, str, OutputKind] | None:
    """An answered step: made earlier in this run (not yet stored), or (``in_store``: it may
    be) in the store."""
    for row in buffer.steps:
        if row.cache_key == key and row.status == "ok" and row.snapshot_hash in buffer.texts:
            kind = TURN if row.snapshot_hash in buffer.turns else TEXT
            return row, buffer.texts[row.snapshot_hash], kind
    engine = context.engine
    if engine is None or not in_store:
        return None

    def load() -> tuple[CallRow, str, OutputKind] | None:
        with session_scope(engine) as session:
            row = store.result_rows(session=session, keys=[key]).get(key)
            if row is None or row.status != "ok" or row.snapshot_hash is None:
                return None
            stored = store.load_outputs(session=session, hashes=[row.snapshot_hash])
            output = stored.get(row.snapshot_hash)
            return None if output is None else (row, output.text, output.kind)

    return await asyncio.to_thread(load)


def _loop_row(
    call: PlannedCall, loop: AgentLoop, keys: list[str], steps: list[CallRow], last: CallRow
) -> CallRow:
    """The loop's own row: the last step's answer and metadata, the steps' costs summed."""
    row = _base_row(call)
    row.request["loop"] = loop.canonical()
    row.request["steps"] = keys
    row.status, row.snapshot_hash = last.status, last.snapshot_hash
    row.error_reason, row.error_message = last.error_reason, last.error_message
    row.served_model, row.fingerprint = last.served_model, last.fingerprint
    row.finish_reason = last.finish_reason
    done = [s for s in steps if s.status == "ok"]
    row.input_tokens = sum(s.input_tokens or 0 for s in done) if done else None
    row.output_tokens = sum(s.output_tokens or 0 for s in done) if done else None
    row.latency_ms = round(sum(s.latency_ms or 0.0 for s in done), 3) if done else None
    costs = [s.cost_usd for s in done if s.cost_usd is not None]
    row.cost_usd = sum(costs) if costs else None
    row.attempts = sum(s.attempts for s in steps) or last.attempts
    return row


async def _settle(limiter: Limiter, target: Target, reserved: int, used: int) -> None:
    # A failed correction only leaves the estimate in place: not worth failing the call.
    with contextlib.suppress(LimiterUnavailable):
        await limiter.settle(target, reserved=reserved, used=used)


def _backoff(attempt: int, exc: TransientProviderError, settings: Settings) -> float:
    computed = settings.backoff_base * 2 ** (attempt - 1) * random.uniform(0.75, 1.0)
    hinted = exc.retry_after if isinstance(exc, RateLimitedError) and exc.retry_after else 0.0
    return float(min(max(computed, hinted), settings.backoff_max))


def _base_row(call: PlannedCall) -> CallRow:
    request: dict[str, object] = {
        "provider": call.target.provider,
        "model": call.target.model,
        "params": dict(call.target.params),
        "seed": call.seed,
        "messages": [_request_message(m) for m in call.messages],
    }
    if not call.options.empty:
        request.update(call.options.canonical())
    return CallRow(
        cache_key=call.key,
        prompt=call.prompt,
        version=call.version,
        case_id=call.case_id,
        target=call.target.label,
        sample=call.sample,
        request=request,
    )


def _request_message(message: Message) -> dict[str, object]:
    out: dict[str, object] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [call_json(c) for c in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


def _error_row(call: PlannedCall, exc: ProviderError, *, attempts: int) -> CallRow:
    row = _base_row(call)
    row.status = "error"
    row.error_reason = exc.reason
    row.error_message = str(exc)
    row.attempts = attempts
    return row


def error_rows(calls: Sequence[PlannedCall], *, reason: str, message: str) -> list[CallRow]:
    """Results for calls given up without an answer (e.g. a shard that kept killing workers)."""
    return [_error_row(c, ProviderError(message, reason=reason), attempts=0) for c in calls]

"""Injected faults (a FIFO queue from the control API, or random at a rate) and call stats."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("429", "500", "529", "timeout")
DEFAULT_TIMEOUT_S = 30.0
_SPEC_KEYS = frozenset(
    {"status", "kind", "count", "model", "seconds", "retry_after", "retry_after_ms"}
    | {"body_type", "message"}
)


@dataclass
class Fault:
    status: int
    """HTTP status answered; for a timeout, the one sent if the client is still waiting."""
    timeout: bool = False
    seconds: float = DEFAULT_TIMEOUT_S
    """How long a timeout fault hangs before answering 504."""
    count: int = 1
    model: str | None = None
    retry_after: float | None = None
    retry_after_ms: float | None = None
    body_type: str | None = None
    message: str | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = []
        if self.retry_after is not None:
            out.append((b"retry-after", _number(self.retry_after).encode()))
        if self.retry_after_ms is not None:
            out.append((b"retry-after-ms", _number(self.retry_after_ms).encode()))
        return out


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_fault(spec: Any) -> Fault:
    """One fault from its JSON spec; ValueError names what is wrong."""
    if not isinstance(spec, dict):
        raise ValueError("each fault must be an object")
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
    kind = spec.get("kind", "status")
    if kind not in ("status", "timeout"):
        raise ValueError("kind must be 'status' or 'timeout'")
    timeout = kind == "timeout"
    status = spec.get("status", 504 if timeout else 500)
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        raise ValueError("status must be an integer from 400 to 599")
    count = spec.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("count must be a positive integer")
    fault = Fault(status=status, timeout=timeout, count=count)
    for name in ("seconds", "retry_after", "retry_after_ms"):
        value = spec.get(name)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a non-negative number")
            setattr(fault, name, float(value))
    for name in ("model", "body_type", "message"):
        value = spec.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
            setattr(fault, name, value)
    return fault


class FaultQueue:
    """Faults consumed in order by the chat/messages calls they match."""

    def __init__(self) -> None:
        self._queue: list[Fault] = []

    def add(self, specs: Any) -> int:
        if not isinstance(specs, list):
            raise ValueError("'faults' must be an array")
        parsed = [parse_fault(spec) for spec in specs]  # all or nothing
        self._queue.extend(parsed)
        return len(self._queue)

    def take(self, requested: str, served: str | None) -> Fault | None:
        for index, fault in enumerate(self._queue):
            if fault.model is None or fault.model in (requested, served):
                fault.count -= 1
                if fault.count == 0:
                    del self._queue[index]
                return fault
        return None

    def clear(self) -> None:
        self._queue.clear()

    def pending(self) -> list[dict[str, Any]]:
        return [asdict(fault) for fault in self._queue]


def parse_kinds(raw: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"429,500"`` or a list of them; ValueError on an unknown kind."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    kinds = tuple(item.strip() for item in items if item.strip())
    bad = [k for k in kinds if k not in FAULT_KINDS]
    if bad:
        raise ValueError(f"unknown fault kind(s) {', '.join(bad)}; use {', '.join(FAULT_KINDS)}")
    return kinds


class RandomFaults:
    """A fault on a ``rate`` share of calls, the kind drawn from ``kinds``."""

    def __init__(
        self, rate: float, kinds: tuple[str, ...], rng: random.Random, timeout_s: float
    ) -> None:
        if not 0.0 <= rate <= 1.0 or math.isnan(rate):
            raise ValueError("fault rate must be between 0 and 1")
        self.rate = rate
        # A rate without kinds means the common transient storm: rate limits and 500s.
        self.kinds = kinds or ("429", "500")
        self._rng = rng
        self._timeout_s = timeout_s

    def draw(self) -> Fault | None:
        if self.rate <= 0.0 or self._rng.random() >= self.rate:
            return None
        kind = self.kinds[self._rng.randrange(len(self.kinds))]
        if kind == "timeout":
            return Fault(status=504, timeout=True, seconds=self._timeout_s)
        if kind == "429":
            # Both hints, as OpenAI sends them; clients prefer the precise one.
            return Fault(status=429, retry_after=1.0, retry_after_ms=200.0)
        return Fault(status=int(kind))


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.by_model: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()

    def record(self, model: str | None, status: int) -> None:
        self.requests += 1
        self.by_model[model or "(none)"] += 1
        self.by_status[str(status)] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_model": dict(self.by_model),
            "by_status": dict(self.by_status),
        }

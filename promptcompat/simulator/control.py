"""The control API under ``/_sim/`` (part of neither provider protocol): faults, stats, models.

Tests and demos drive the simulator through it: queue a 429 for the next call, read how many
calls were made, release a new model id for the model-list watcher to notice.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from promptcompat.simulator.faults import FaultQueue, Stats
from promptcompat.simulator.models import Catalogue

Reply = tuple[int, bytes, list[tuple[bytes, bytes]]]
"""Status, body and headers of an answer."""


class Controlled(Protocol):
    """What the control routes read and change of the simulator (the server implements it)."""

    catalogue: Catalogue
    faults: FaultQueue
    stats: Stats
    list_faults: list[int]
    latency_s: float


def control(app: Controlled, method: str, path: str, raw: bytes) -> Reply:
    route = (method, path.rstrip("/"))
    try:
        if route == ("GET", "/_sim/health"):
            return _ok({"ok": True})
        if route == ("GET", "/_sim/stats"):
            return _ok(app.stats.as_dict())
        if route == ("POST", "/_sim/reset"):
            app.stats.reset()
            app.faults.clear()
            app.list_faults.clear()
            return _ok({"ok": True})
        if route == ("POST", "/_sim/latency"):
            # A test slows the provider to catch a run mid-flight, then speeds it up again
            # for what follows (a resume need not wait 300 ms a call).
            latency_ms = _body(raw).get("latency_ms")
            if not isinstance(latency_ms, int | float) or latency_ms < 0:
                raise ValueError("'latency_ms' must be a number of milliseconds, 0 or more")
            app.latency_s = latency_ms / 1000.0
            return _ok({"latency_ms": latency_ms})
        if route == ("GET", "/_sim/faults"):
            return _ok({"faults": app.faults.pending()})
        if route == ("DELETE", "/_sim/faults"):
            app.faults.clear()
            return _ok({"queued": 0})
        if route == ("POST", "/_sim/faults"):
            queued = app.faults.add(_body(raw).get("faults"))
            return _ok({"queued": queued})
        if route == ("POST", "/_sim/model-list-faults"):
            statuses = _body(raw).get("statuses")
            if not isinstance(statuses, list) or not all(
                isinstance(s, int) and 400 <= s <= 599 for s in statuses
            ):
                raise ValueError("'statuses' must be an array of HTTP error statuses (400-599)")
            app.list_faults.extend(statuses)
            return _ok({"queued": len(app.list_faults)})
        if route == ("POST", "/_sim/models") and "ids" in _body(raw):
            body = _body(raw)
            ids = body["ids"]
            if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
                raise ValueError("'ids' must be an array of model ids")
            for model_id in ids:
                app.catalogue.add_model(model_id, behaves_like=_string(body, "behaves_like"))
            return _ok({"added": len(ids)})
        if route == ("POST", "/_sim/models"):
            body = _body(raw)
            model_id = _string(body, "id")
            spec = app.catalogue.add_model(
                model_id,
                behaves_like=_string(body, "behaves_like"),
                served_as=_optional(body, "served_as"),
            )
            return _ok({"id": spec.id, "served_as": spec.served_as, "behaviour": spec.behaviour})
        if route == ("POST", "/_sim/aliases"):
            body = _body(raw)
            alias = _string(body, "alias")
            app.catalogue.set_alias(alias, _string(body, "served_as"))
            resolved = app.catalogue.resolve(alias)
            return _ok({"alias": alias, "served_as": resolved.served_as if resolved else None})
    except KeyError as exc:
        return _error(404, f"unknown model {exc.args[0]!r}")
    except ValueError as exc:
        return _error(400, str(exc))
    return _error(404, f"no control route {method} {path}")


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise ValueError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def _optional(body: dict[str, Any], key: str) -> str | None:
    return None if body.get(key) is None else _string(body, key)


def _ok(payload: dict[str, Any]) -> Reply:
    return 200, json.dumps(payload).encode(), []


def _error(status: int, message: str) -> Reply:
    return status, json.dumps({"error": message}).encode(), []

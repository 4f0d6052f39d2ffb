"""kombu's Redis transport, hardened: a malformed message is logged and dropped.

Measured with kombu 5.7: an item on the queue list that is not JSON makes kombu raise
``JSONDecodeError`` out of the consumer loop, and the worker exits with "Unrecoverable error";
a JSON item without a complete message envelope restarts the consumer (and, with
``worker_cancel_long_running_tasks_on_connection_loss``, cancels the running tasks). Anyone who
can write to Redis (or a bug) could stop every worker that way, so such items are dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis

log = logging.getLogger("worker.transport")


def well_formed(message: Any) -> bool:
    """Whether ``message`` has the shape of a kombu message envelope."""
    if not isinstance(message, dict) or "body" not in message:
        return False
    properties = message.get("properties")
    if not isinstance(properties, dict) or "delivery_tag" not in properties:
        return False
    info = properties.get("delivery_info")
    # kombu's Redis QoS reads both when it records the message as unacknowledged.
    return (
        isinstance(info, dict)
        and "exchange" in info
        and "routing_key" in info
        and isinstance(message.get("headers", {}), dict)
    )


class Channel(redis.Channel):
    def _brpop_read(self, **options: Any) -> Any:
        try:
            return super()._brpop_read(**options)  # type: ignore[no-untyped-call]
        except self.connection_errors:
            raise
        except ValueError as exc:
            # Not JSON, or a body that does not decode. The item was already popped from the
            # list: dropping it means logging it.
            log.error("dropped a malformed message: %s", exc)
            return True


class Transport(redis.Transport):
    Channel = Channel

    def _deliver(self, message: Any, queue: str) -> None:
        if not well_formed(message):
            log.error("dropped a malformed message from %s: %.200r", queue, message)
            return
        super()._deliver(message, queue)  # type: ignore[no-untyped-call]

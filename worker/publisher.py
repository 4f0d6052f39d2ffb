"""The core's ``Publisher`` (promptcompat.runs.dispatch) on Celery: tasks are sent by name."""

from __future__ import annotations

from collections.abc import Sequence

from amqp.exceptions import ChannelError
from celery import Celery
from kombu.exceptions import OperationalError

from promptcompat.config import Settings
from promptcompat.runs.dispatch import BrokerUnavailableError

REPLAY_SHARD = "promptcompat.replay_shard"
FINALIZE_RUN = "promptcompat.finalize_run"
RECONCILE = "promptcompat.reconcile"


class CeleryPublisher:
    def __init__(self, app: Celery, settings: Settings) -> None:
        self._app = app
        self._queue = settings.queue

    def publish_shards(self, run_id: str, shards: Sequence[int]) -> None:
        try:
            with self._app.producer_or_acquire() as producer:
                for shard in shards:
                    self._app.send_task(
                        REPLAY_SHARD, args=[run_id, shard], queue=self._queue, producer=producer
                    )
        except OperationalError as exc:
            raise BrokerUnavailableError(f"cannot publish to the broker: {exc}") from None

    def publish_finalize(self, run_id: str) -> None:
        try:
            self._app.send_task(FINALIZE_RUN, args=[run_id], queue=self._queue)
        except OperationalError as exc:
            raise BrokerUnavailableError(f"cannot publish to the broker: {exc}") from None

    def queue_depth(self) -> int | None:
        try:
            with self._app.connection_for_write() as connection:
                declared = connection.default_channel.queue_declare(queue=self._queue, passive=True)
                return int(declared.message_count)
        except ChannelError:
            return 0  # Redis deletes an empty list; kombu then reports the queue missing
        except OperationalError:
            return None

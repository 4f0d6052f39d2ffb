"""The Celery app: Redis broker, settings from ``promptcompat.config.Settings``.

Start a worker with ``celery -A worker.app worker`` (or ``promptcompat worker``); the
settings come from the ``PROMPTCOMPAT_*`` environment like everything else.
"""

from __future__ import annotations

import logging

from celery import Celery

from promptcompat.config import Settings, get_settings
from worker.beat import beat_schedule


def make_app(settings: Settings | None = None) -> Celery:
    """A Celery app configured from ``settings`` (the process's settings by default)."""
    settings = settings or get_settings()
    app = Celery(
        "promptcompat", include=["worker.tasks", "worker.watch_tasks", "worker.privacy_tasks"]
    )
    app.conf.update(settings.celery_config())
    app.conf.broker_transport = "worker.transport:Transport"
    app.conf.beat_schedule = beat_schedule(settings)
    return app


# One INFO line per HTTP request (the SDKs' HTTP client) drowns the task log.
for _name in ("httpx", "httpx2"):
    logging.getLogger(_name).setLevel(logging.WARNING)
app = make_app()

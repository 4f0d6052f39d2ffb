"""The periodic schedule (run exactly one ``celery beat``).

``reconcile`` re-publishes work a broker crash lost; the model-release watcher adds its
entry here.
"""

from __future__ import annotations

from typing import Any

from promptcompat.config import Settings

RECONCILE_TASK = "promptcompat.reconcile"


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "reconcile": {
            "task": RECONCILE_TASK,
            "schedule": settings.reconcile_interval,
            # A reconcile that waited longer than its period is superseded by the next one.
            "options": {"expires": settings.reconcile_interval},
        },
        # The model-release watcher (worker/watch_tasks.py); polls expire like reconcile.
        "watch-poll": {
            "task": "promptcompat.watch_poll",
            "schedule": settings.watch_interval,
            "options": {"expires": settings.watch_interval},
        },
        "watch-deprecations": {
            "task": "promptcompat.watch_deprecations",
            "schedule": settings.deprecation_interval,
            "options": {"expires": settings.deprecation_interval},
        },
        "watch-notify": {
            "task": "promptcompat.watch_notify",
            "schedule": settings.notify_interval,
            "options": {"expires": settings.notify_interval},
        },
        # Retention (worker/privacy_tasks.py): delete what no project keeps any more.
        "retention": {
            "task": "promptcompat.retention",
            "schedule": settings.retention_interval,
            "options": {"expires": settings.retention_interval},
        },
    }

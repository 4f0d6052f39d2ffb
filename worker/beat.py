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
    }

"""Retirements: replay on a retiring target's successor ahead of the date.

``prompts/targets.yaml`` declares them (see ``watch_config``). From ``deprecation_lead_days``
before the date, the beat's check records one ``deprecation`` event per (retiring target,
successor), which starts a FORWARD run of the prompts pinned to the target against the
successor, and ``deprecation_warnings`` names those prompts for reports and notifications.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine

from promptcompat.config import Settings
from promptcompat.runs import RunStarter
from promptcompat.store import session_scope
from promptcompat.suite import Suite, load_suite
from promptcompat.suite.retirements import deprecation_for, load_deprecations
from promptcompat.suite.targets import parse_target
from promptcompat.watch.releases import plan_pending, record_event


@dataclass
class DeprecationReport:
    events: list[int] = field(default_factory=list)
    """Events this check recorded (a retirement entering the lead time)."""
    runs: dict[int, list[str]] = field(default_factory=dict)


def schedule_successors(
    *,
    engine: Engine,
    settings: Settings,
    starter: RunStarter,
    suite: Suite | None = None,
    today: dt.date | None = None,
) -> DeprecationReport:
    """Record the retirements within the lead time and start their successor runs."""
    suite = suite if suite is not None else load_suite(settings.prompts_dir)
    today = today or dt.date.today()
    deprecations = load_deprecations(suite.root)
    report = DeprecationReport()
    pinned = [parse_target(p.pinned) for p in suite.prompts.values()]
    for dep in deprecations:
        if dep.days_left(today) > settings.deprecation_lead_days:
            continue
        if not any(deprecation_for(t, [dep]) is dep for t in pinned):
            continue  # nobody is pinned to it
        with session_scope(engine) as session:
            event_id, created = record_event(
                session=session,
                kind="deprecation",
                account=dep.target.label,
                model_id=dep.successor.label,
                source="beat",
                detail={"retires": dep.retires.isoformat(), "days_left": dep.days_left(today)},
            )
        if created:
            report.events.append(event_id)
    report.runs = plan_pending(engine=engine, suite=suite, settings=settings, starter=starter)
    return report

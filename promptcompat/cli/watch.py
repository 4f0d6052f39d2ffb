"""The command-line face of the release watcher: ``promptcompat watch [--once]``.
Registered on the app in ``cli.py``.

``watch --once`` does what the beat does, once: poll the model lists and pinned aliases,
schedule successor runs of retiring targets, and send the notifications of finished release
runs. Runs execute in this process unless ``--queue`` sends them to the workers.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from promptcompat.config import Settings, get_settings


def register(app: typer.Typer, console: Console) -> None:
    """Add ``watch`` to ``app``."""

    @app.command()
    def watch(
        once: Annotated[
            bool, typer.Option(help="Poll once and exit (else every interval).")
        ] = False,
        queue: Annotated[
            bool,
            typer.Option(help="Send the runs to the Celery workers instead of running them here."),
        ] = False,
    ) -> None:
        """Poll the providers' model lists and pinned aliases; replay on new models."""
        settings = get_settings()
        while True:
            _once(settings, console, queue=queue)
            if once:
                return
            time.sleep(settings.watch_interval)


def _once(settings: Settings, console: Console, *, queue: bool) -> None:
    from promptcompat import store
    from promptcompat.runs import InlineStarter, QueueStarter, RunStarter
    from promptcompat.suite import load_suite
    from promptcompat.suite.retirements import deprecation_warnings
    from promptcompat.watch.deprecations import schedule_successors
    from promptcompat.watch.notify import notify_finished
    from promptcompat.watch.watcher import poll

    engine = store.open_engine(settings.resolved_database_url())
    suite = load_suite(settings.prompts_dir)
    starter: RunStarter
    if queue:
        from worker.app import make_app
        from worker.publisher import CeleryPublisher

        starter = QueueStarter(engine, settings, CeleryPublisher(make_app(settings), settings))
    else:
        # Unlike ``run``, no key is required up front: as ``watch --once`` always did, the
        # release run is stored and a call that needs a missing key is an error in its report.
        starter = InlineStarter(engine, settings, require_keys=False)
    report = poll(engine=engine, settings=settings, starter=starter, suite=suite)
    if not report.accounts:
        console.print(
            "no prompt watches a model family: add `watch: [gpt-4o*]` to a prompt.yaml or set "
            "PROMPTCOMPAT_WATCH_FAMILIES"
        )
    for account in report.accounts:
        if account.ok:
            console.print(
                f"{account.account}: {account.models} models, {len(account.new)} new, "
                f"{len(account.events)} release events"
            )
        else:
            console.print(f"[red]{account.account}: listing failed: {account.error}[/]")
    for event_id in report.drift_events:
        console.print(f"alias drift: event {event_id}")
    deps = schedule_successors(engine=engine, settings=settings, starter=starter, suite=suite)
    runs = {**report.runs, **deps.runs}
    for event_id, run_ids in sorted(runs.items()):
        console.print(f"event {event_id}: runs {', '.join(run_ids) or '(none planned)'}")
    for warning in deprecation_warnings(suite, settings):
        console.print(f"[yellow]warning:[/] {warning['message']}")
    for run_id, state in notify_finished(engine=engine, settings=settings).items():
        console.print(f"run {run_id}: notifications {state}")

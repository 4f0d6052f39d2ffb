"""The command-line face of distributed runs: ``run --queue``, ``worker``, ``beat``,
``reconcile``, ``migrate``. Registered on the app in ``cli.py``.

Only these commands touch Celery, and only inside the command: the core never imports it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from promptcompat.config import Settings, get_settings
from promptcompat.errors import ConfigError

if TYPE_CHECKING:
    from promptcompat.report import RunReport

POLL_SECONDS = 0.5


def replay_queued(
    settings: Settings,
    request: Any,
    *,
    console: Console,
    json_out: Path | None,
    fail_on: Any,
    wait: bool,
) -> RunReport | None:
    """Submit the run to the workers; with ``wait``, follow its progress and print its report."""
    from promptcompat import store
    from promptcompat.runs import QueueStarter
    from promptcompat.runs.dispatch import BrokerUnavailableError
    from promptcompat.suite import load_suite
    from worker.app import make_app
    from worker.publisher import CeleryPublisher

    suite = load_suite(settings.prompts_dir)
    engine = store.open_engine(settings.resolved_database_url())
    starter = QueueStarter(engine, settings, CeleryPublisher(make_app(settings), settings))
    submission = starter.start(suite=suite, request=request)
    if not submission.published:
        raise BrokerUnavailableError(
            f"run {submission.run_id} is saved as pending, but {submission.error}; once the "
            "broker is back, `promptcompat reconcile` publishes it",
            where=settings.redis_url,
        )
    if not wait:
        console.print(f"queued run {submission.run_id}")
        console.print(f"follow it with `promptcompat report {submission.run_id}`")
        return None
    try:
        console.print(f"queued run {submission.run_id}")
        follow(engine, submission.run_id, console=console)
    except (KeyboardInterrupt, Exception) as exc:
        from promptcompat.cli.common import raised_while_handling
        from promptcompat.runs.interrupts import Interrupted

        if not isinstance(exc, KeyboardInterrupt) and not raised_while_handling(
            exc, KeyboardInterrupt
        ):
            raise
        # Ctrl-C, or a store call it broke off whose cleanup failed (a pool ping on
        # PostgreSQL): either way the user stopped following.
        raise Interrupted(
            f"stopped following run {submission.run_id[:12]}, which goes on on the workers; "
            f"`promptcompat report {submission.run_id[:12]}` shows it"
        ) from None
    return show_report(engine, submission.run_id, settings, console, json_out, fail_on)


def follow(engine: Any, run_id: str, *, console: Console) -> None:
    """Show the run's progress, read from the store, until it ends."""
    from promptcompat import store
    from promptcompat.cli.terminal import progress_bar
    from promptcompat.replay import Progress
    from promptcompat.store.tables.core import TERMINAL_STATUSES

    with progress_bar(console, "replaying on workers") as on_progress:
        while True:
            with store.session_scope(engine) as session:
                run = store.get_run(session=session, run_id=run_id)
            on_progress(
                Progress(
                    total=run.total_calls,
                    done=run.done_calls,
                    cached=run.cached_calls,
                    errors=run.error_calls,
                )
            )
            if run.status in TERMINAL_STATUSES:
                return
            time.sleep(POLL_SECONDS)


def show_report(
    engine: Any,
    run_id: str,
    settings: Settings,
    console: Console,
    json_out: Path | None,
    fail_on: Any,
) -> RunReport:
    from promptcompat import store
    from promptcompat.cli.terminal import print_report
    from promptcompat.report import build_report, report_text, write_report

    with store.session_scope(engine) as session:
        report = build_report(session=session, run_id=run_id, fail_on=fail_on)
    print_report(console, report)
    path = write_report(report, settings.home / "reports")
    if json_out is not None:
        json_out.write_text(report_text(report), "utf-8")
        path = json_out
    console.print(f"JSON report: {path}")
    return report


def _exec_celery(args: list[str]) -> None:
    # exec: the process becomes Celery's, so signals (SIGTERM for a warm shutdown) reach it.
    argv = [sys.executable, "-m", "celery", "-A", "worker.app", *args]
    sys.stdout.flush()
    os.execv(sys.executable, argv)


def register(app: typer.Typer, console: Console) -> None:
    """Add the distributed-mode commands to the ``promptcompat`` app."""

    @app.command()
    def worker(
        concurrency: Annotated[
            int, typer.Option("--concurrency", "-c", min=1, help="Worker processes.")
        ] = 2,
        loglevel: Annotated[str, typer.Option("--loglevel", "-l")] = "info",
    ) -> None:
        """Start a Celery worker for queued runs (``celery -A worker.app worker``)."""
        settings = get_settings()
        _exec_celery(
            [
                "worker",
                "-Q",
                settings.queue,
                "-P",
                "prefork",
                "-c",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "-l",
                loglevel,
            ]
        )

    @app.command()
    def beat(loglevel: Annotated[str, typer.Option("--loglevel", "-l")] = "info") -> None:
        """Start the scheduler (exactly one per deployment): reconcile, model releases."""
        settings = get_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        schedule = settings.home / "celerybeat-schedule"
        _exec_celery(["beat", "-l", loglevel, "--schedule", str(schedule)])

    @app.command()
    def reconcile(
        stale_after: Annotated[
            float | None,
            typer.Option(
                min=0, help="Re-publish started shards idle this long (default: setting)."
            ),
        ] = None,
    ) -> None:
        """Re-publish queued work that a broker crash lost, and unfinished evaluations."""
        from promptcompat import store
        from promptcompat.runs.dispatch import reconcile as reconcile_runs
        from worker.app import make_app
        from worker.publisher import CeleryPublisher

        settings = get_settings()
        # Orphaned runs are recovered (and reported) by reconcile itself.
        engine = store.open_engine(settings.resolved_database_url(), recover=False)
        report = reconcile_runs(
            engine=engine,
            publisher=CeleryPublisher(make_app(settings), settings),
            settings=settings,
            stale_after=stale_after,
        )
        for run_id, shards in report.published.items():
            console.print(f"run {run_id}: re-published {len(shards)} shard(s)")
        for run_id in report.finalize:
            console.print(f"run {run_id}: evaluation queued")
        for run_id in report.orphans:
            console.print(f"run {run_id}: its process is gone; marked failed")
        console.print(
            f"reconciled: {sum(len(s) for s in report.published.values())} shard(s) "
            f"re-published, {len(report.finalize)} evaluation(s) queued, "
            f"{report.waiting} shard(s) still in progress, "
            f"{len(report.orphans)} orphaned run(s) marked failed"
        )

    @app.command()
    def migrate() -> None:
        """Create or upgrade the store's schema (the deployment's one-shot migration step)."""
        from promptcompat import store

        settings = get_settings()
        engine = store.open_engine(settings.resolved_database_url())
        console.print(f"schema at revision {store.schema_revision(engine)}")


def check_queue_options(*, queue: bool, simulator: bool) -> None:
    if queue and simulator:
        raise ConfigError(
            "--simulator starts a simulator in this process, which workers cannot reach; "
            "point the workers at a simulator (or provider) through their settings instead",
            where="--queue",
        )

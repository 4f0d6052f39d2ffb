"""The ``promptcompat`` command line. Errors become one red line and an exit code, here only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from promptcompat.cli.api import register as _register_api_commands
from promptcompat.cli.common import (
    EXIT_OUTPUT_CLOSED,
    EXIT_USAGE_OR_ERROR,
    FAIL_ON_HELP,
    FailOn,
    console,
    err_console,
    raised_while_handling,
    simulated,
)
from promptcompat.cli.judging import register as _register_judging_commands
from promptcompat.cli.privacy import register as _register_privacy_commands
from promptcompat.cli.queue import register as _register_queue_commands
from promptcompat.cli.snapshots import register as _register_snapshot_commands
from promptcompat.cli.terminal import configure_help
from promptcompat.cli.watch import register as _register_watch_commands
from promptcompat.config import Settings, get_settings
from promptcompat.errors import PromptCompatError, public_message

if TYPE_CHECKING:
    from promptcompat.report import RunReport

app = typer.Typer(
    help="Replay versioned prompts against model versions and report compatibility breaks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
configure_help()


def main() -> None:
    from promptcompat.runs.interrupts import Interrupted, route_sigterm

    # CI, Docker and systemd stop a command with SIGTERM: it ends a run as Ctrl-C does.
    route_sigterm()
    try:
        app()
    except SystemExit as exc:
        if exc.code == 1 and raised_while_handling(exc, BrokenPipeError):
            # Rich and Click turn a write to a closed pipe into exit 1; 1 means "breaking".
            sys.exit(EXIT_OUTPUT_CLOSED)
        raise
    except Exception as exc:
        if raised_while_handling(exc, KeyboardInterrupt):
            # Ctrl-C broke off a call (a database ping) whose cleanup then failed with an
            # error of its own: what happened is the interrupt.
            err_console.print("[yellow]interrupted[/]")
            sys.exit(130)
        if isinstance(exc, PromptCompatError):
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            sys.exit(EXIT_USAGE_OR_ERROR)
        # A bug or the machine failing: one line, the traceback in a log.
        try:
            line = _crash_line(exc)
        except Exception:  # reporting it failed too: still one line and exit 2
            line = f"promptcompat failed: {public_message(exc)}"
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False)
        sys.exit(EXIT_USAGE_OR_ERROR)
    except Interrupted as exc:
        # A BaseException, so the framework (which turns KeyboardInterrupt into a silent 130)
        # lets it through to here.
        err_console.print(f"[yellow]{escape(exc.message)}[/]", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)


def _crash_line(exc: Exception) -> str:
    from promptcompat.cli import crash

    # The command and its first argument, as typed (``run``, ``snapshots export``).
    words: list[str] = []
    for arg in sys.argv[1:3]:
        if arg.startswith("-"):
            break
        words.append(arg)
    try:
        settings = get_settings()
    except PromptCompatError:
        settings = None
    home = settings.home if settings is not None else Path(".promptcompat")
    store = crash.store_label(settings.resolved_database_url()) if settings else None
    return crash.report(exc, command=" ".join(words) or "?", home=home, store=store)


def _replay(
    settings: Settings,
    request: Any,
    *,
    json_out: Path | None,
    exit_code: bool = True,
    fail_on: FailOn = "ERR",
) -> RunReport:
    from promptcompat import store
    from promptcompat.cli.terminal import print_report, progress_bar
    from promptcompat.report import build_report, report_text, write_report
    from promptcompat.runs import InlineStarter
    from promptcompat.suite import load_suite

    suite = load_suite(settings.prompts_dir)
    engine = store.open_engine(settings.resolved_database_url())
    with progress_bar(console, "replaying") as on_progress:
        starter = InlineStarter(engine, settings, on_progress=on_progress)
        run_id = starter.start(suite=suite, request=request).run_id
    with store.session_scope(engine) as session:
        report = build_report(session=session, run_id=run_id, fail_on=fail_on)
    print_report(console, report, exit_code=exit_code)
    path = write_report(report, settings.home / "reports")
    if json_out is not None:
        json_out.write_text(report_text(report), "utf-8")
        path = json_out
    console.print(f"JSON report: {path}")
    return report


@app.command()
def demo(
    samples: Annotated[int, typer.Option(min=1, max=20, help="Samples per case and target.")] = 1,
    latency_ms: Annotated[float, typer.Option(help="Simulated provider latency.")] = 20.0,
) -> None:
    """Replay the example suite on the local simulator (old vs new model, v1 vs v2) and report.

    Needs no Redis, no keys and no network beyond 127.0.0.1. Run it twice: the second time
    every call comes from the cache.
    """
    from promptcompat.runs import RunRequest

    settings = get_settings()
    with simulated(settings, latency_ms=latency_ms) as sim_settings:
        _replay(sim_settings, RunRequest(samples=samples), json_out=None, exit_code=False)


@app.command()
def run(
    baseline: Annotated[
        str | None, typer.Option(help="Baseline target (default: each prompt's pinned target).")
    ] = None,
    candidate: Annotated[
        str | None, typer.Option(help="Candidate target (default: each prompt's candidates).")
    ] = None,
    prompt: Annotated[
        list[str] | None, typer.Option("--prompt", "-p", help="Only this prompt (repeatable).")
    ] = None,
    candidate_version: Annotated[
        str | None, typer.Option(help="Check this prompt version BACKWARD on the baseline.")
    ] = None,
    samples: Annotated[int, typer.Option(min=1, max=100, help="Samples per case and target.")] = 1,
    simulator: Annotated[
        bool, typer.Option(help="Start the local simulator and send every call to it.")
    ] = False,
    json_out: Annotated[Path | None, typer.Option(help="Also write the JSON report here.")] = None,
    fail_on: Annotated[FailOn, typer.Option(help=FAIL_ON_HELP)] = "ERR",
    aa: Annotated[
        bool,
        typer.Option(
            "--aa",
            help="A/A: compare each prompt's deployed version on its baseline target with "
            "fresh samples of itself, to measure the suite's noise floor (use --samples K).",
        ),
    ] = False,
    queue: Annotated[
        bool,
        typer.Option(
            "--queue", help="Send the calls to Celery workers (Redis) instead of this process."
        ),
    ] = False,
    wait: Annotated[
        bool, typer.Option(help="With --queue: follow the run and print its report.")
    ] = True,
) -> None:
    """Replay prompts on baseline and candidate targets and report what broke.

    Exit code: 0 compatible, 1 a finding at or above --fail-on, 2 error.
    """
    from promptcompat.report import prepare_output
    from promptcompat.runs import RunRequest

    if json_out is not None:
        prepare_output(json_out, option="--json-out")
    request = RunRequest(
        prompts=tuple(prompt or ()),
        baseline=baseline,
        candidate=candidate,
        candidate_version=candidate_version,
        samples=samples,
        aa=aa,
    )
    settings = get_settings()
    if queue:
        from promptcompat.cli.queue import check_queue_options, replay_queued

        check_queue_options(queue=queue, simulator=simulator)
        queued = replay_queued(
            settings, request, console=console, json_out=json_out, fail_on=fail_on, wait=wait
        )
        raise typer.Exit(queued.exit_code if queued else 0)
    if simulator:
        with simulated(settings, latency_ms=0.0) as sim_settings:
            report = _replay(sim_settings, request, json_out=json_out, fail_on=fail_on)
    else:
        report = _replay(settings, request, json_out=json_out, fail_on=fail_on)
    raise typer.Exit(report.exit_code)


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    fail_on: Annotated[FailOn, typer.Option(help=FAIL_ON_HELP)] = "ERR",
) -> None:
    """Print the report of a stored run. Exit code as for ``run``."""
    from promptcompat import store
    from promptcompat.cli.terminal import print_report
    from promptcompat.report import build_report, report_text

    engine = store.open_engine(get_settings().resolved_database_url())
    with store.session_scope(engine) as session:
        data = build_report(session=session, run_id=run_id, fail_on=fail_on)
    if as_json:
        sys.stdout.write(report_text(data))
    else:
        print_report(console, data)
    raise typer.Exit(data.exit_code)


@app.command()
def runs(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """List the most recent runs."""
    from promptcompat import store

    engine = store.open_engine(get_settings().resolved_database_url())
    table = Table("run", "created", "status", "calls", "from cache", "errors")
    with store.session_scope(engine) as session:
        for r in store.latest_runs(session=session, limit=limit):
            table.add_row(
                r.id[:12],
                r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.status,
                str(r.total_calls),
                str(r.cached_calls),
                str(r.error_calls),
            )
    console.print(table)


@app.command()
def validate() -> None:
    """Load the suite, check its targets and render every case of every version.

    Every problem is reported, one line each naming its file and line; exit code 2 if any.
    """
    from promptcompat.suite import validate_suite

    settings = get_settings()
    found = validate_suite(settings.prompts_dir, max_rendered_chars=settings.max_rendered_chars)
    if found.problems:
        for problem in found.problems:
            # soft_wrap: one problem per line also when stderr is no terminal (rich wraps at 80).
            err_console.print(
                f"[bold red]error:[/] {escape(str(problem))}", highlight=False, soft_wrap=True
            )
        if len(found.problems) > 1:  # one problem stays one line
            err_console.print(
                f"{len(found.problems)} problems in {escape(str(settings.prompts_dir))}",
                soft_wrap=True,
            )
        raise typer.Exit(EXIT_USAGE_OR_ERROR)
    suite, rendered = found.suite, found.renders
    for prompt in suite.prompts.values():
        if prompt.unlocked:
            console.print(
                f"[yellow]{prompt.name}: unreleased versions {', '.join(prompt.unlocked)} "
                "(run `promptcompat lock` to release them)[/]"
            )
    console.print(f"[green]ok[/]: {len(suite.prompts)} prompts, {rendered} renders")


@app.command()
def lock() -> None:
    """Record the content hash of every unreleased prompt version in prompts/prompts.lock."""
    from promptcompat.suite import load_suite, lock_versions

    added = lock_versions(load_suite(get_settings().prompts_dir))
    for prompt, version in added:
        console.print(f"locked {prompt} {version}")
    if not added:
        console.print("nothing to lock: every version is released")


@app.command()
def rules(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the catalog as the markdown table.")
    ] = False,
) -> None:
    """List the rule catalog: ids, default severities, directions and what each detects."""
    from promptcompat.rules import CATALOG, catalog_markdown

    if markdown:
        sys.stdout.write(catalog_markdown())
        return
    table = Table("rule", "severity", "direction", "looks at", "description")
    for rule in CATALOG.values():
        table.add_row(rule.id, rule.severity, rule.direction, rule.subject, rule.description)
    console.print(table)


@app.command()
def simulate(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
    latency_ms: Annotated[float, typer.Option(min=0)] = 0.0,
    jitter_ms: Annotated[float, typer.Option(min=0)] = 0.0,
    fault_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    fault_kinds: Annotated[str, typer.Option(help="Comma list of 429,500,529,timeout.")] = "",
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Serve the local OpenAI/Anthropic simulator until interrupted."""
    from promptcompat.simulator import serve

    serve(
        host="127.0.0.1",
        port=port,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        fault_rate=fault_rate,
        fault_kinds=[k for k in fault_kinds.split(",") if k],
        seed=seed,
    )


# run --queue's companions: worker, beat, reconcile, migrate (promptcompat/cli/queue.py).
_register_queue_commands(app, console)
_register_api_commands(app, console)
_register_watch_commands(app, console)
_register_snapshot_commands(app, console)
_register_privacy_commands(app, console)
_register_judging_commands(app, console)

"""The command-line face of git-native snapshots and the pull-request check:
``snapshots export|import|verify|clean``, ``review``, ``accept``, ``reject`` and ``check``.
Registered on the app in ``cli.py``.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from promptcompat.config import Settings, get_settings
from promptcompat.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from promptcompat.check.result import CheckResult

SnapshotsDir = Annotated[
    Path | None,
    typer.Option("--snapshots", help="The snapshots directory (default: beside prompts/)."),
]
Selector = Annotated[
    str | None,
    typer.Argument(
        help="Which pending snapshots: PROMPT, PROMPT/VERSION or PROMPT/VERSION/TARGET."
    ),
]


def snapshots_root(settings: Settings, given: Path | None) -> Path:
    return given if given is not None else settings.prompts_dir.parent / "snapshots"


def in_ci() -> bool:
    """CI systems set CI=true; there the check writes no file unless asked."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def register(app: typer.Typer, console: Console) -> None:
    """Add the snapshot commands and ``check`` to ``app``."""
    snapshots = typer.Typer(
        help="Accepted baselines as files in snapshots/: export, import, verify, clean.",
        no_args_is_help=True,
    )
    app.add_typer(snapshots, name="snapshots")

    @snapshots.command("export")
    def export_cmd(root: SnapshotsDir = None) -> None:
        """Write the store's accepted baselines to snapshots/ (one file per version and target)."""
        from promptcompat import store
        from promptcompat.snapshots import sync as snapshot_sync
        from promptcompat.suite import load_suite

        settings = get_settings()
        directory = snapshots_root(settings, root)
        suite = load_suite(settings.prompts_dir)
        engine = store.open_engine(settings.resolved_database_url())
        with _project_session(engine, settings) as session:
            result = snapshot_sync.export(session=session, root=directory, suite=suite)
        for path in result.written:
            console.print(f"wrote {escape(str(path))}")
        for label in result.skipped:
            console.print(f"[yellow]not exported[/]: {escape(label)}")
        console.print(f"{len(result.written)} file(s) written to {escape(str(directory))}")
        _report_obsolete(
            console,
            snapshot_sync.obsolete(
                root=directory, suite=suite, max_output_bytes=settings.max_output_bytes
            ),
        )

    @snapshots.command("import")
    def import_cmd(root: SnapshotsDir = None) -> None:
        """Load the accepted files of snapshots/ into the store as baselines (files win)."""
        from promptcompat import store
        from promptcompat.snapshots import sync as snapshot_sync
        from promptcompat.store.redaction import RunRedaction
        from promptcompat.suite import load_suite

        settings = get_settings()
        directory = snapshots_root(settings, root)
        suite = load_suite(settings.prompts_dir)
        engine = store.open_engine(settings.resolved_database_url())
        with _project_session(engine, settings) as session:
            result = snapshot_sync.import_files(
                session=session,
                root=directory,
                suite=suite,
                redaction=RunRedaction.for_suite(settings, suite),
                max_output_bytes=settings.max_output_bytes,
            )
        for label in result.skipped:
            console.print(f"[yellow]not imported[/]: {escape(label)}")
        if result.skipped:
            console.print(
                "`promptcompat snapshots clean --remove` deletes files of no prompt version"
            )
        console.print(f"imported {result.loaded} accepted sample(s) from {escape(str(directory))}")

    @snapshots.command("verify")
    def verify_cmd(root: SnapshotsDir = None) -> None:
        """Check that the store and snapshots/ hold the same accepted baselines (exit 1 if not)."""
        from promptcompat import store
        from promptcompat.snapshots import sync as snapshot_sync
        from promptcompat.suite import load_suite

        settings = get_settings()
        directory = snapshots_root(settings, root)
        suite = load_suite(settings.prompts_dir)
        engine = store.open_engine(settings.resolved_database_url())
        with _project_session(engine, settings) as session:
            result = snapshot_sync.verify(
                session=session,
                root=directory,
                suite=suite,
                max_output_bytes=settings.max_output_bytes,
            )
        for label in result.not_imported:
            console.print(f"[red]not importable[/]: {escape(label)}")
        for label in result.only_in_store:
            console.print(f"[red]only in the store[/]: {escape(label)} (run snapshots export)")
        for label in result.only_in_files:
            console.print(f"[red]only in files[/]: {escape(label)} (run snapshots import)")
        for label in result.different:
            console.print(f"[red]differs[/]: {escape(label)}")
        _report_obsolete(console, result.obsolete)
        if not result.agree:
            raise typer.Exit(1)
        console.print("[green]ok[/]: the store and the snapshot files agree")

    @snapshots.command("clean")
    def clean_cmd(
        root: SnapshotsDir = None,
        remove: Annotated[
            bool, typer.Option("--remove", help="Delete them (else only list them).")
        ] = False,
    ) -> None:
        """List snapshots no prompt version, case or target references; --remove deletes them."""
        from promptcompat.snapshots import sync as snapshot_sync
        from promptcompat.suite import load_suite

        settings = get_settings()
        directory = snapshots_root(settings, root)
        suite = load_suite(settings.prompts_dir)
        cap = settings.max_output_bytes
        if not remove:
            _report_obsolete(
                console, snapshot_sync.obsolete(root=directory, suite=suite, max_output_bytes=cap)
            )
            return
        for label in snapshot_sync.remove_obsolete(
            root=directory, suite=suite, max_output_bytes=cap
        ):
            console.print(f"removed {escape(label)}")

    @app.command()
    def review(
        selector: Selector = None,
        root: SnapshotsDir = None,
        reviewer: Annotated[str | None, typer.Option(help="Recorded as the decider.")] = None,
    ) -> None:
        """Walk the pending snapshots: show each diff, then accept, reject or skip it."""
        from rich.syntax import Syntax  # pulls in pygments: only the review needs it
        from rich.text import Text

        from promptcompat import store
        from promptcompat.snapshots import pending as snapshot_review

        settings = get_settings()
        directory = snapshots_root(settings, root)
        cap = settings.max_output_bytes
        items = snapshot_review.pending_items(directory, selector=selector, max_output_bytes=cap)
        if not items:
            console.print("nothing pending")
            return
        engine = store.open_engine(settings.resolved_database_url())
        who = reviewer or _user()
        counts = {"accepted": 0, "rejected": 0, "skipped": 0}
        for index, item in enumerate(items, 1):
            note = item.note
            # Everything a reviewer decides on wraps at the terminal's width, never cropped:
            # a rule title, or a diff line, cut at 80 columns hid the case id and the very
            # words whose change made the case BREAKING. Text: nothing in it is markup.
            # soft_wrap=False: also where the console otherwise never wraps (a log), since
            # without wrapping rich crops what is wider than the console here.
            console.rule(f"{index}/{len(items)}")
            console.print(Text(item.label), overflow="fold", soft_wrap=False)
            if note is not None:
                rules = ", ".join(note.rules) or "no rule"
                console.print(
                    Text(f"verdict {note.verdict}: {rules}"), overflow="fold", soft_wrap=False
                )
                for finding in note.findings:
                    console.print(
                        Text(f"- {finding.severity} {finding.rule}: {finding.message}"),
                        overflow="fold",
                        soft_wrap=False,
                    )
            console.print(
                Syntax(
                    snapshot_review.diff_text(item) or "(no textual difference)",
                    "diff",
                    word_wrap=True,
                ),
                soft_wrap=False,
            )
            try:
                answer = console.input("accept, reject, skip or quit? [a/r/s/q]: ")
            except EOFError:
                # Input ended (a pipe, a CI job): stop as `q` does. typer.prompt made this
                # "Aborted!" and exit 1, which CI reads as a breaking change.
                answer = "q"
            answer = answer.strip().lower()[:1] or "s"
            if answer == "q":
                break
            if answer == "a":
                with _project_session(engine, settings) as session:
                    snapshot_review.accept(
                        session=session,
                        root=directory,
                        item=item,
                        reviewer=who,
                        max_output_bytes=cap,
                    )
                counts["accepted"] += 1
            elif answer == "r":
                snapshot_review.reject(item=item, max_output_bytes=cap)
                counts["rejected"] += 1
            else:
                counts["skipped"] += 1
        console.print(", ".join(f"{n} {k}" for k, n in counts.items()))

    def decide(
        action: Literal["accept", "reject"],
        selector: str | None,
        case: str | None,
        every: bool,
        root: Path | None,
        reviewer: str | None,
    ) -> None:
        from promptcompat import store
        from promptcompat.snapshots import pending as snapshot_review

        snapshot_review.require_selection(selector, every=every)
        settings = get_settings()
        directory = snapshots_root(settings, root)
        cap = settings.max_output_bytes
        items = snapshot_review.pending_items(
            directory, selector=selector, case=case, max_output_bytes=cap
        )
        if not items:
            raise ConfigError(f"no pending snapshot matches {selector or 'anything'}")
        engine = store.open_engine(settings.resolved_database_url())
        for item in items:
            if action == "accept":
                with _project_session(engine, settings) as session:
                    snapshot_review.accept(
                        session=session,
                        root=directory,
                        item=item,
                        reviewer=reviewer or _user(),
                        max_output_bytes=cap,
                    )
            else:
                snapshot_review.reject(item=item, max_output_bytes=cap)
            console.print(f"{action}ed {escape(item.label)}")

    @app.command()
    def accept(
        selector: Selector = None,
        case: Annotated[str | None, typer.Option(help="Only this case.")] = None,
        every: Annotated[bool, typer.Option("--all", help="Every pending snapshot.")] = False,
        root: SnapshotsDir = None,
        reviewer: Annotated[str | None, typer.Option(help="Recorded as the decider.")] = None,
    ) -> None:
        """Accept pending snapshots without prompting: they become the accepted files."""
        decide("accept", selector, case, every, root, reviewer)

    @app.command()
    def reject(
        selector: Selector = None,
        case: Annotated[str | None, typer.Option(help="Only this case.")] = None,
        every: Annotated[bool, typer.Option("--all", help="Every pending snapshot.")] = False,
        root: SnapshotsDir = None,
    ) -> None:
        """Reject pending snapshots without prompting: the pending files are dropped."""
        decide("reject", selector, case, every, root, None)

    @app.command()
    def check(
        base: Annotated[str, typer.Option(help="Git ref to compare with, e.g. origin/main.")],
        fail_on: Annotated[
            Literal["ERR", "WARN"],
            typer.Option(help="Exit 1 on a finding of this severity or worse."),
        ] = "ERR",
        forward: Annotated[
            bool, typer.Option(help="Also check new versions FORWARD on the candidate targets.")
        ] = False,
        markdown_out: Annotated[
            Path | None, typer.Option(help="Write the PR-comment markdown here.")
        ] = None,
        junit_out: Annotated[Path | None, typer.Option(help="Write JUnit XML here.")] = None,
        json_out: Annotated[Path | None, typer.Option(help="Write the JSON result here.")] = None,
        root: SnapshotsDir = None,
        write_snapshots: Annotated[
            bool | None,
            typer.Option(
                help="Write changed results as pending snapshot files (default: yes, "
                "except with CI=true)."
            ),
        ] = None,
        simulator: Annotated[
            bool, typer.Option(help="Start the local simulator and send every call to it.")
        ] = False,
    ) -> None:
        """Check what a pull request changed in prompts/ since BASE, replaying only that.

        Exit code: 0 compatible, 1 a finding at or above --fail-on, 2 error.
        """
        from promptcompat.check import CheckOptions, run_check
        from promptcompat.check.junit import render_junit
        from promptcompat.check.markdown import render_markdown
        from promptcompat.cli.common import simulated
        from promptcompat.cli.terminal import progress_bar
        from promptcompat.report import prepare_output

        for option, out in (
            ("--markdown-out", markdown_out),
            ("--junit-out", junit_out),
            ("--json-out", json_out),
        ):
            if out is not None:
                prepare_output(out, option=option)
        settings = get_settings()
        options = CheckOptions(
            ref=base,
            fail_on=fail_on,
            forward=forward,
            snapshots_dir=snapshots_root(settings, root),
            write_pending=write_snapshots if write_snapshots is not None else not in_ci(),
        )
        with progress_bar(console, "replaying") as on_progress:
            if simulator:
                with simulated(settings, latency_ms=0.0) as sim_settings:
                    result = run_check(
                        settings=sim_settings, options=options, on_progress=on_progress
                    )
            else:
                result = run_check(settings=settings, options=options, on_progress=on_progress)
        markdown = render_markdown(result)
        for path, text in (
            (markdown_out, markdown),
            (junit_out, render_junit(result) if junit_out else ""),
            (json_out, json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n"),
        ):
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        _print_summary(console, result)
        raise typer.Exit(result.exit_code)


def _print_summary(console: Console, result: CheckResult) -> None:
    from rich.table import Table

    for error in result.errors:
        where = f"{error.where}: " if error.where else ""
        console.print(f"[bold red]error:[/] {escape(where + error.message)}")
    for finding in result.request_side:
        console.print(
            f"request side: {escape(finding.prompt)} {finding.version}: "
            f"{finding.rule} ({finding.severity}): {escape(finding.message)}"
        )
    if result.comparisons:
        table = Table("prompt", "direction", "baseline", "candidate", "C", "~", "B", "E")
        for comp in result.comparisons:
            v = comp.verdicts
            table.add_row(
                comp.prompt,
                comp.direction,
                f"{comp.baseline.version} @ {comp.baseline.target}",
                f"{comp.candidate.version} @ {comp.candidate.target}",
                str(v["COMPATIBLE"]),
                str(v["CHANGED"]),
                str(v["BREAKING"]),
                str(v["ERROR"]),
            )
        console.print(table)
    for case in result.cases:
        if case.failing:
            rules = ", ".join(sorted({f.rule for f in case.findings if f.severity != "INFO"}))
            console.print(f"[red]BREAKING[/] {case.prompt}/{case.case_id}: {rules}")
    calls = result.calls
    console.print(
        f"verdict: {result.verdict} · calls {calls.total} "
        f"(from cache {calls.from_cache}, sent to providers {calls.provider_requests})"
    )


def _report_obsolete(console: Console, obsolete: list[str]) -> None:
    for label in obsolete:
        console.print(f"[yellow]obsolete[/]: {escape(label)}")
    if obsolete:
        console.print(f"{len(obsolete)} obsolete; `promptcompat snapshots clean --remove` deletes")


@contextmanager
def _project_session(engine: Engine, settings: Settings) -> Iterator[Session]:
    """A store session bound to ``PROMPTCOMPAT_PROJECT``: snapshots and baselines of that
    project only (projects.py), and acceptances land in it."""
    from promptcompat import store
    from promptcompat.store import projects

    with store.session_scope(engine) as session:
        projects.bind(session, settings.project)
        yield session


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"

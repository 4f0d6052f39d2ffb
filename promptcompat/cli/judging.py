"""``promptcompat judge calibrate`` and ``promptcompat labels export|mark``: measuring the judge
and the labelled pairs reviewers make. The work is done by ``promptcompat.compat.calibration``
and ``promptcompat.snapshots.marks``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from promptcompat.cli.common import simulated
from promptcompat.config import Settings, get_settings
from promptcompat.errors import ConfigError

RightVerdictOption = typer.Option(
    "--right", help="The right verdict: COMPATIBLE, CHANGED or BREAKING."
)


def register(app: typer.Typer, console: Console) -> None:
    """Add the ``judge`` and ``labels`` groups to ``app``."""
    judge = typer.Typer(help="The judge model: measure it on labelled pairs.", no_args_is_help=True)
    labels = typer.Typer(help="Labelled pairs from reviewers' verdict marks.", no_args_is_help=True)
    app.add_typer(judge, name="judge")
    app.add_typer(labels, name="labels")

    @judge.command("calibrate")
    def calibrate_cmd(
        labels_file: Annotated[
            Path | None,
            typer.Option(
                "--labels",
                help="jsonl of {baseline, candidate, label: equivalent|different, reason} "
                "(default: the project's own marks, as `labels export` writes them).",
            ),
        ] = None,
        judge_target: Annotated[
            str | None,
            typer.Option("--judge", help="Judge target (default: the judge setting)."),
        ] = None,
        simulator: Annotated[
            bool, typer.Option(help="Start the local simulator and send every call to it.")
        ] = False,
    ) -> None:
        """Run the judge on a labelled set; print and store agreement, Cohen's kappa, false
        positive and negative rates and order consistency."""
        settings = get_settings()
        target = judge_target or settings.judge
        if not target:
            raise ConfigError("no judge: pass --judge TARGET or set PROMPTCOMPAT_JUDGE")
        if simulator:
            with simulated(settings, latency_ms=0.0) as sim_settings:
                _calibrate(console, sim_settings, target, labels_file)
        else:
            _calibrate(console, settings, target, labels_file)

    @labels.command("export")
    def export_cmd(
        out: Annotated[
            Path | None, typer.Option(help="Write the jsonl here (default: standard output).")
        ] = None,
        prompt: Annotated[str | None, typer.Option(help="Only this prompt's marks.")] = None,
    ) -> None:
        """Write the project's verdict marks as labelled pairs (jsonl for `judge calibrate`)."""
        from promptcompat import store
        from promptcompat.snapshots import marks
        from promptcompat.store import projects

        settings = get_settings()
        engine = store.open_engine(settings.resolved_database_url())
        with store.session_scope(engine) as session:
            projects.bind(session, settings.project)
            pairs = marks.export_labels(
                session=session, prompt=prompt, descriptions=_descriptions(settings)
            )
        text = "".join(json.dumps(p.model_dump(), ensure_ascii=False) + "\n" for p in pairs)
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"{len(pairs)} labelled pairs written to {escape(str(out))}")

    @labels.command("mark")
    def mark_cmd(
        run_id: Annotated[str, typer.Argument(help="The run (an id or its prefix).")],
        case: Annotated[str, typer.Argument(help="A case id, or a case result id.")],
        right: Annotated[str, RightVerdictOption],
        reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
        prompt: Annotated[
            str | None, typer.Option(help="The prompt, when the case id is in several.")
        ] = None,
        reviewer: Annotated[str | None, typer.Option(help="Recorded as the reviewer.")] = None,
    ) -> None:
        """Mark a case's verdict as wrong, with the right one: it becomes a labelled pair."""
        from promptcompat import store
        from promptcompat.report import results
        from promptcompat.snapshots import marks
        from promptcompat.store import projects

        if right not in marks.RIGHT_VERDICTS:
            raise ConfigError(
                f"--right must be one of {', '.join(marks.RIGHT_VERDICTS)}, not {right!r}"
            )
        settings = get_settings()
        engine = store.open_engine(settings.resolved_database_url())
        with store.session_scope(engine) as session:
            projects.bind(session, settings.project)
            run = store.get_run(session=session, run_id=run_id)
            case_result_id = results.resolve_case(
                session=session, run_id=run.id, case=case, prompt=prompt
            )
            mark = marks.mark_wrong(
                session=session,
                case_result_id=case_result_id,
                right_verdict=right,  # type: ignore[arg-type]  # checked above
                reviewer=reviewer or _user(),
                reason=reason,
                run_id=run.id,
            )
            line = (
                f"marked {mark.prompt}/{mark.case_id}: {mark.verdict} should be "
                f"{mark.right_verdict} (label {marks.label_of(mark.right_verdict)})"
            )
        console.print(escape(line))


def _calibrate(console: Console, settings: Settings, target: str, labels_file: Path | None) -> None:
    from promptcompat import store
    from promptcompat.compat.calibration import calibrate, fact_diff_predictions, read_labels
    from promptcompat.snapshots import marks
    from promptcompat.store import projects

    engine = store.open_engine(settings.resolved_database_url())
    if labels_file is not None:
        pairs, source = read_labels(labels_file), str(labels_file)
    else:
        with store.session_scope(engine) as session:
            projects.bind(session, settings.project)
            pairs = marks.export_labels(session=session, descriptions=_descriptions(settings))
        source = f"marks of project {settings.project}"
        if not pairs:
            raise ConfigError(
                "no labelled pairs: pass --labels FILE, or mark verdicts first "
                "(`promptcompat labels mark`, the review page or the API)"
            )
    # The deterministic fact diff is measured beside the judge, on the same pairs.
    result = calibrate(
        engine=engine,
        settings=settings,
        judge=target,
        pairs=pairs,
        source=source,
        fact_diff=fact_diff_predictions,
    )
    table = Table(title=f"judge {result.judge} ({result.question}) on {len(pairs)} pairs")
    table.add_column("measure")
    table.add_column("judge", justify="right")
    if result.fact_figures is not None:
        table.add_column("fact diff", justify="right")
    rows = (
        ("agreement", "agreement"),
        ("Cohen's kappa", "kappa"),
        ("false-positive rate", "false_positive_rate"),
        ("false-negative rate", "false_negative_rate"),
        ("order consistency", "order_consistency"),
        ("undecided", "undecided"),
    )
    judge_values = result.judge_figures.to_dict()
    fact_values = result.fact_figures.to_dict() if result.fact_figures is not None else None
    for title, key in rows:
        cells = [_fmt(judge_values[key])]
        if fact_values is not None:
            cells.append(_fmt(fact_values[key]))
        table.add_row(title, *cells)
    console.print(table)
    kappa = result.judge_figures.kappa
    gate = settings.judge_min_kappa
    if kappa is not None and kappa >= gate:
        console.print(f"kappa {kappa:.2f} >= {gate:.2f}: the judge's findings can fail CI")
    else:
        shown = "undefined" if kappa is None else f"{kappa:.2f}"
        console.print(
            f"kappa {shown} < {gate:.2f} (PROMPTCOMPAT_JUDGE_MIN_KAPPA): the judge's findings "
            "stay CHANGED and cannot fail CI"
        )
    for wrong in result.disagreements[:5]:
        console.print(
            escape(f"  labelled {wrong['label']}, judge {wrong['judge']}: {wrong['reason']}"),
            highlight=False,
        )


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def _descriptions(settings: Settings) -> dict[str, str]:
    """Prompt name to description, from the suite when it loads (else none: labels stay)."""
    from promptcompat.errors import PromptCompatError
    from promptcompat.suite import load_suite

    try:
        suite = load_suite(settings.prompts_dir)
    except PromptCompatError:
        return {}
    return {name: p.description for name, p in suite.prompts.items()}


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"

"""Terminal rendering of reports and progress (rich), and the one place consoles are made.

Every console of the command line comes from ``make_console``, so they agree on what the
output is: a terminal (colour, a live progress bar, wrapped to its width) or a log, pipe or
file (never wrapped, never a progress bar, colour only when asked for).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    # Only for a type: importing the replay engine costs most of a second at startup.
    from promptcompat.replay import Progress as ReplayProgress
    from promptcompat.report.model import (
        ComparisonAccuracy,
        FindingView,
        MatrixCell,
        RunReport,
        SideAccuracy,
        TargetAccuracy,
    )
    from promptcompat.store.tables.run_spec import SideSpec

VERDICT_STYLE = {
    "COMPATIBLE": "green",
    "CHANGED": "yellow",
    "BREAKING": "bold red",
    "ERROR": "magenta",
}
CASES_PER_COMPARISON = 3
LOG_WIDTH = 160
"""Width of tables in output that is not a terminal (``COLUMNS`` overrides it); text lines
are never wrapped there, whatever their length."""

ColorMode = Literal["auto", "always", "never"]
_FALSE = ("0", "false", "no", "off")


def color_mode(environ: Mapping[str, str] = os.environ) -> ColorMode:
    """``NO_COLOR`` (any value) turns colour off; ``FORCE_COLOR`` turns it on, except
    ``FORCE_COLOR=0`` (or false/no/off), a common CI setting meaning the opposite, which
    turns it off. Unset or empty, colour follows whether the output is a terminal."""
    if environ.get("NO_COLOR", ""):
        return "never"
    force = environ.get("FORCE_COLOR", "").strip().lower()
    if not force:
        return "auto"
    return "never" if force in _FALSE else "always"


def make_console(*, stderr: bool = False, environ: Mapping[str, str] = os.environ) -> Console:
    """A console for stdout (or stderr) that follows ``color_mode`` and never wraps a log."""
    stream = sys.stderr if stderr else sys.stdout
    tty = _isatty(stream)
    mode = color_mode(environ)
    return Console(
        stderr=stderr,
        # Explicit, so that rich's own reading of FORCE_COLOR (any value, even 0) is not used.
        force_terminal=tty or mode == "always",
        # A forced terminal is still a log: no live progress bar rewriting itself there.
        force_interactive=None if tty else False,
        color_system=None if mode == "never" else "auto",
        width=None if tty else _log_width(environ),
        soft_wrap=not tty,
    )


def configure_help(environ: Mapping[str, str] = os.environ) -> None:
    """Make Typer's ``--help`` and usage errors follow the same rules as ``make_console``.

    Typer builds its own consoles from these module settings, read at each use; left alone,
    it wraps a log at 80 columns (truncating option names) and forces a terminal for any
    ``FORCE_COLOR``, even 0.
    """
    from typer import rich_utils

    tty = _isatty(sys.stdout)
    mode = color_mode(environ)
    rich_utils.FORCE_TERMINAL = tty or mode == "always"
    rich_utils.COLOR_SYSTEM = None if mode == "never" else "auto"
    rich_utils.MAX_WIDTH = None if tty else _log_width(environ)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def _log_width(environ: Mapping[str, str]) -> int:
    columns = environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else LOG_WIDTH


@contextmanager
def progress_bar(console: Console, description: str) -> Iterator[Any]:
    """Yields an ``on_progress`` callback for the replay engine."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cached {task.fields[cached]} · errors {task.fields[errors]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_interactive,
    ) as bar:
        task = bar.add_task(description, total=None, cached=0, errors=0)

        def update(p: ReplayProgress) -> None:
            bar.update(task, total=p.total, completed=p.done, cached=p.cached, errors=p.errors)

        yield update


def print_report(console: Console, report: RunReport, *, exit_code: bool = True) -> None:
    run = report.run
    console.print(
        f"\n[bold]promptcompat run {run.id[:12]}[/] · status {run.status} · "
        f"samples {run.samples} · fail on {report.fail_on}"
    )
    _print_comparisons(console, report)
    _print_matrix(console, report)
    _print_accuracy(console, report)
    _print_noise_floor(console, report)
    _print_rules(console, report)
    _print_cases(console, report)
    _print_noise(console, report)
    _print_waived(console, report)
    _print_coverage(console, report)
    for warning in report.deprecations:
        console.print(f"[yellow]retirement:[/] {escape(warning.message)}")
    calls = run.calls
    # What happened, counted from the stored rows: an interrupted run has unanswered calls.
    unanswered = calls.total - calls.done
    console.print(
        f"\nCalls: {calls.total}"
        + (f" · answered: {calls.done} · not answered: {unanswered}" if unanswered else "")
        + f" · sent to providers: {calls.sent} "
        f"({calls.provider_requests} HTTP requests incl. retries) · from cache: "
        f"{calls.from_cache} · errors: {calls.errors}"
    )
    _print_judge(console, report)
    if run.status not in ("completed", "completed_with_errors"):
        why = f": {run.error}" if run.error else ""
        console.print(
            f"[magenta]Run status: {run.status}, not completed{escape(why)}[/]. A run that "
            "did not complete is never a pass.",
            highlight=False,
        )
    style = VERDICT_STYLE.get(report.verdict, "")
    code = f" (exit code {report.exit_code})" if exit_code else ""
    console.print(f"Verdict: [{style}]{report.verdict}[/]{code}", highlight=False)


def _print_judge(console: Console, report: RunReport) -> None:
    """The judge's calls and cost (counted among the calls above), and its calibration."""
    if report.judge is None:
        return
    for label, entry in report.judge.targets.items():
        cal = entry.calibration
        measured = (
            "not calibrated: its findings cannot fail CI"
            if cal is None
            else f"calibrated on {cal.pairs} pairs, kappa "
            + ("n/a" if cal.kappa is None else f"{cal.kappa:.2f}")
        )
        console.print(
            f"Judge {escape(label)} ({entry.question}): {entry.calls} calls · "
            f"${entry.cost_usd:.4f} · {measured}",
            highlight=False,
        )


def _print_comparisons(console: Console, report: RunReport) -> None:
    table = Table(title="Compatibility by prompt", title_justify="left")
    table.add_column("prompt", no_wrap=True)
    table.add_column("direction", no_wrap=True)
    table.add_column("baseline → candidate", no_wrap=True)
    for col in ("ok", "chg", "brk", "err", "noise"):
        table.add_column(col, justify="right")
    many = report.run.samples > 1
    table.add_column("top findings (cases · samples)" if many else "top findings (cases)")
    table.add_column("accuracy", justify="right", no_wrap=True)
    table.add_column("Δ tokens", justify="right", no_wrap=True)
    table.add_column("Δ cost", justify="right", no_wrap=True)
    for c in report.comparisons:
        v = c.verdicts
        base, cand = c.usage.baseline, c.usage.candidate
        findings = [
            f"{f.rule} ×{f.cases}"
            + (f" · {f.rate}" if many else "")
            + (" (noise)" if f.noise_cases == f.cases else "")
            + (" (waived)" if f.waived_cases == f.cases else "")
            for f in c.top_findings[:3]
        ]
        direction: str = c.direction if c.direction != "AA" else "A/A"
        if c.mode == "NONE":
            direction += "\n(mode NONE)"
        table.add_row(
            c.prompt,
            direction,
            Text(f"{_side(c.baseline)}\n→ {_side(c.candidate)}"),
            f"[green]{v['COMPATIBLE']}[/]",
            f"[yellow]{v['CHANGED']}[/]",
            f"[bold red]{v['BREAKING']}[/]" if v["BREAKING"] else "0",
            f"[magenta]{v['ERROR']}[/]" if v["ERROR"] else "0",
            f"[dim]{c.noise_cases}[/]" if c.noise_cases else "0",
            Text("\n".join(findings) or "-"),
            _accuracy_delta(c.accuracy),
            _percent_delta(base.get("output_tokens"), cand.get("output_tokens")),
            _percent_delta(base.get("cost_usd"), cand.get("cost_usd")),
        )
    console.print(table)


def _percent_delta(base: float | None, cand: float | None) -> str:
    if not base or cand is None:
        return "-"
    return f"{(cand - base) / base * 100:+.0f}%"


def _pct(side: SideAccuracy | TargetAccuracy | None) -> str:
    if side is None or side.rate is None:
        return "-"
    return f"{side.rate * 100:.0f}%"


def _accuracy_delta(accuracy: ComparisonAccuracy | None) -> str:
    if accuracy is None:
        return "-"
    return f"{_pct(accuracy.baseline)}→{_pct(accuracy.candidate)}"


def _side(side: SideSpec) -> str:
    # The matrix below shows full target labels; here the model is enough to tell sides apart.
    model = side.target.partition(":")[2].partition("?")[0]
    extra = " (fresh samples)" if side.resample else ""
    extra += " (accepted)" if side.accepted_only else ""
    return f"{side.version} · {model}{extra}"


def _print_rules(console: Console, report: RunReport) -> None:
    rules = report.findings_by_rule
    shown = {r: info for r, info in rules.items() if info.severity != "INFO"}
    if not shown:
        return
    table = Table(title="Findings by rule (WARN and ERR)", title_justify="left")
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("cases", justify="right")
    table.add_column("status", no_wrap=True)
    table.add_column("for example", overflow="fold")
    for rule, info in sorted(shown.items(), key=lambda kv: (kv[1].severity, kv[0])):
        statuses = ", ".join(f"{k} {n}" for k, n in sorted(info.statuses.items()))
        table.add_row(rule, info.severity, str(len(info.cases)), statuses, Text(info.cases[0]))
    console.print(table)


def _rate(f: FindingView) -> str:
    base = f" vs {f.baseline_rate}" if f.baseline_samples else ""
    return f"[{f.rate}{base}]"


def _print_cases(console: Console, report: RunReport) -> None:
    listed = [c for c in report.cases if c.verdict in ("BREAKING", "ERROR")]
    if not listed:
        return
    console.print(f"\n[bold]Breaking and failed cases[/] ({len(listed)}; a few per comparison)")
    shown: dict[int, int] = {}
    for case in listed:
        if shown.get(case.comparison, 0) >= CASES_PER_COMPARISON:
            continue
        shown[case.comparison] = shown.get(case.comparison, 0) + 1
        style = VERDICT_STYLE[case.verdict]
        worst = [f for f in case.findings if f.severity == "ERR"] or case.findings
        first = worst[0] if worst else None
        more = f" (+{len(worst) - 1} more)" if len(worst) > 1 else ""
        rate = f" {_rate(first)}" if first is not None and first.samples > 1 else ""
        # Text, not markup: messages quote regexes and outputs, brackets and backslashes.
        console.print(
            Text.assemble(
                "  ",
                (f"{case.verdict:<8}", style),
                f" {case.prompt}/{case.case_id} {case.direction}: ",
                (first.rule if first is not None else "?", "bold"),
                f"{rate} {first.message if first is not None else ''}{more}",
            ),
            highlight=False,
        )
    hidden = len(listed) - sum(shown.values())
    if hidden:
        console.print(f"  … and {hidden} more in the JSON report")


def _print_noise(console: Console, report: RunReport) -> None:
    """Findings the baseline's own variation explains: listed as noise, never as a break."""
    noisy = [(case, f) for case in report.cases for f in case.findings if f.noise]
    if not noisy:
        return
    cases = {(c.comparison, c.case_id) for c, _ in noisy}
    console.print(
        f"\n[bold]Noise[/] [dim](the baseline samples already differ the same way; INFO, "
        f"not a change)[/]: {len(noisy)} findings in {len(cases)} cases"
    )
    by_rule: dict[tuple[str, str, str | None], list[FindingView]] = {}
    for case, f in noisy:
        by_rule.setdefault((case.prompt, f.rule, f.path), []).append(f)
    for (prompt, rule, path), found in list(by_rule.items())[:6]:
        hits = sum(f.hits for f in found)
        samples = sum(f.samples for f in found)
        base_hits = sum(f.baseline_hits for f in found)
        base_samples = sum(f.baseline_samples for f in found)
        at = f" {path}" if path else ""
        console.print(
            Text.assemble(
                "  ",
                ("NOISE   ", "dim"),
                f" {prompt}: {rule}{at} in {len(found)} cases · "
                f"candidate {hits}/{samples} vs baseline {base_hits}/{base_samples}",
            ),
            highlight=False,
        )


def _print_waived(console: Console, report: RunReport) -> None:
    waived: dict[tuple[str, str], int] = {}
    for case in report.cases:
        for f in case.findings:
            if f.waived:
                key = (case.prompt, f.rule)
                waived[key] = waived.get(key, 0) + 1
    if not waived:
        return
    console.print("\n[bold]Waived[/] [dim](prompt.yaml waivers; INFO until they expire)[/]")
    for (prompt, rule), n in waived.items():
        console.print(Text(f"  {prompt}: {rule} in {n} cases"), highlight=False)


def _print_coverage(console: Console, report: RunReport) -> None:
    if not report.prompts:
        return
    console.print("\n[bold]Coverage[/] [dim](which checks could see a change)[/]")
    for name, summary in report.prompts.items():
        console.print(Text(f"  {name}: {summary.coverage.line}"), highlight=False)
        for failure in summary.baseline_fails_contract:
            console.print(Text(f"  {name}: {failure.line}", style="yellow"), highlight=False)


def _print_accuracy(console: Console, report: RunReport) -> None:
    rows = report.accuracy
    if not rows:
        return
    table = Table(title="Reference accuracy by target", title_justify="left")
    for col in ("prompt", "version", "target"):
        table.add_column(col, no_wrap=True)
    table.add_column("cases", justify="right")
    table.add_column("matched samples", justify="right")
    table.add_column("accuracy", justify="right")
    for a in rows:
        table.add_row(
            a.prompt,
            a.version,
            Text(a.target),
            str(a.cases),
            f"{a.matched}/{a.samples}",
            _pct(a),
        )
    console.print(table)


def _print_noise_floor(console: Console, report: RunReport) -> None:
    rows = report.noise_floor
    if not rows:
        return
    table = Table(
        title="Noise floor (A/A: each cell against fresh samples of itself)", title_justify="left"
    )
    for col in ("prompt", "cell"):
        table.add_column(col, no_wrap=True)
    table.add_column("cases differing", justify="right")
    table.add_column("verdicts", no_wrap=True)
    table.add_column("rules firing (cases · rate)", overflow="fold")
    for n in rows:
        verdicts = " · ".join(f"{k.lower()} {v}" for k, v in n.verdicts.items() if v)
        rules = "\n".join(f"{rule} ×{info.cases} · {info.rate}" for rule, info in n.rules.items())
        table.add_row(
            n.prompt,
            Text(f"{n.version} @ {n.target}"),
            f"{n.differing}/{n.cases}",
            verdicts or "-",
            Text(rules or "-"),
        )
    console.print(table)


def _print_matrix(console: Console, report: RunReport) -> None:
    """Per prompt, a grid: prompt versions down, targets across; per cell, the directions
    checked there, whether each holds, and the verdict counts behind it."""
    for prompt, grid in report.matrix.items():
        targets = grid.targets
        table = Table(
            title=f"Compatibility matrix · {prompt}",
            title_justify="left",
        )
        table.add_column("version", no_wrap=True)
        for target in targets:
            table.add_column(Text(_target_header(target, targets)), no_wrap=True)
        cells = {(c.version, c.target): c for c in grid.cells}
        for version in grid.versions:
            row = [version]
            for target in targets:
                cell = cells.get((version, target))
                row.append(_cell_text(cell) if cell else "[dim]·[/]")
            table.add_row(*row)
        console.print(table)


def _target_header(target: str, targets: list[str]) -> str:
    model = target.partition(":")[2]
    short = model.partition("?")[0]
    same = [t for t in targets if t.partition(":")[2].partition("?")[0] == short]
    return model if len(same) > 1 else short


def _cell_text(cell: MatrixCell) -> str:
    lines = []
    if cell.baseline_for:
        lines.append("[dim]accepted baseline[/]" if cell.accepted_only else "[dim]baseline[/]")
    for direction, info in cell.directions.items():
        counts = " · ".join(
            f"{n} {label}"
            for label, n in (
                ("ok", info.verdicts["COMPATIBLE"]),
                ("changed", info.verdicts["CHANGED"]),
                ("breaking", info.verdicts["BREAKING"]),
                ("error", info.verdicts["ERROR"]),
            )
            if n
        )
        name = "A/A" if direction == "AA" else direction
        evaluated = any(info.verdicts.values())
        mark = "[green]✓[/]" if info.holds else "[red]✗[/]" if evaluated else "[dim]?[/]"
        suffix = "" if info.enforced or direction == "AA" else " [dim](not enforced)[/]"
        against = len(info.against)
        vs = f" [dim](vs {against})[/]" if against > 1 else ""
        lines.append(f"{name} {mark}{vs}{suffix}")
        lines.append(f"[dim]{counts or '-'}[/]")
    if cell.accuracy:
        lines.append(f"[dim]accuracy {_pct(cell.accuracy)}[/]")
    return "\n".join(lines)

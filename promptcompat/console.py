"""Terminal rendering of reports and progress (rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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

from promptcompat.replay import Progress as ReplayProgress

VERDICT_STYLE = {
    "COMPATIBLE": "green",
    "CHANGED": "yellow",
    "BREAKING": "bold red",
    "ERROR": "magenta",
}
CASES_PER_COMPARISON = 3


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
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None, cached=0, errors=0)

        def update(p: ReplayProgress) -> None:
            bar.update(task, total=p.total, completed=p.done, cached=p.cached, errors=p.errors)

        yield update


def _delta(base: float | None, cand: float | None, fmt: str) -> str:
    if not base or cand is None:
        return "-"
    pct = (cand - base) / base * 100.0
    return f"{fmt.format(cand - base)} ({pct:+.0f}%)"


def print_report(console: Console, report: dict[str, Any], *, exit_code: bool = True) -> None:
    run = report["run"]
    console.print(
        f"\n[bold]promptcompat run {run['id'][:12]}[/] · status {run['status']} · "
        f"samples {run['samples']}"
    )
    _print_comparisons(console, report)
    _print_matrix(console, report)
    _print_rules(console, report)
    _print_cases(console, report)
    calls = run["calls"]
    console.print(
        f"\nCalls: {calls['total']} · sent to providers: {calls['total'] - calls['from_cache']} "
        f"({calls['provider_requests']} HTTP requests incl. retries) · from cache: "
        f"{calls['from_cache']} · errors: {calls['errors']}"
    )
    style = VERDICT_STYLE.get(report["verdict"], "")
    code = f" (exit code {report['exit_code']})" if exit_code else ""
    console.print(f"Verdict: [{style}]{report['verdict']}[/]{code}", highlight=False)


def _print_comparisons(console: Console, report: dict[str, Any]) -> None:
    table = Table(title="Compatibility by prompt", title_justify="left")
    for col in ("prompt", "direction", "baseline", "candidate"):
        table.add_column(col, no_wrap=True)
    for col in ("ok", "changed", "breaking", "error"):
        table.add_column(col, justify="right")
    table.add_column("top findings (cases)", no_wrap=True)
    table.add_column("Δ out tokens", justify="right")
    table.add_column("Δ cost $", justify="right")
    for c in report["comparisons"]:
        v = c["verdicts"]
        base, cand = c["usage"]["baseline"], c["usage"]["candidate"]
        findings = [f"{f['rule']} ×{f['cases']}" for f in c["top_findings"][:3]]
        direction = c["direction"] + ("\n(mode NONE)" if c.get("mode") == "NONE" else "")
        table.add_row(
            c["prompt"],
            direction,
            _side(c["baseline"]),
            _side(c["candidate"]),
            f"[green]{v['COMPATIBLE']}[/]",
            f"[yellow]{v['CHANGED']}[/]",
            f"[bold red]{v['BREAKING']}[/]" if v["BREAKING"] else "0",
            f"[magenta]{v['ERROR']}[/]" if v["ERROR"] else "0",
            "\n".join(findings) or "-",
            _delta(base.get("output_tokens"), cand.get("output_tokens"), "{:+,.0f}"),
            _delta(base.get("cost_usd"), cand.get("cost_usd"), "{:+.4f}"),
        )
    console.print(table)


def _side(side: dict[str, str]) -> str:
    # The matrix below shows full target labels; here the model is enough to tell sides apart.
    model = side["target"].partition(":")[2].partition("?")[0]
    return f"{side['version']} · {model}"


def _print_rules(console: Console, report: dict[str, Any]) -> None:
    rules = report["findings_by_rule"]
    shown = {r: info for r, info in rules.items() if info["severity"] != "INFO"}
    if not shown:
        return
    table = Table(title="Findings by rule (WARN and ERR)", title_justify="left")
    table.add_column("rule")
    table.add_column("severity")
    table.add_column("cases", justify="right")
    table.add_column("for example", overflow="fold")
    for rule, info in sorted(shown.items(), key=lambda kv: (kv[1]["severity"], kv[0])):
        table.add_row(rule, info["severity"], str(len(info["cases"])), escape(info["cases"][0]))
    console.print(table)


def _print_cases(console: Console, report: dict[str, Any]) -> None:
    listed = [c for c in report["cases"] if c["verdict"] in ("BREAKING", "ERROR")]
    if not listed:
        return
    console.print(f"\n[bold]Breaking and failed cases[/] ({len(listed)}; a few per comparison)")
    shown: dict[int, int] = {}
    for case in listed:
        if shown.get(case["comparison"], 0) >= CASES_PER_COMPARISON:
            continue
        shown[case["comparison"]] = shown.get(case["comparison"], 0) + 1
        style = VERDICT_STYLE[case["verdict"]]
        worst = [f for f in case["findings"] if f["severity"] == "ERR"] or case["findings"]
        first = worst[0] if worst else {"rule": "?", "message": ""}
        more = f" (+{len(worst) - 1} more)" if len(worst) > 1 else ""
        console.print(
            f"  [{style}]{case['verdict']:<8}[/] "
            f"{escape(case['prompt'])}/{escape(case['case_id'])} {case['direction']}: "
            f"[bold]{first['rule']}[/] {escape(first['message'])}{more}",
            highlight=False,
        )
    hidden = len(listed) - sum(shown.values())
    if hidden:
        console.print(f"  … and {hidden} more in the JSON report")


def _print_matrix(console: Console, report: dict[str, Any]) -> None:
    matrix = report["matrix"]
    if not matrix:
        return
    table = Table(
        title="Compatibility matrix (candidate cell: directions that hold)", title_justify="left"
    )
    table.add_column("prompt")
    table.add_column("cell")
    table.add_column("holds")
    for prompt, cells in matrix.items():
        for cell, directions in cells.items():
            text = ", ".join(
                f"[green]{d} ✓[/]" if info["holds"] else f"[red]{d} ✗[/]"
                for d, info in directions.items()
            )
            table.add_row(prompt, cell, text)
    console.print(table)

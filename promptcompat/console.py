"""Terminal rendering of reports and progress (rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
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
MAX_LISTED_CASES = 25


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


def print_report(console: Console, report: dict[str, Any]) -> None:
    run = report["run"]
    style = VERDICT_STYLE.get(report["verdict"], "")
    console.print(
        f"\n[bold]promptcompat run {run['id'][:12]}[/] · status {run['status']} · "
        f"samples {run['samples']} · verdict [{style}]{report['verdict']}[/]"
    )
    table = Table(title="Compatibility by prompt", show_lines=False, title_justify="left")
    for col in (
        "prompt",
        "direction",
        "baseline → candidate",
        "compat",
        "changed",
        "breaking",
        "error",
        "top findings",
        "Δ output tokens",
        "Δ cost (USD)",
    ):
        table.add_column(col, overflow="fold")
    for c in report["comparisons"]:
        v = c["verdicts"]
        base, cand = c["usage"]["baseline"], c["usage"]["candidate"]
        sides = (
            f"{c['baseline']['version']}@{c['baseline']['target']}\n→ "
            f"{c['candidate']['version']}@{c['candidate']['target']}"
        )
        findings = "\n".join(f"{f['rule']} ×{f['cases']}" for f in c["top_findings"]) or "-"
        direction = c["direction"] + (" (NONE: not enforced)" if c.get("mode") == "NONE" else "")
        table.add_row(
            c["prompt"],
            direction,
            sides,
            f"[green]{v['COMPATIBLE']}[/]",
            f"[yellow]{v['CHANGED']}[/]",
            f"[bold red]{v['BREAKING']}[/]" if v["BREAKING"] else "0",
            f"[magenta]{v['ERROR']}[/]" if v["ERROR"] else "0",
            findings,
            _delta(base.get("output_tokens"), cand.get("output_tokens"), "{:+,.0f}"),
            _delta(base.get("cost_usd"), cand.get("cost_usd"), "{:+.4f}"),
        )
    console.print(table)
    _print_matrix(console, report)
    listed = [c for c in report["cases"] if c["verdict"] in ("BREAKING", "ERROR")]
    if listed:
        console.print(f"\n[bold]Breaking and failed cases[/] ({len(listed)})")
        for case in listed[:MAX_LISTED_CASES]:
            style = VERDICT_STYLE[case["verdict"]]
            worst = [f for f in case["findings"] if f["severity"] == "ERR"] or case["findings"]
            first = worst[0] if worst else {"rule": "?", "message": ""}
            more = f" (+{len(worst) - 1} more)" if len(worst) > 1 else ""
            console.print(
                f"  [{style}]{case['verdict']:<8}[/] {case['prompt']}/{case['case_id']} "
                f"{case['direction']}: [bold]{first['rule']}[/] {first['message']}{more}",
                highlight=False,
            )
        if len(listed) > MAX_LISTED_CASES:
            console.print(f"  … and {len(listed) - MAX_LISTED_CASES} more in the JSON report")
    calls = run["calls"]
    console.print(
        f"\nCalls: {calls['total']} · sent to providers: {calls['total'] - calls['from_cache']} "
        f"({calls['provider_requests']} HTTP requests incl. retries) · from cache: "
        f"{calls['from_cache']} · errors: {calls['errors']}"
    )


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

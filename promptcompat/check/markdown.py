"""The check's result as GitHub-flavoured markdown, sized for a pull-request comment.

A comment holds at most 65,536 characters. The summary, the verdict table and the
request-side findings always fit; the collapsible per-case details are added while they fit
in ``BUDGET`` (each diff cut to ``DIFF_CHARS``), and a closing note says how many were left out
and where to find them.
"""

from __future__ import annotations

import html
import re

from promptcompat.check.result import CheckCase, CheckJudge, CheckResult
from promptcompat.store.tables.run_spec import SideSpec

COMMENT_LIMIT = 65_536
BUDGET = 60_000
"""Characters for everything; the rest of the limit is headroom for a CI's own wrapper."""
DIFF_CHARS = 2_500
MAX_TABLE_ROWS = 60
MAX_FINDINGS = 8
ICONS = {"COMPATIBLE": "✅", "CHANGED": "⚠️", "BREAKING": "❌", "ERROR": "💥"}
MARKER = "<!-- promptcompat-check -->"
"""First line of the comment, so a workflow can find and update its earlier comment."""


def render_markdown(result: CheckResult) -> str:
    """The markdown summary of a check result (``check.run_check``)."""
    head = _head(result)
    tail = _tail(result)
    failing = [c for c in result.cases if c.failing]
    details: list[str] = []
    used = len(head) + len(tail) + 600  # the section heading and the closing note
    shown = 0
    for case in failing:
        block = _details(case)
        if used + len(block) > BUDGET:
            break
        details.append(block)
        used += len(block)
        shown += 1
    parts = [head]
    if failing:
        parts.append(f"### Breaking cases ({len(failing)})\n")
        parts.extend(details)
        if shown < len(failing):
            parts.append(
                f"> **{len(failing) - shown} more breaking case(s) not shown** (of "
                f"{len(failing)}): a pull-request comment holds at most "
                f"{COMMENT_LIMIT:,} characters. Every case is in the JSON report and the JUnit "
                "XML.\n"
            )
    parts.append(tail)
    text = "\n".join(parts)
    if len(text) > BUDGET:  # a pathological head (thousands of errors): cut, and say so
        text = text[: BUDGET - 200] + "\n\n> **Summary cut** to fit a pull-request comment.\n"
    return text


def judge_line(judge: CheckJudge) -> str:
    """One line: the judge's calls and cost, and per judge whether its findings can fail the
    check (its latest calibration's kappa against ``judge_min_kappa``)."""
    status = []
    for label, usage in judge.targets.items():
        cal = usage.calibration
        if cal is None:
            said = "not calibrated, its findings cannot fail the check"
        elif cal.kappa is not None and cal.kappa >= judge.min_kappa:
            said = (
                f"kappa {cal.kappa:.2f} on {cal.pairs} pairs ≥ {judge.min_kappa:.2f}, can fail it"
            )
        else:
            kappa = "n/a" if cal.kappa is None else f"{cal.kappa:.2f}"
            said = (
                f"kappa {kappa} on {cal.pairs} pairs < {judge.min_kappa:.2f}, cannot fail the check"
            )
        status.append(f"{code(label)} ({usage.question}): {said}")
    return (
        f"Judge: {judge.calls} calls · ${judge.cost_usd:.4f} (among the calls above) · "
        + "; ".join(status)
    )


def _head(result: CheckResult) -> str:
    verdict = result.verdict
    base = result.base
    merge_base = (base.merge_base or "")[:12]
    lines = [
        MARKER,
        f"## {ICONS.get(verdict, '')} promptcompat check: {verdict}",
        "",
        f"Changes since {code(base.ref)}"
        + (f" (merge base {code(merge_base)})" if merge_base else "")
        + f": {len(result.prompts)} prompt(s) changed, "
        f"{len(result.unchanged_prompts)} unchanged and not replayed. "
        f"Fails on {result.fail_on}; exit code {result.exit_code}.",
        "",
    ]
    calls = result.calls
    if result.run_id:
        lines += [
            f"Calls: {calls.total} ({calls.from_cache} from cache, "
            f"{calls.provider_requests} provider requests, {calls.errors} failed). "
            f"Run {code(result.run_id[:12])}.",
            "",
        ]
    if result.judge is not None:
        lines += [judge_line(result.judge), ""]
    if result.errors:
        lines += ["### Errors", ""]
        for error in result.errors[:50]:
            where = f"{code(error.where)}: " if error.where else ""
            lines.append(f"- 💥 {where}{_inline(error.message)}")
        if len(result.errors) > 50:
            lines.append(f"- … and {len(result.errors) - 50} more")
        lines.append("")
    if result.comparisons:
        lines += [
            "| | prompt | direction | baseline | candidate | cases | compatible | changed "
            "| breaking | error |",
            "|---|---|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for comp in result.comparisons[:MAX_TABLE_ROWS]:
            v = comp.verdicts
            worst = next((k for k in ("ERROR", "BREAKING", "CHANGED") if v.get(k)), "COMPATIBLE")
            enforced = "" if comp.enforced else " (not enforced)"
            lines.append(
                f"| {ICONS[worst]} | {code(comp.prompt)} | {comp.direction}{enforced} | "
                f"{_side(comp.baseline)} | {_side(comp.candidate)} | {comp.cases} | "
                f"{v['COMPATIBLE']} | {v['CHANGED']} | {v['BREAKING']} | {v['ERROR']} |"
            )
        if len(result.comparisons) > MAX_TABLE_ROWS:
            lines.append(
                f"\n_{len(result.comparisons) - MAX_TABLE_ROWS} more comparisons not shown._"
            )
        lines.append("")
    elif not result.errors:
        lines += ["Nothing to replay: no prompt change affects a prompt version or case.", ""]
    if result.coverage:
        lines += ["### Coverage", ""]
        for name, entry in list(result.coverage.items())[:MAX_TABLE_ROWS]:
            lines.append(f"- {code(name)}: {_inline(entry.line)}")
            lines.extend(
                f"- ⚠️ {code(name)}: {_inline(line)}" for line in entry.baseline_fails_contract
            )
        lines.append("")
    if result.request_side:
        lines += [
            "### Request side",
            "",
            "| prompt | version | rule | severity | variable or tool | |",
            "|---|---|---|---|---|---|",
        ]
        for r in result.request_side:
            lines.append(
                f"| {code(r.prompt)} | {r.base_version} → {r.version} | "
                f"{code(r.rule)} | {r.severity} | {code(r.variable or '')} | "
                f"{_cell(r.message)} |"
            )
        lines.append("")
    if result.contract_side:
        found = result.contract_side
        lines += [
            "### Accepted outputs against the changed contract",
            "",
            "| case | rule | severity | at | |",
            "|---|---|---|---|---|",
        ]
        for f in found[:MAX_TABLE_ROWS]:
            lines.append(
                f"| {code(f.prompt + '/' + f.case_id)} | {code(f.rule)} | "
                f"{f.severity} | {code(f.path or '')} | {_cell(f.message)} |"
            )
        if len(found) > MAX_TABLE_ROWS:
            lines.append(f"\n_{len(found) - MAX_TABLE_ROWS} more not shown._")
        lines.append("")
    return "\n".join(lines)


def _tail(result: CheckResult) -> str:
    lines = ["<details><summary>What changed</summary>", ""]
    for change in result.prompts[:100]:
        lines.append(f"- {code(change.prompt)}: {_inline('; '.join(change.reasons))}")
    if len(result.prompts) > 100:
        lines.append(f"- … and {len(result.prompts) - 100} more prompts")
    if not result.prompts:
        files = result.changed_files
        shown = ", ".join(code(f) for f in files[:30])
        more = f" and {len(files) - 30} more" if len(files) > 30 else ""
        lines.append(f"- changed files: {shown}{more}" if files else "- no prompt changed")
    lines += ["", "</details>", ""]
    snaps = result.snapshots
    if snaps.pending_written:
        lines.append(
            f"Pending snapshots written: {len(snaps.pending_written)} file(s); review them "
            "with `promptcompat review` and commit the accepted files."
        )
    if snaps.obsolete:
        lines.append(
            f"Obsolete snapshots: {len(snaps.obsolete)} (remove them with "
            "`promptcompat snapshots clean --remove`)."
        )
    return "\n".join(lines) + "\n"


def _details(case: CheckCase) -> str:
    rules = list(dict.fromkeys(f.rule for f in case.findings if f.severity != "INFO"))
    summary = (
        f"{ICONS.get(case.verdict, '')} <code>{html.escape(case.prompt)}</code> / "
        f"<code>{html.escape(case.case_id)}</code>: {case.direction} "
        f"{html.escape(case.baseline.version)} → "
        f"{html.escape(case.candidate.version)} on "
        f"<code>{html.escape(case.candidate.target)}</code>"
        + (": " + ", ".join(f"<code>{html.escape(r)}</code>" for r in rules) if rules else "")
    )
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    for f in case.findings[:MAX_FINDINGS]:
        at = f" at {code(f.path)}" if f.path else ""
        lines.append(
            f"- **{f.severity}** {code(f.rule)}{at}: {_inline(f.message)} "
            f"({f.rate}{', ' + f.status if f.status not in ('', 'finding') else ''})"
        )
    if len(case.findings) > MAX_FINDINGS:
        lines.append(f"- … and {len(case.findings) - MAX_FINDINGS} more findings")
    diff = case.diff
    if diff:
        if len(diff) > DIFF_CHARS:
            diff = diff[:DIFF_CHARS] + f"\n… diff cut ({len(case.diff):,} characters in all)"
        fence = _fence(diff)
        lines += ["", f"{fence}diff", diff, fence]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _side(side: SideSpec) -> str:
    return f"{side.version} @ {code(side.target)}"


def code(text: str) -> str:
    """An inline code span that survives backticks and pipes inside ``text``."""
    text = text.replace("\n", " ").replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    return "`" * max(3, longest + 1)


def _inline(text: str) -> str:
    # One line, and no raw HTML from model outputs or messages.
    return html.escape(" ".join(text.split()), quote=False)


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")

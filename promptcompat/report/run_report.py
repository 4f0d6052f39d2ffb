"""The report of a run, built from the store alone (so any process can print any run).

The exit code is decided here and only here: 2 when the run did not complete (pending,
running, finalizing, failed, cancelled: a run that did not finish is never a pass), else 1
when an enforced comparison (mode not NONE, not A/A) has a finding at or above ``fail_on`` (ERR
by default, or WARN), else 2 when one of them (or an A/A comparison) has an ERROR case, else 0.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, cast

from sqlmodel import Session

from promptcompat import store
from promptcompat.errors import ConfigError
from promptcompat.report.coverage import prompt_summaries
from promptcompat.report.cross_views import VERDICTS, accuracy_by_target, matrix, noise_floor
from promptcompat.report.model import (
    FORMAT,
    CallCounts,
    CaseView,
    ComparisonAccuracy,
    ComparisonUsage,
    ComparisonView,
    FindingView,
    JudgeCalibrationView,
    JudgeTargetUsage,
    JudgeUsage,
    RuleSummary,
    RunReport,
    RunView,
    SideAccuracy,
    TopFinding,
)
from promptcompat.rules import CATALOG
from promptcompat.rules.catalog import Verdict
from promptcompat.rules.noise import Severity, fisher_greater, status_of, testable
from promptcompat.store import judging
from promptcompat.store.tables.core import (
    COMPLETED_STATUSES,
    REFERENCE_KEY,
    CaseResult,
    FindingRecord,
)
from promptcompat.store.tables.run_spec import ComparisonSpec, Direction

ExitCode = Literal[0, 1, 2]
EXIT_COMPATIBLE: ExitCode = 0
EXIT_BREAKING: ExitCode = 1
EXIT_ERROR: ExitCode = 2
_RANK: dict[str, int] = {"ERR": 0, "WARN": 1, "INFO": 2}


def build_report(*, session: Session, run_id: str, fail_on: Severity = "ERR") -> RunReport:
    """The report of a run; ``fail_on`` (ERR or WARN) sets which findings exit 1."""
    if fail_on not in ("ERR", "WARN"):
        raise ValueError(f"fail_on must be ERR or WARN, not {fail_on!r}")
    run = store.get_run(session=session, run_id=run_id)
    results = store.case_results(session=session, run_id=run.id)
    records = store.findings_for_run(session=session, run_id=run.id)
    usage = store.run_call_stats(session=session, run_id=run.id)
    modes = run.spec.modes
    samples = run.spec.request.samples
    completed = run.status in COMPLETED_STATUSES
    by_result: dict[str, list[FindingView]] = defaultdict(list)
    for record in records:
        by_result[record.case_result_id].append(finding_view(record))
    for views in by_result.values():
        views.sort(key=lambda f: (_RANK.get(f.severity, 3), f.rule, f.path or ""))
    comparisons = [
        _comparison(
            index,
            spec,
            [r for r in results if r.comparison == index],
            by_result,
            mode=modes.get(spec.prompt),
            usage=usage,
            samples=samples,
            completed=completed,
        )
        for index, spec in enumerate(run.spec.comparisons)
    ]
    cases = [
        CaseView(
            comparison=r.comparison,
            prompt=r.prompt,
            direction=cast("Direction", r.direction),
            case_id=r.case_id,
            verdict=cast("Verdict", r.verdict),
            reference=r.structural_diff.get(REFERENCE_KEY),
            findings=by_result[r.id],
        )
        for r in results
    ]
    verdict, code = _verdict(completed, comparisons, cases, fail_on)
    return RunReport(
        format=FORMAT,
        run=RunView(
            id=run.id,
            status=run.status,
            created_at=run.created_at.isoformat(),
            finished_at=run.finished_at.isoformat() if run.finished_at else None,
            samples=samples,
            calls=CallCounts(
                total=run.total_calls,
                done=run.done_calls,
                from_cache=run.cached_calls,
                sent=store.sent_calls(session=session, run_id=run.id),
                provider_requests=run.provider_calls,
                errors=run.error_calls,
            ),
            error=run.error,
        ),
        fail_on=fail_on,
        verdict=verdict,
        exit_code=code,
        comparisons=comparisons,
        matrix=matrix(comparisons),
        accuracy=accuracy_by_target(comparisons, results),
        noise_floor=noise_floor(comparisons, cases),
        findings_by_rule=_by_rule(cases),
        prompts=prompt_summaries(results),
        deprecations=list(run.spec.deprecations),
        judge=_judge(session, usage, run.project),
        cases=cases,
    )


def finding_view(record: FindingRecord) -> FindingView:
    """A stored finding as the report shows it: rates, status (noise, waived...), p-value."""
    status = (
        "waived"
        if record.waived
        else status_of(
            record.rule, record.hits, record.samples, record.baseline_hits, record.baseline_samples
        )
    )
    p_value = None
    if record.hits > 0 and testable(record.samples, record.baseline_samples):
        p_value = round(
            fisher_greater(
                record.hits, record.samples, record.baseline_hits, record.baseline_samples
            ),
            4,
        )
    return FindingView(
        rule=record.rule,
        severity=cast("Severity", record.severity),
        status=status,
        noise=status == "noise",
        waived=record.waived,
        path=record.path,
        message=record.message,
        rate=f"{record.hits}/{record.samples}",
        baseline_rate=f"{record.baseline_hits}/{record.baseline_samples}",
        hits=record.hits,
        samples=record.samples,
        baseline_hits=record.baseline_hits,
        baseline_samples=record.baseline_samples,
        p_value=p_value,
    )


def _comparison(
    index: int,
    spec: ComparisonSpec,
    rows: Sequence[CaseResult],
    by_result: dict[str, list[FindingView]],
    *,
    mode: str | None,
    usage: dict[str, Any],
    samples: int,
    completed: bool,
) -> ComparisonView:
    counts = Counter(r.verdict for r in rows)
    per_rule: dict[str, dict[str, Any]] = {}
    noise_cases = waived_cases = 0
    for r in rows:
        views = by_result[r.id]
        noise_cases += any(f.noise for f in views)
        waived_cases += any(f.waived for f in views)
        for rule_id in dict.fromkeys(f.rule for f in views):
            fired = [f for f in views if f.rule == rule_id]
            entry = per_rule.setdefault(
                rule_id,
                {
                    "rule": rule_id,
                    "severity": "INFO",
                    "cases": 0,
                    "noise_cases": 0,
                    "waived_cases": 0,
                    "hits": 0,
                },
            )
            entry["cases"] += 1
            entry["noise_cases"] += all(f.noise for f in fired)
            entry["waived_cases"] += all(f.waived for f in fired)
            worst = min((f.severity for f in fired), key=lambda s: _RANK.get(s, 3))
            if _RANK[worst] < _RANK[entry["severity"]]:
                entry["severity"] = worst
            # Per case, the occurrence that fired on most samples (a rule may fire at paths).
            entry["hits"] += max(f.hits for f in fired)
    ranked = sorted(per_rule.values(), key=lambda e: (_RANK[e["severity"]], -e["cases"], e["rule"]))
    # The rate: of all candidate samples of the comparison, how many showed it.
    top_findings = [
        TopFinding(
            rule=e["rule"],
            severity=e["severity"],
            cases=e["cases"],
            noise_cases=e["noise_cases"],
            waived_cases=e["waived_cases"],
            rate=f"{e['hits']}/{len(rows) * samples}",
        )
        for e in ranked[:5]
    ]
    base = usage.get(_usage_key(spec.prompt, spec.baseline.version, spec.baseline.target), {})
    cand = usage.get(_usage_key(spec.prompt, spec.candidate.version, spec.candidate.target), {})
    return ComparisonView(
        index=index,
        prompt=spec.prompt,
        direction=spec.direction,
        baseline=spec.baseline,
        candidate=spec.candidate,
        mode=mode,
        enforced=mode != "NONE" and spec.direction != "AA",
        cases=len(rows),
        verdicts={v: counts.get(v, 0) for v in VERDICTS},
        # Nothing holds in a run that did not complete: its cases were never (all) evaluated.
        holds=completed and counts.get("BREAKING", 0) == 0 and counts.get("ERROR", 0) == 0,
        top_findings=top_findings,
        noise_cases=noise_cases,
        waived_cases=waived_cases,
        accuracy=_accuracy(rows),
        usage=ComparisonUsage(baseline=base, candidate=cand),
    )


def _accuracy(rows: Sequence[CaseResult]) -> ComparisonAccuracy | None:
    scored = [r.structural_diff[REFERENCE_KEY] for r in rows if REFERENCE_KEY in r.structural_diff]
    if not scored:
        return None
    sides: dict[str, SideAccuracy] = {}
    for side in ("baseline", "candidate"):
        matched = sum(s[side][0] for s in scored)
        samples = sum(s[side][1] for s in scored)
        sides[side] = SideAccuracy(
            matched=matched,
            samples=samples,
            rate=round(matched / samples, 4) if samples else None,
        )
    return ComparisonAccuracy(cases=len(scored), **sides)


def _verdict(
    completed: bool,
    comparisons: Sequence[ComparisonView],
    cases: Sequence[CaseView],
    fail_on: Severity,
) -> tuple[Verdict, ExitCode]:
    if not completed:
        return "ERROR", EXIT_ERROR
    enforced = {c.index for c in comparisons if c.enforced}
    failing = {"ERR"} if fail_on == "ERR" else {"ERR", "WARN"}
    severities = {
        f.severity
        for case in cases
        if case.comparison in enforced
        for f in case.findings
        if f.rule != "call.error" and f.severity in failing
    }
    if severities:
        return ("BREAKING" if "ERR" in severities else "CHANGED"), EXIT_BREAKING
    # A/A measures; a measurement whose calls failed is an error all the same.
    measured = enforced | {c.index for c in comparisons if c.direction == "AA"}
    if any(case.verdict == "ERROR" for case in cases if case.comparison in measured):
        return "ERROR", EXIT_ERROR
    verdicts = {case.verdict for case in cases if case.comparison in enforced}
    return ("CHANGED" if "CHANGED" in verdicts else "COMPATIBLE"), EXIT_COMPATIBLE


def _judge(session: Session, usage: dict[str, Any], project: str) -> JudgeUsage | None:
    """The judge's calls, tokens and cost in this run (its calls carry the question version,
    ``judge/<n>``, as their version), and each judge's latest calibration figures."""
    totals: dict[str, dict[str, Any]] = {}
    for key, entry in usage.items():
        _, version, target = key.split("|", 2)
        if not version.startswith("judge/"):
            continue
        found = totals.setdefault(target, {"question": version})
        if found["question"] == judging.FACT_QUESTION_VERSION:
            # The answers' question (``judge/<n>``) names the judge's calibration; the
            # key-fact question's calls are counted with it.
            found["question"] = version
        for name in ("calls", "input_tokens", "output_tokens", "cost_usd"):
            found[name] = found.get(name, 0) + entry[name]
    if not totals:
        return None
    targets: dict[str, JudgeTargetUsage] = {}
    for target, found in totals.items():
        # Key-fact findings are gated by the calibration of the answers' question.
        calibrated = (
            judging.QUESTION_VERSION
            if found["question"] == judging.FACT_QUESTION_VERSION
            else found["question"]
        )
        calibration = judging.latest_calibration(
            session=session, judge=target, question=calibrated, project=project
        )
        targets[target] = JudgeTargetUsage(
            **found,
            calibration=None
            if calibration is None
            else JudgeCalibrationView(
                **{
                    name: value
                    for name, value in calibration.figures.items()
                    if name in JudgeCalibrationView.model_fields
                },
                labels=calibration.labels,
                at=calibration.calibrated_at.isoformat(),
            ),
        )
    return JudgeUsage(
        calls=sum(t.calls for t in targets.values()),
        cost_usd=round(sum(t.cost_usd for t in targets.values()), 6),
        targets=targets,
    )


def _usage_key(prompt: str, version: str, target: str) -> str:
    return f"{prompt}|{version}|{target}"


def _by_rule(cases: Sequence[CaseView]) -> dict[str, RuleSummary]:
    """Per rule: its worst effective severity, the cases it fired in, and its statuses."""
    grouped: dict[str, dict[str, Any]] = {}
    for case in cases:
        label = f"{case.prompt}/{case.case_id} ({case.direction})"
        for f in case.findings:
            entry = grouped.setdefault(
                f.rule,
                {
                    "severity": "INFO",
                    "default_severity": CATALOG[f.rule].severity,
                    "description": CATALOG[f.rule].description,
                    "cases": [],
                    "statuses": {},
                },
            )
            if _RANK[f.severity] < _RANK[entry["severity"]]:
                entry["severity"] = f.severity
            if not entry["cases"] or entry["cases"][-1] != label:
                entry["cases"].append(label)
            entry["statuses"][f.status] = entry["statuses"].get(f.status, 0) + 1
    return {rule: RuleSummary(**entry) for rule, entry in sorted(grouped.items())}


def prepare_output(path: Path, *, option: str) -> None:
    """Make sure a report can be written to ``path`` once the run is over, before it starts.

    Creates the missing folders; refuses a folder, or a place that cannot be written to, with
    a ConfigError naming ``option`` (a run's calls are not spent to fail at the last step).
    """
    where = f"{option} {path}"
    if path.is_dir():
        raise ConfigError("is a folder; give a file name", where=where)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot create its folder: {reason}", where=where) from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError("cannot be written (permission denied)", where=where)


def report_text(report: RunReport) -> str:
    """The JSON report as written to a file or printed by ``report --json``."""
    return json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"


def write_report(report: RunReport, directory: Path) -> Path:
    """Write the JSON report into ``directory`` as ``<run id>.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report.run.id}.json"
    path.write_text(report_text(report), encoding="utf-8")
    return path

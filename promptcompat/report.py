"""The report of a run, built from the store alone (so any process can print any run)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlmodel import Session

from promptcompat import store
from promptcompat.rules import CATALOG

VERDICTS = ("COMPATIBLE", "CHANGED", "BREAKING", "ERROR")
EXIT_COMPATIBLE, EXIT_BREAKING, EXIT_ERROR = 0, 1, 2


def build_report(*, session: Session, run_id: str) -> dict[str, Any]:
    run = store.get_run(session=session, run_id=run_id)
    results = store.case_results(session=session, run_id=run.id)
    findings = store.findings_for_run(session=session, run_id=run.id)
    usage = store.run_call_stats(session=session, run_id=run.id)
    modes: dict[str, str] = run.spec.get("modes", {})
    by_result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        by_result[f.case_result_id].append(
            {
                "rule": f.rule,
                "severity": f.severity,
                "path": f.path,
                "message": f.message,
                "rate": f"{f.hits}/{f.samples}",
                "baseline_rate": f"{f.baseline_hits}/{f.baseline_samples}",
            }
        )
    comparisons: list[dict[str, Any]] = []
    for index, spec in enumerate(run.spec.get("comparisons", [])):
        rows = [r for r in results if r.comparison == index]
        counts = Counter(r.verdict for r in rows)
        rules: Counter[str] = Counter()
        for r in rows:
            rules.update({f["rule"] for f in by_result[r.id]})
        base = usage.get(_usage_key(spec["prompt"], spec["baseline"]), {})
        cand = usage.get(_usage_key(spec["prompt"], spec["candidate"]), {})
        comparisons.append(
            {
                "index": index,
                **spec,
                "mode": modes.get(spec["prompt"]),
                "cases": len(rows),
                "verdicts": {v: counts.get(v, 0) for v in VERDICTS},
                "holds": counts.get("BREAKING", 0) == 0 and counts.get("ERROR", 0) == 0,
                "top_findings": [
                    {"rule": rule, "severity": CATALOG[rule].severity, "cases": n}
                    for rule, n in rules.most_common(5)
                ],
                "usage": {"baseline": base, "candidate": cand},
            }
        )
    cases = [
        {
            "comparison": r.comparison,
            "prompt": r.prompt,
            "direction": r.direction,
            "case_id": r.case_id,
            "verdict": r.verdict,
            "findings": by_result[r.id],
        }
        for r in results
    ]
    enforced = [c for c in comparisons if c.get("mode") != "NONE"]
    if any(c["verdicts"]["BREAKING"] for c in enforced):
        verdict, code = "BREAKING", EXIT_BREAKING
    elif any(c["verdicts"]["ERROR"] for c in enforced):
        verdict, code = "ERROR", EXIT_ERROR
    else:
        verdict, code = "COMPATIBLE", EXIT_COMPATIBLE
    return {
        "format": "promptcompat.report/1",
        "run": {
            "id": run.id,
            "status": run.status,
            "created_at": run.created_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "samples": run.spec.get("request", {}).get("samples", 1),
            "calls": {
                "total": run.total_calls,
                "done": run.done_calls,
                "from_cache": run.cached_calls,
                "provider_requests": run.provider_calls,
                "errors": run.error_calls,
            },
            "error": run.error,
        },
        "verdict": verdict,
        "exit_code": code,
        "comparisons": comparisons,
        "matrix": _matrix(comparisons),
        "findings_by_rule": _by_rule(cases),
        "cases": cases,
    }


def _usage_key(prompt: str, side: dict[str, str]) -> str:
    return f"{prompt}|{side['version']}|{side['target']}"


def _matrix(comparisons: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per prompt, per cell "version @ target": which directions hold there."""
    matrix: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for c in comparisons:
        cell = f"{c['candidate']['version']} @ {c['candidate']['target']}"
        entry = matrix[c["prompt"]].setdefault(cell, {})
        entry[c["direction"]] = {"holds": c["holds"], "verdicts": c["verdicts"]}
    return dict(matrix)


def _by_rule(cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    for case in cases:
        for f in case["findings"]:
            entry = grouped.setdefault(
                f["rule"],
                {
                    "severity": CATALOG[f["rule"]].severity,
                    "description": CATALOG[f["rule"]].description,
                    "cases": [],
                },
            )
            entry["cases"].append(f"{case['prompt']}/{case['case_id']} ({case['direction']})")
    return dict(sorted(grouped.items()))


def write_report(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report['run']['id']}.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path

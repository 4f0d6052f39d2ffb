"""Turning a run's calls into per-case verdicts: baseline selection, diff, request-side rules."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from promptcompat import store
from promptcompat.diff import Sample, compare_case
from promptcompat.models import Call, CaseResult, FindingRecord
from promptcompat.plan import Comparison, PlannedCall
from promptcompat.rules import CATALOG, Finding, verdict_for
from promptcompat.store import session_scope
from promptcompat.suite import Prompt, Suite, required_variables

Ident = tuple[str, str, str, str, int]  # prompt, version, target, case id, sample


def evaluate(
    *,
    engine: Engine,
    run_id: str,
    suite: Suite,
    comparisons: Sequence[Comparison],
    calls: Sequence[PlannedCall],
    samples: int,
) -> None:
    """Compare candidate with baseline for every case of every comparison; store the results.

    The baseline side of a case is its accepted baseline when there is one; otherwise this
    run's baseline output becomes the accepted baseline (the first run defines what works).
    """
    planned: dict[Ident, PlannedCall] = {
        (c.prompt, c.version, c.target.label, c.case_id, c.sample): c for c in calls
    }
    with session_scope(engine) as session:
        accepted = {
            index: store.baselines_for(
                session=session,
                prompt=comp.prompt,
                version=comp.baseline.version,
                target=comp.baseline.target.label,
            )
            for index, comp in enumerate(comparisons)
        }
        keys = {c.key for c in calls if c.render_error is None}
        keys.update(b.cache_key for by_case in accepted.values() for b in by_case.values())
        rows = store.load_calls(session=session, keys=sorted(keys))
        texts = store.load_texts(
            session=session,
            hashes=sorted({r.snapshot_hash for r in rows.values() if r.snapshot_hash}),
        )

        def sample_of(call: PlannedCall) -> Sample:
            if call.render_error is not None:
                return Sample(text=None, error=f"render: {call.render_error}")
            row = rows.get(call.key)
            if row is None:
                return Sample(text=None, error="no result was recorded for this call")
            return _sample(row, texts)

        for index, comp in enumerate(comparisons):
            prompt = suite.prompts[comp.prompt]
            request_findings = _request_side(prompt, comp)
            for seq, case in enumerate(prompt.cases):
                base_keys: list[str] = []
                cand_keys: list[str] = []
                base_samples: list[Sample] = []
                cand_samples: list[Sample] = []
                for sample in range(samples):
                    b_call = planned[
                        (
                            prompt.name,
                            comp.baseline.version,
                            comp.baseline.target.label,
                            case.id,
                            sample,
                        )
                    ]
                    c_call = planned[
                        (
                            prompt.name,
                            comp.candidate.version,
                            comp.candidate.target.label,
                            case.id,
                            sample,
                        )
                    ]
                    base = accepted[index].get((case.id, sample))
                    b_row = rows.get(b_call.key)
                    if base is None and b_row is not None and b_row.status == "ok":
                        base = store.accept_baseline(
                            session=session, call=b_row, accepted_by="first-run"
                        )
                        accepted[index][(case.id, sample)] = base
                    if base is not None and base.cache_key in rows:
                        base_keys.append(base.cache_key)
                        base_samples.append(_sample(rows[base.cache_key], texts))
                    else:
                        base_keys.append(b_call.key)
                        base_samples.append(sample_of(b_call))
                    cand_keys.append(c_call.key)
                    cand_samples.append(sample_of(c_call))
                diff = compare_case(
                    baseline=base_samples,
                    candidate=cand_samples,
                    contract=prompt.contract,
                    reference=case.reference,
                )
                findings = [*request_findings, *diff.findings]
                result = CaseResult(
                    run_id=run_id,
                    comparison=index,
                    prompt=prompt.name,
                    direction=comp.direction,
                    baseline_version=comp.baseline.version,
                    baseline_target=comp.baseline.target.label,
                    candidate_version=comp.candidate.version,
                    candidate_target=comp.candidate.target.label,
                    case_id=case.id,
                    seq=seq,
                    verdict=verdict_for(findings, errored=diff.verdict == "ERROR"),
                    text_diff=diff.text_diff,
                    structural_diff=diff.structural_diff,
                    baseline_keys=base_keys,
                    candidate_keys=cand_keys,
                )
                store.save_case_result(
                    session=session, result=result, findings=[_record(f) for f in findings]
                )


def _sample(row: Call, texts: dict[str, str]) -> Sample:
    if row.status != "ok" or row.snapshot_hash is None:
        return Sample(text=None, error=f"{row.error_reason}: {row.error_message}")
    return Sample(
        text=texts[row.snapshot_hash],
        output_tokens=row.output_tokens,
        finish_reason=row.finish_reason,
        latency_ms=row.latency_ms,
        cost_usd=row.cost_usd,
    )


def _request_side(prompt: Prompt, comp: Comparison) -> list[Finding]:
    """A candidate version that needs variables callers never had to pass breaks callers."""
    if comp.baseline.version == comp.candidate.version:
        return []
    before = required_variables(prompt.versions[comp.baseline.version])
    after = required_variables(prompt.versions[comp.candidate.version])
    findings = []
    for name in sorted(after - before):
        rule = CATALOG["request.variable_added"]
        findings.append(
            Finding(
                rule=rule.id,
                severity=rule.severity,
                message=f"{comp.candidate.version} requires variable {name!r}, which callers of "
                f"{comp.baseline.version} do not pass",
                path=name,
            )
        )
    for name in sorted(before - after):
        rule = CATALOG["request.variable_removed"]
        findings.append(
            Finding(
                rule=rule.id,
                severity=rule.severity,
                message=f"{comp.candidate.version} no longer uses variable {name!r}",
                path=name,
            )
        )
    return findings


def _record(finding: Finding) -> FindingRecord:
    return FindingRecord(
        case_result_id="",
        run_id="",
        rule=finding.rule,
        severity=finding.severity,
        path=finding.path,
        message=finding.message,
        hits=finding.hits,
        samples=finding.samples,
        baseline_hits=finding.baseline_hits,
        baseline_samples=finding.baseline_samples,
    )

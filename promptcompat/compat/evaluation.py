"""Turning a run's calls into per-case verdicts: baseline selection, diff, request-side rules,
the prompt's rule policy (overrides and waivers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from promptcompat import store
from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.pii_rule import pii_findings
from promptcompat.compat.request_tools import tool_request_findings
from promptcompat.replay.plan import AcceptedTargets, Comparison, PlannedCall, Side
from promptcompat.rules import Finding, rule, verdict_for
from promptcompat.store import projects, session_scope
from promptcompat.store.call_rows import CallRow
from promptcompat.store.tables.core import (
    BASELINE_FAILURES_KEY,
    COVERAGE_KEY,
    REFERENCE_KEY,
    Baseline,
    new_id,
)
from promptcompat.suite import Case, Message, Prompt, Suite, required_variables
from promptcompat.suite.turns import Turn, read_turn

Ident = tuple[str, str, str, str, int]  # prompt, version, target, case id, sample
SideKey = tuple[str, str, str, str]  # prompt, version, its content hash, target label
_WRITE_EVERY = 500  # case results written to the transaction at a time
_CASES_AT_ONCE = 1000  # cases whose results and outputs are in memory at a time
BaselinesByCase = dict[tuple[str, int], Baseline]


def evaluate(
    *,
    engine: Engine,
    run_id: str,
    suite: Suite,
    comparisons: Sequence[Comparison],
    calls: Sequence[PlannedCall],
    samples: int,
    today: date | None = None,
) -> None:
    """Compare candidate with baseline for every case of every comparison; store the results.

    The baseline side of a case is its accepted baseline when there is one; otherwise this
    run's baseline output becomes the accepted baseline (the first run defines what works).
    A side that is ``accepted_only`` (an earlier model, FORWARD_TRANSITIVE) has only its
    accepted baselines; cases it never answered are not compared there. ``today`` is the
    date waivers are checked against (default: today, UTC).
    """
    today = today or datetime.now(UTC).date()
    planned: dict[Ident, PlannedCall] = {
        (c.prompt, c.version, c.target.label, c.case_id, c.sample): c for c in calls
    }
    with session_scope(engine) as session:
        # The run's project: its baselines are the ones compared against and accepted.
        projects.bind(session, store.get_run(session=session, run_id=run_id).project)
        accepted: dict[SideKey, dict[tuple[str, int], Baseline]] = {}
        for comp in comparisons:
            key = _side_key(suite.prompts[comp.prompt], comp.baseline)
            if key not in accepted:
                accepted[key] = store.baselines_for(
                    session=session,
                    prompt=key[0],
                    version=key[1],
                    version_hash=key[2],
                    target=key[3],
                )
        # Results and outputs are loaded a slice of cases at a time (``_CASES_AT_ONCE``):
        # loading every one of a large run at once made this the run's peak of memory.
        rows: dict[str, CallRow] = {}
        texts: dict[str, store.StoredOutput] = {}
        steps: dict[str, tuple[Turn, ...]] = {}

        def load(
            name: str, comp: Comparison, cases: Sequence[Case], by_case: BaselinesByCase
        ) -> None:
            nonlocal rows, texts, steps
            keys: set[str] = set()
            for case in cases:
                for i in range(samples):
                    base = by_case.get((case.id, i))
                    if base is not None:
                        keys.add(base.cache_key)
                    sides = [comp.candidate]
                    if not comp.baseline.accepted_only:
                        sides.append(comp.baseline)
                    for side in sides:
                        call = planned[_ident(name, side, case.id, i, samples)]
                        if call.render_error is None:
                            keys.add(call.key)
            rows, texts = {}, {}  # the last slice's go before the next slice's are loaded
            rows = store.result_rows(session=session, keys=sorted(keys))
            if not comp.baseline.accepted_only:
                # The first run defines what works: answered cases without a baseline get
                # this run's baseline output, as one upsert for the slice.
                new = _first_baselines(name, comp, cases, by_case, samples, suite, planned, rows)
                stored = store.accept_baselines(
                    session=session, accepted=new, accepted_by="first-run", replace=False
                )
                for slot, base in stored.items():
                    by_case[(slot.case_id, slot.sample)] = base
                # A concurrent run may have accepted first, from a call of its own.
                missing = sorted({b.cache_key for b in stored.values()} - rows.keys())
                rows.update(store.result_rows(session=session, keys=missing))
            texts = store.load_outputs(
                session=session,
                hashes=sorted({r.snapshot_hash for r in rows.values() if r.snapshot_hash}),
            )
            steps = _loop_steps(session, rows) if suite.prompts[name].max_steps is not None else {}

        def sample_of(call: PlannedCall) -> Sample:
            if call.render_error is not None:
                return Sample(text=None, error=f"render: {call.render_error}")
            row = rows.get(call.key)
            if row is None:
                return Sample(text=None, error="no result was recorded for this call")
            return _sample(row, texts, steps.get(row.cache_key, ()))

        results: list[dict[str, Any]] = []
        findings_out: list[dict[str, Any]] = []
        for index, comp in enumerate(comparisons):
            prompt = suite.prompts[comp.prompt]
            request_findings = request_side(prompt, comp, samples=samples)
            by_case = accepted[_side_key(prompt, comp.baseline)]
            silenced = partial(prompt.policy.silences, today=today) if prompt.policy else None
            # The candidate version's request: its tools' schemas are what the executors
            # validate, its response_format what the consumers parse.
            candidate_version = prompt.versions[comp.candidate.version]
            first = True
            for seq, case in enumerate(prompt.cases):
                if seq % _CASES_AT_ONCE == 0:
                    load(prompt.name, comp, prompt.cases[seq : seq + _CASES_AT_ONCE], by_case)
                base_keys: list[str] = []
                base_samples: list[Sample] = []
                cand_keys: list[str] = []
                cand_samples: list[Sample] = []
                instructions: str | None = None
                for i in range(samples):
                    base = by_case.get((case.id, i))
                    if comp.baseline.accepted_only:
                        if base is not None and base.cache_key in rows:
                            base_keys.append(base.cache_key)
                            base_samples.append(
                                _sample(rows[base.cache_key], texts, steps.get(base.cache_key, ()))
                            )
                    else:
                        b_call = planned[_ident(prompt.name, comp.baseline, case.id, i, samples)]
                        if base is not None and base.cache_key in rows:
                            base_keys.append(base.cache_key)
                            base_samples.append(
                                _sample(rows[base.cache_key], texts, steps.get(base.cache_key, ()))
                            )
                        else:
                            base_keys.append(b_call.key)
                            base_samples.append(sample_of(b_call))
                    c_call = planned[_ident(prompt.name, comp.candidate, case.id, i, samples)]
                    if instructions is None:
                        # What the consumers rely on is what the baseline's prompt asked (an
                        # accepted-only baseline is the same version: its rendering is the
                        # candidate's).
                        b_side = comp.candidate if comp.baseline.accepted_only else comp.baseline
                        b_plan = planned[_ident(prompt.name, b_side, case.id, i, samples)]
                        instructions = instructions_of(b_plan.messages)
                    cand_keys.append(c_call.key)
                    cand_samples.append(sample_of(c_call))
                if not base_samples:
                    continue  # an earlier model that never answered this case
                diff = compare_case(
                    baseline=base_samples,
                    candidate=cand_samples,
                    contract=prompt.contract,
                    reference=case.reference,
                    case=case,
                    checks=prompt.checks,
                    silenced=silenced,
                    instructions=instructions,
                    tools=candidate_version.tools,
                    response_format=candidate_version.response_format,
                    tool_order=prompt.tool_order,
                )
                # Every sample of a case renders the same request (the last one's here).
                pii = pii_findings(base_samples, cand_samples, c_call.messages)
                findings = prompt.policy.apply(
                    [*request_findings, *diff.findings, *pii], today=today, report_expired=first
                )
                first = False
                structural = diff.structural_diff
                if diff.reference is not None:
                    structural = {**structural, REFERENCE_KEY: diff.reference.to_dict()}
                if diff.coverage is not None:
                    structural = {**structural, COVERAGE_KEY: diff.coverage.to_dict()}
                if diff.baseline_failures:
                    structural = {**structural, BASELINE_FAILURES_KEY: diff.baseline_failures}
                result_id = new_id()
                results.append(
                    {
                        "id": result_id,
                        "run_id": run_id,
                        "comparison": index,
                        "prompt": prompt.name,
                        "direction": comp.direction,
                        "baseline_version": comp.baseline.version,
                        "baseline_target": comp.baseline.target.label,
                        "candidate_version": comp.candidate.version,
                        "candidate_target": comp.candidate.target.label,
                        "case_id": case.id,
                        "seq": seq,
                        "verdict": verdict_for(findings, errored=diff.verdict == "ERROR"),
                        "text_diff": diff.text_diff,
                        "structural_diff": structural,
                        "baseline_keys": base_keys,
                        "candidate_keys": cand_keys,
                    }
                )
                findings_out.extend(finding_row(f, run_id, result_id) for f in findings)
                if len(results) == _WRITE_EVERY:
                    # Written as they come, so a large run's results are not all in memory.
                    store.save_case_results(session=session, results=results, findings=findings_out)
                    results, findings_out = [], []
        store.save_case_results(session=session, results=results, findings=findings_out)


def instructions_of(messages: Sequence[Message]) -> str | None:
    """The instructions a rendered request gives: its system and user messages (assistant
    turns of a conversation history are answers, not instructions). None when it did not
    render."""
    parts = [m.content for m in messages if m.role != "assistant"]
    return "\n\n".join(parts) if parts else None


def _side_key(prompt: Prompt, side: Side) -> SideKey:
    return prompt.name, side.version, prompt.versions[side.version].content_hash, side.target.label


def _first_baselines(
    name: str,
    comp: Comparison,
    cases: Sequence[Case],
    by_case: BaselinesByCase,
    samples: int,
    suite: Suite,
    planned: dict[Ident, PlannedCall],
    rows: dict[str, CallRow],
) -> list[tuple[store.BaselineSlot, CallRow]]:
    """The baseline side's answered calls of ``cases`` that have no accepted baseline yet.

    Each is keyed by its own case, not by the call's row: identical renders share one call."""
    version_hash = suite.prompts[name].versions[comp.baseline.version].content_hash
    found: list[tuple[store.BaselineSlot, CallRow]] = []
    for case in cases:
        for i in range(samples):
            if (case.id, i) in by_case:
                continue
            call = planned[_ident(name, comp.baseline, case.id, i, samples)]
            row = rows.get(call.key)
            if row is not None and row.status == "ok":
                slot = store.BaselineSlot(
                    name,
                    comp.baseline.version,
                    version_hash,
                    comp.baseline.target.label,
                    case.id,
                    i,
                )
                found.append((slot, row))
    return found


def _ident(prompt: str, side: Side, case_id: str, sample: int, samples: int) -> Ident:
    return prompt, side.version, side.target.label, case_id, side.sample_index(sample, samples)


def _loop_steps(session: Session, rows: dict[str, CallRow]) -> dict[str, tuple[Turn, ...]]:
    """Per agent-loop call among ``rows``, the turns of its steps, in order."""
    loops = store.loop_steps(session=session, keys=sorted(rows))
    # The run's session is bound to its project, which links the loops, not their steps.
    step_rows = store.result_rows(
        session=session, keys=sorted({k for v in loops.values() for k in v}), loop_steps=True
    )
    hashes = sorted({r.snapshot_hash for r in step_rows.values() if r.snapshot_hash})
    outputs = store.load_outputs(session=session, hashes=hashes, loop_steps=True)
    found: dict[str, tuple[Turn, ...]] = {}
    for key, keys in loops.items():
        turns: list[Turn] = []
        for step in keys:
            row = step_rows.get(step)
            stored = outputs.get(row.snapshot_hash) if row and row.snapshot_hash else None
            if stored is not None:
                turns.append(read_turn(stored.text, stored.kind))
        found[key] = tuple(turns)
    return found


def _sample(
    row: CallRow, texts: dict[str, store.StoredOutput], steps: tuple[Turn, ...] = ()
) -> Sample:
    if row.status != "ok" or row.snapshot_hash is None:
        return Sample(
            text=None,
            error=f"{row.error_reason}: {row.error_message}",
            steps=steps,
            target=row.target,  # a rejected parameter's finding names the model
        )
    stored = texts[row.snapshot_hash]
    turn = read_turn(stored.text, stored.kind)
    return Sample(
        text=turn.text,
        tool_calls=turn.tool_calls,
        refusal=turn.refusal,
        steps=steps,
        output_tokens=row.output_tokens,
        finish_reason=row.finish_reason,
        latency_ms=row.latency_ms,
        cost_usd=row.cost_usd,
        target=row.target,
        served_model=row.served_model,
        fingerprint=row.fingerprint,
    )


def request_side(prompt: Prompt, comp: Comparison, *, samples: int = 1) -> list[Finding]:
    """A candidate version that needs variables callers never had to pass breaks callers;
    so does one that removes a tool their executors handle, requires a new tool parameter,
    or narrows the response schema (``compat.request_tools``)."""
    if comp.baseline.version == comp.candidate.version:
        return []
    before = prompt.versions[comp.baseline.version]
    after = prompt.versions[comp.candidate.version]
    found = request_findings(
        required_variables(before),
        required_variables(after),
        baseline_version=comp.baseline.version,
        candidate_version=comp.candidate.version,
        samples=samples,
    )
    found.extend(
        tool_request_findings(
            before,
            after,
            baseline_version=comp.baseline.version,
            candidate_version=comp.candidate.version,
            samples=samples,
        )
    )
    return found


def request_findings(
    before: set[str],
    after: set[str],
    *,
    baseline_version: str,
    candidate_version: str,
    samples: int = 1,
) -> list[Finding]:
    """``request.variable_added`` / ``_removed`` between the variables two versions read
    (``jinja2.meta.find_undeclared_variables``, via ``suite.required_variables``).

    A property of the template, not of sampling: every candidate sample has it, and there is
    no baseline rate to test against."""
    added, removed = rule("request.variable_added"), rule("request.variable_removed")
    findings = [
        Finding(
            added.id,
            added.severity,
            f"{candidate_version} requires variable {name!r}, which callers of "
            f"{baseline_version} do not pass",
            path=name,
            hits=samples,
            samples=samples,
        )
        for name in sorted(after - before)
    ]
    findings.extend(
        Finding(
            removed.id,
            removed.severity,
            f"{candidate_version} no longer uses variable {name!r}",
            path=name,
            hits=samples,
            samples=samples,
        )
        for name in sorted(before - after)
    )
    return findings


def accepted_targets(engine: Engine, project: str = "default") -> AcceptedTargets:
    """For FORWARD_TRANSITIVE planning: the targets with accepted baselines per version."""

    def lookup(prompt: str, version: str) -> list[str]:
        with Session(engine) as session:
            found = session.exec(
                select(Baseline.target)
                .where(
                    Baseline.project == project,
                    Baseline.prompt == prompt,
                    Baseline.version == version,
                )
                .distinct()
                .order_by(col(Baseline.target))
            )
            return list(found)

    return lookup


def finding_row(finding: Finding, run_id: str, case_result_id: str) -> dict[str, Any]:
    """The row of a ``FindingRecord`` (its ``id`` is the database's); the judge's findings
    are stored the same way."""
    return {
        "case_result_id": case_result_id,
        "run_id": run_id,
        "rule": finding.rule,
        "severity": finding.severity,
        "path": finding.path,
        "message": finding.message,
        "hits": finding.hits,
        "samples": finding.samples,
        "baseline_hits": finding.baseline_hits,
        "baseline_samples": finding.baseline_samples,
        "waived": finding.status == "waived",
    }

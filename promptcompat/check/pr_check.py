"""``promptcompat check --base REF``: the pull-request check.

1. Find, with git, what changed in ``prompts/`` since the merge base with ``REF``
   (``gitchanges.py``) and what that means per prompt: new or edited versions, changed cases,
   contract, rules, checks or targets (``diff_suites``). A released version edited in place is
   an error.
2. Load the accepted ``snapshots/`` into the store, so their outputs are the baselines and
   answer their calls from the cache.
3. Replay only what the changes affect, through the ordinary run pipeline: each new version
   BACKWARD against the version deployed at ``REF`` on the pinned target, optionally FORWARD
   on the candidate targets, and changed cases of the deployed version against their accepted
   snapshots. An unchanged prompt is not replayed at all.
4. Write changed results as pending snapshot files (not in CI unless asked) and return one
   :class:`~promptcompat.check.result.CheckResult` that ``markdown.py`` and ``junit.py``
   render and whose ``to_json`` is the JSON result.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine

from promptcompat import store
from promptcompat.check.gitchanges import GitChanges, changes_since
from promptcompat.check.result import (
    BaseRef,
    CaseFinding,
    CheckCalls,
    CheckCase,
    CheckComparison,
    CheckError,
    CheckJudge,
    CheckResult,
    ContractSideFinding,
    CoverageLines,
    ExitCode,
    PromptChangeView,
    RequestSideFinding,
    SideLabel,
)
from promptcompat.compat import request_findings, tool_request_findings
from promptcompat.config import Settings
from promptcompat.errors import PromptCompatError
from promptcompat.replay import Progress
from promptcompat.replay.plan import BACKWARD_MODES, FORWARD_MODES, Comparison, Side
from promptcompat.report import RunReport
from promptcompat.rules.noise import Severity
from promptcompat.store import projects
from promptcompat.store.redaction import RunRedaction
from promptcompat.suite import Prompt, Suite, load_suite, required_variables
from promptcompat.suite.lockfile import LOCK_FILE, read_lock
from promptcompat.suite.targets import parse_target
from promptcompat.suite.turns import read_turn

EXIT_COMPATIBLE: ExitCode = 0
EXIT_BREAKING: ExitCode = 1
EXIT_ERROR: ExitCode = 2


@dataclass
class PromptChange:
    """What a pull request changed in one prompt, and so what has to be replayed."""

    prompt: str
    reasons: list[str] = field(default_factory=list)
    base_version: str = ""
    """The version new versions are checked against: the one deployed at the base ref."""
    new_versions: list[str] = field(default_factory=list)
    cases: list[str] | None = None
    """The cases to replay; None for all of them."""
    recheck_deployed: bool = False
    """Replay the deployed version (changed cases, contract...) against its snapshots."""
    old_pinned: str | None = None
    new_candidates: list[str] = field(default_factory=list)

    def view(self) -> PromptChangeView:
        """As the check result shows it."""
        return PromptChangeView(
            prompt=self.prompt,
            reasons=self.reasons,
            base_version=self.base_version,
            new_versions=self.new_versions,
            cases="all" if self.cases is None else self.cases,
        )


@dataclass
class CheckOptions:
    ref: str
    fail_on: Severity = "ERR"
    forward: bool = False
    snapshots_dir: Path | None = None
    write_pending: bool = True


def run_check(
    *,
    settings: Settings,
    options: CheckOptions,
    engine: Engine | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> CheckResult:
    """Run the check; ``to_json`` of the result is its JSON (``promptcompat.check/1``)."""
    result = CheckResult(base=BaseRef(ref=options.ref), fail_on=options.fail_on)
    snapshots_dir = options.snapshots_dir or settings.prompts_dir.parent / "snapshots"
    try:
        with tempfile.TemporaryDirectory(prefix="promptcompat-base-") as workdir:
            _check(settings, options, snapshots_dir, Path(workdir), result, engine, on_progress)
    except PromptCompatError as exc:
        result.errors.append(CheckError(where=exc.where, message=exc.message))
    return _finish(result)


def _check(
    settings: Settings,
    options: CheckOptions,
    snapshots_dir: Path,
    workdir: Path,
    result: CheckResult,
    engine: Engine | None,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    from promptcompat.report import build_report
    from promptcompat.runs import InlineStarter, RunRequest
    from promptcompat.snapshots import pending as snapshot_review
    from promptcompat.snapshots import sync as snapshot_sync

    git_changes = changes_since(settings.prompts_dir, options.ref, workdir=workdir)
    result.base.merge_base = git_changes.merge_base
    result.changed_files = git_changes.files
    suite = load_suite(settings.prompts_dir)
    errors = edited_in_place(git_changes, suite)
    result.errors.extend(errors)
    changes = diff_suites(git_changes, suite)
    result.prompts = [c.view() for c in changes]
    result.unchanged_prompts = sorted(set(suite.prompts) - {c.prompt for c in changes})
    result.request_side = request_side(suite, changes)
    if errors:
        return  # an edited release makes every comparison of it meaningless: fix it first
    engine = engine or store.open_engine(settings.resolved_database_url())
    with store.session_scope(engine) as session:
        projects.bind(session, settings.project)  # the baselines the check's run compares with
        snapshot_sync.import_files(
            session=session,
            root=snapshots_dir,
            suite=suite,
            redaction=RunRedaction.for_suite(settings, suite),
            max_output_bytes=settings.max_output_bytes,
        )
    # Files of a prompt or version not in the suite were not imported; they are obsolete.
    result.snapshots.obsolete = snapshot_sync.obsolete(
        root=snapshots_dir, suite=suite, max_output_bytes=settings.max_output_bytes
    )
    result.contract_side = contract_side(
        suite, changes, snapshots_dir, max_output_bytes=settings.max_output_bytes
    )
    comparisons = plan(suite, changes, forward=options.forward)
    if not comparisons:
        return
    sub = Suite(
        root=suite.root,
        prompts={
            c.prompt: _only_cases(suite.prompts[c.prompt], c.cases)
            for c in changes
            if any(comp.prompt == c.prompt for comp in comparisons)
        },
    )
    request = RunRequest(prompts=tuple(sub.prompts), labels={"check": options.ref})
    starter = InlineStarter(engine, settings, on_progress=on_progress)
    run_id = starter.start(suite=sub, request=request, comparisons=comparisons).run_id
    result.run_id = run_id
    with store.session_scope(engine) as session:
        report = build_report(session=session, run_id=run_id, fail_on=options.fail_on)
        rows = store.case_results(session=session, run_id=run_id)
        if options.write_pending:
            written = snapshot_review.write_pending(
                session=session,
                run_id=run_id,
                root=snapshots_dir,
                suite=suite,
                max_output_bytes=settings.max_output_bytes,
            )
            result.snapshots.pending_written = [
                p.relative_to(snapshots_dir.parent).as_posix() for p in written
            ]
    result.set_run_verdict(report.verdict, report.exit_code)
    result.coverage = coverage_lines(report)
    result.calls = CheckCalls.part_of(report.run.calls)
    if report.judge is not None:
        result.judge = CheckJudge.part_of(report.judge, min_kappa=settings.judge_min_kappa)
    if report.run.error:
        result.errors.append(CheckError(where=f"run {run_id}", message=report.run.error))
    enforced = {c.index for c in report.comparisons if c.enforced}
    shown = set(CheckComparison.model_fields)
    result.comparisons = [
        CheckComparison.model_validate(c.model_dump(include=shown)) for c in report.comparisons
    ]
    # The report's cases and the stored rows are in the same (comparison, case) order.
    for case, row in zip(report.cases, rows, strict=True):
        failing = case.comparison in enforced and any(
            result.failing(f.severity) and f.rule != "call.error" for f in case.findings
        )
        result.cases.append(
            CheckCase.part_of(
                case,
                baseline=SideLabel(version=row.baseline_version, target=row.baseline_target),
                candidate=SideLabel(version=row.candidate_version, target=row.candidate_target),
                failing=failing,
                findings=[CaseFinding.part_of(f) for f in case.findings],
                diff=row.text_diff if case.verdict != "COMPATIBLE" else "",
            )
        )


def coverage_lines(report: RunReport) -> dict[str, CoverageLines]:
    """Per prompt of a run report: its coverage line and the lines of the contract checks its
    baseline fails, as the check result (and the PR comment) shows them."""
    return {
        name: CoverageLines(
            line=summary.coverage.line,
            baseline_fails_contract=[f.line for f in summary.baseline_fails_contract],
        )
        for name, summary in report.prompts.items()
    }


def _finish(result: CheckResult) -> CheckResult:
    """The verdict and exit code: errors first, then breaks (of the run, or of the accepted
    outputs against a changed contract), then the run report's own decision."""
    verdict, code = result.run_verdict
    contract = {f.severity for f in result.contract_side if result.failing(f.severity)}
    if result.errors:
        verdict, code = "ERROR", EXIT_ERROR
    elif contract and code != EXIT_BREAKING:
        verdict, code = ("BREAKING" if "ERR" in contract else "CHANGED"), EXIT_BREAKING
    result.verdict, result.exit_code = verdict, code
    return result


def edited_in_place(changes: GitChanges, suite: Suite) -> list[CheckError]:
    """Versions released at the base (in its lock file) whose content differs now.

    The lock file at HEAD catches an edit on its own (``load_suite`` refuses it); this also
    catches a pull request that edits a released version and its lock entry together.
    """
    if changes.base_suite is None:
        return []
    root = changes.base_suite.root
    released = read_lock(root / LOCK_FILE, where=f"{changes.merge_base[:12]}:{LOCK_FILE}")
    errors: list[CheckError] = []
    for name, versions in sorted(released.items()):
        prompt = suite.prompts.get(name)
        for version, digest in sorted(versions.items()):
            current = prompt.versions.get(version) if prompt else None
            if current is None:
                errors.append(
                    CheckError(
                        where=f"{name}/versions/{version}.yaml",
                        message=f"released version {name} {version} was deleted; released "
                        "versions are immutable",
                    )
                )
            elif current.content_hash != digest:
                errors.append(
                    CheckError(
                        where=current.source,
                        message=f"released version {name} {version} was edited in place "
                        f"(content {digest[:12]} at {changes.merge_base[:12]}, "
                        f"{current.content_hash[:12]} now); add a new version instead",
                    )
                )
    return errors


def diff_suites(changes: GitChanges, suite: Suite) -> list[PromptChange]:
    """Per touched prompt, what changed since the base and so what must be replayed."""
    base = changes.base_suite
    touched = set(changes.touched_prompts)
    if changes.lock_changed:
        touched |= set(suite.prompts)  # compared below; unchanged prompts drop out
    found: list[PromptChange] = []
    for name in sorted(touched):
        prompt = suite.prompts.get(name)
        if prompt is None:
            continue  # removed: its snapshots are reported as obsolete
        old = base.prompts.get(name) if base is not None else None
        change = PromptChange(prompt=name, base_version=prompt.deployed)
        if old is None:
            change.reasons.append("new prompt")
            names = list(prompt.versions)
            change.new_versions = names[names.index(prompt.deployed) + 1 :]
            change.recheck_deployed = True
            found.append(change)
            continue
        if old.deployed in prompt.versions:
            change.base_version = old.deployed
        for version, pv in prompt.versions.items():
            before = old.versions.get(version)
            if before is None:
                change.reasons.append(f"new version {version}")
            elif before.content_hash != pv.content_hash:
                change.reasons.append(f"version {version} edited (unreleased)")
            else:
                continue
            if version == change.base_version:
                change.recheck_deployed = True
            else:
                change.new_versions.append(version)
        if prompt.deployed != change.base_version and prompt.deployed not in change.new_versions:
            change.reasons.append(f"deployed {change.base_version} -> {prompt.deployed}")
            change.new_versions.append(prompt.deployed)
        whole = _whole_prompt_changes(old, prompt, changes.files)
        change.reasons.extend(whole)
        if old.pinned != prompt.pinned and parse_target(old.pinned) != parse_target(prompt.pinned):
            change.reasons.append(f"pinned target {old.pinned} -> {prompt.pinned}")
            change.old_pinned = old.pinned
        change.new_candidates = [c for c in prompt.candidates if c not in old.candidates]
        if change.new_candidates:
            change.reasons.append(f"new candidate targets {', '.join(change.new_candidates)}")
        changed_cases = _changed_cases(old, prompt)
        if changed_cases:
            change.reasons.append(f"cases changed: {', '.join(changed_cases)}")
            change.recheck_deployed = True
        if whole:
            change.recheck_deployed = True
        if not (change.new_versions or whole or change.old_pinned or change.new_candidates):
            change.cases = changed_cases
        if change.reasons:
            found.append(change)
    return found


def _whole_prompt_changes(old: Prompt, new: Prompt, files: list[str]) -> list[str]:
    """Changes that concern every case: contract, rules, mode, checks."""
    reasons = []
    if old.contract != new.contract:
        reasons.append("contract changed")
    if old.policy != new.policy:
        reasons.append("rules or waivers changed")
    if old.mode != new.mode:
        reasons.append(f"mode {old.mode} -> {new.mode}")
    if f"{new.name}/checks.py" in files:
        reasons.append("checks.py changed")
    return reasons


def _changed_cases(old: Prompt, new: Prompt) -> list[str]:
    before = {c.id: c for c in old.cases}
    return [
        c.id
        for c in new.cases
        if c.id not in before
        or (before[c.id].vars, before[c.id].reference) != (c.vars, c.reference)
    ]


def plan(suite: Suite, changes: list[PromptChange], *, forward: bool) -> list[Comparison]:
    """The comparisons the changes call for (see the module docstring)."""
    comparisons: list[Comparison] = []
    for change in changes:
        prompt = suite.prompts[change.prompt]
        if change.cases == []:
            continue
        pinned = parse_target(prompt.pinned)
        for version in change.new_versions:
            if prompt.mode in BACKWARD_MODES:
                comparisons.append(
                    Comparison(
                        prompt.name,
                        "BACKWARD",
                        Side(change.base_version, pinned),
                        Side(version, pinned),
                    )
                )
            if forward and prompt.mode in FORWARD_MODES:
                comparisons.extend(
                    Comparison(
                        prompt.name,
                        "FORWARD",
                        Side(version, pinned),
                        Side(version, parse_target(c)),
                    )
                    for c in prompt.candidates
                )
        deployed = Side(prompt.deployed, pinned)
        if change.recheck_deployed:
            # The deployed version against its own accepted snapshots (the baseline side
            # reads them; the candidate side is this render of the changed cases).
            comparisons.append(Comparison(prompt.name, "BACKWARD", deployed, deployed))
        if change.old_pinned is not None:
            old = Side(prompt.deployed, parse_target(change.old_pinned))
            comparisons.append(Comparison(prompt.name, "FORWARD", old, deployed))
        if forward:
            comparisons.extend(
                Comparison(prompt.name, "FORWARD", deployed, Side(prompt.deployed, parse_target(c)))
                for c in change.new_candidates
            )
    return comparisons


def request_side(suite: Suite, changes: list[PromptChange]) -> list[RequestSideFinding]:
    """New versions that need a variable callers never passed, or drop one they pass; that
    remove or add a tool, require a new tool parameter or narrow the response schema
    (``variable`` is then the tool or the schema path)."""
    found: list[RequestSideFinding] = []
    for change in changes:
        prompt = suite.prompts[change.prompt]
        if change.base_version not in prompt.versions:
            continue
        before = required_variables(prompt.versions[change.base_version])
        for version in change.new_versions:
            for finding in [
                *request_findings(
                    before,
                    required_variables(prompt.versions[version]),
                    baseline_version=change.base_version,
                    candidate_version=version,
                ),
                *tool_request_findings(
                    prompt.versions[change.base_version],
                    prompt.versions[version],
                    baseline_version=change.base_version,
                    candidate_version=version,
                ),
            ]:
                found.append(
                    RequestSideFinding(
                        prompt=prompt.name,
                        base_version=change.base_version,
                        version=version,
                        rule=finding.rule,
                        severity=finding.severity,
                        variable=finding.path,
                        message=finding.message,
                    )
                )
    return found


def contract_side(
    suite: Suite, changes: list[PromptChange], snapshots_dir: Path, *, max_output_bytes: int
) -> list[ContractSideFinding]:
    """The deployed version's accepted outputs checked against a changed contract.

    Re-running them would return the same outputs, and the same output on both sides of a
    comparison is never a finding; so a contract change is checked here, on the snapshots.
    """
    from promptcompat.compat.contract_checks import contract_events
    from promptcompat.compat.drift import Output
    from promptcompat.rules import rule
    from promptcompat.snapshots import files as snapshot_files

    found: list[ContractSideFinding] = []
    for change in changes:
        if "contract changed" not in change.reasons:
            continue
        prompt = suite.prompts[change.prompt]
        target = parse_target(prompt.pinned).label
        path = snapshot_files.accepted_path(snapshots_dir, prompt.name, prompt.deployed, target)
        if not path.is_file():
            continue
        snap = snapshot_files.load(snapshots_dir, path, max_output_bytes=max_output_bytes)
        cache: dict[str, list[tuple[str, str, str]]] = {}
        for case in prompt.cases:
            for sample in snap.cases.get(case.id, []):
                events = contract_events(
                    # The answer's text: a turn's JSON document is the store's, not the answer.
                    Output(read_turn(sample.output, sample.kind).text),
                    contract=prompt.contract,
                    output_tokens=sample.output_tokens,
                    schema_cache=cache,
                )
                for (rule_id, at, _), message in sorted(events.items(), key=str):
                    found.append(
                        ContractSideFinding(
                            prompt=prompt.name,
                            version=prompt.deployed,
                            target=target,
                            case_id=case.id,
                            rule=rule_id,
                            severity=prompt.policy.severity_of(rule_id, at)
                            or rule(rule_id).severity,
                            path=at,
                            message=message,
                        )
                    )
    return found


def _only_cases(prompt: Prompt, cases: list[str] | None) -> Prompt:
    if cases is None:
        return prompt
    wanted = set(cases)
    return replace(prompt, cases=tuple(c for c in prompt.cases if c.id in wanted))

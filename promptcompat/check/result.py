"""The pull-request check's result as typed models: what ``pr_check.run_check`` builds and the
CLI summary, the PR-comment markdown (``markdown.py``) and the JUnit XML (``junit.py``) render.

:meth:`CheckResult.to_json` is the JSON result (format ``promptcompat.check/1``), its keys in
the order they have always had.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from promptcompat.report.model import ComparisonTally, JudgeTargetUsage
from promptcompat.rules.catalog import Verdict
from promptcompat.rules.noise import Severity, Status
from promptcompat.store.tables.run_spec import Direction

FORMAT: Literal["promptcompat.check/1"] = "promptcompat.check/1"
ExitCode = Literal[0, 1, 2]


class _Part(BaseModel):
    # Built field by field while the check runs, never parsed from a client.
    model_config = ConfigDict(extra="forbid")

    @classmethod
    def part_of(cls, source: BaseModel, **more: Any) -> Self:
        """This part from the fields it shares with ``source`` (a part of the run report),
        and ``more``."""
        shared = set(cls.model_fields) & set(type(source).model_fields) - set(more)
        return cls.model_validate({**source.model_dump(include=shared), **more})


class CheckError(_Part):
    """A problem that stopped the check (an edited release, a git error, a failed run)."""

    where: str | None
    message: str


class BaseRef(_Part):
    ref: str
    merge_base: str | None = None


class PromptChangeView(_Part):
    """What the pull request changed in one prompt (``pr_check.PromptChange``)."""

    prompt: str
    reasons: list[str]
    base_version: str
    new_versions: list[str]
    cases: Literal["all"] | list[str]


class RequestSideFinding(_Part):
    """A new version that needs a variable callers never passed, or drops one they pass."""

    prompt: str
    base_version: str
    version: str
    rule: str
    severity: Severity
    variable: str | None
    message: str


class ContractSideFinding(_Part):
    """An accepted output of the deployed version that fails the changed contract."""

    prompt: str
    version: str
    target: str
    case_id: str
    rule: str
    severity: Severity
    path: str | None
    message: str


CheckComparison = ComparisonTally
"""A comparison of the check's run, as its report counts it."""


class CaseFinding(_Part):
    rule: str
    severity: Severity
    status: Status
    path: str | None
    message: str
    rate: str


class SideLabel(_Part):
    version: str
    target: str


class CheckCase(_Part):
    """A case of the check's run: its verdict, whether it fails the check, and its diff."""

    comparison: int
    prompt: str
    direction: Direction
    baseline: SideLabel
    candidate: SideLabel
    case_id: str
    verdict: Verdict
    failing: bool
    """A finding at or above ``fail_on`` (not a failed call) in an enforced comparison."""
    findings: list[CaseFinding]
    diff: str
    """The text diff of a case that is not COMPATIBLE; empty otherwise."""


class CheckCalls(_Part):
    total: int = 0
    from_cache: int = 0
    provider_requests: int = 0
    errors: int = 0


class SnapshotFiles(_Part):
    pending_written: list[str] = Field(default_factory=list)
    obsolete: list[str] = Field(default_factory=list)


class CheckJudge(_Part):
    """What the judge cost in the check's run (the report's ``judge``), and the kappa its
    calibration must reach for its findings to fail the check."""

    calls: int
    cost_usd: float
    targets: dict[str, JudgeTargetUsage]
    min_kappa: float


class CoverageLines(_Part):
    """A prompt's coverage line and the contract checks its baseline fails."""

    line: str
    baseline_fails_contract: list[str]


class CheckResult(_Part):
    """The result of ``promptcompat check``: filled in as the check goes, its verdict and
    exit code last (``pr_check._finish``)."""

    format: Literal["promptcompat.check/1"] = FORMAT
    base: BaseRef
    fail_on: Severity = "ERR"
    changed_files: list[str] = Field(default_factory=list)
    prompts: list[PromptChangeView] = Field(default_factory=list)
    unchanged_prompts: list[str] = Field(default_factory=list)
    request_side: list[RequestSideFinding] = Field(default_factory=list)
    contract_side: list[ContractSideFinding] = Field(default_factory=list)
    errors: list[CheckError] = Field(default_factory=list)
    comparisons: list[CheckComparison] = Field(default_factory=list)
    cases: list[CheckCase] = Field(default_factory=list)
    run_id: str | None = None
    calls: CheckCalls = Field(default_factory=CheckCalls)
    snapshots: SnapshotFiles = Field(default_factory=SnapshotFiles)
    coverage: dict[str, CoverageLines] = Field(default_factory=dict)
    verdict: Verdict = "COMPATIBLE"
    exit_code: ExitCode = 0
    judge: CheckJudge | None = None
    """Only when a judge ran (a new key, last; absent from the JSON without a judge)."""
    _run_verdict: tuple[Verdict, ExitCode] = PrivateAttr(default=("COMPATIBLE", 0))
    """The verdict and exit code of the check's run report, before the check's own errors
    and contract-side findings have their say."""

    @property
    def run_verdict(self) -> tuple[Verdict, ExitCode]:
        return self._run_verdict

    def set_run_verdict(self, verdict: Verdict, exit_code: ExitCode) -> None:
        self._run_verdict = (verdict, exit_code)

    def failing(self, severity: Severity) -> bool:
        """A finding of ``severity`` fails the check (at or above ``fail_on``)."""
        return severity == "ERR" or (severity == "WARN" and self.fail_on == "WARN")

    def to_json(self) -> dict[str, Any]:
        """The JSON result (``promptcompat.check/1``); ``judge`` only when a judge ran."""
        return self.model_dump(mode="json", exclude={"judge"} if self.judge is None else None)

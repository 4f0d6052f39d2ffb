"""The report of a run as typed models: what ``run_report.build_report`` builds, once, and what
the CLI (terminal and ``--json``), the API, the watcher's notifications and the pull-request
check read.

:meth:`RunReport.to_json` is the JSON report (format ``promptcompat.report/2``): each model's
fields are declared in the order its keys have always had, and a comparison's sides keep
their flags (``resample``, ``accepted_only``) only when set, so the written JSON is the one
earlier versions wrote (``tests/core/test_report_model.py`` holds its shape).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from promptcompat.rules.catalog import Verdict
from promptcompat.rules.noise import Severity, Status
from promptcompat.store.tables.core import RunStatus
from promptcompat.store.tables.run_spec import Direction, RetirementWarning, SideSpec

FORMAT: Literal["promptcompat.report/2"] = "promptcompat.report/2"
Family = Literal["contract", "structure", "drift", "references", "user_checks", "implicit"]
Number = int | float
"""A count stays an int in the JSON, a total of costs or latencies a float."""


def _reported_side(side: SideSpec) -> dict[str, Any]:
    return side.model_dump(mode="json", exclude_defaults=True)


ReportedSide = Annotated[SideSpec, PlainSerializer(_reported_side)]
"""A comparison's side as it is stored and always reported: its flags only when set."""


class _View(BaseModel):
    # Built by this package from stored rows, never parsed from a client.
    model_config = ConfigDict(frozen=True, extra="forbid")


class FindingView(_View):
    """A stored finding as the report shows it: rates, status (noise, waived...), p-value."""

    rule: str
    severity: Severity
    status: Status
    noise: bool
    waived: bool
    path: str | None
    message: str
    rate: str
    baseline_rate: str
    hits: int
    samples: int
    baseline_hits: int
    baseline_samples: int
    p_value: float | None


class CaseView(_View):
    """One case of one comparison: its verdict and findings (worst first)."""

    comparison: int
    prompt: str
    direction: Direction
    case_id: str
    verdict: Verdict
    reference: dict[str, list[int]] | None
    """Samples matching the case's reference answer per side, ``[matched, samples]``."""
    findings: list[FindingView]


class TopFinding(_View):
    """A rule of a comparison: its worst severity, the cases it fired in, how many of those
    only as noise or waived, and the candidate samples that showed it (``rate``)."""

    rule: str
    severity: Severity
    cases: int
    noise_cases: int
    waived_cases: int
    rate: str


class SideAccuracy(_View):
    matched: int
    samples: int
    rate: float | None


class ComparisonAccuracy(_View):
    """Reference accuracy of a comparison's cases that have reference answers."""

    cases: int
    baseline: SideAccuracy
    candidate: SideAccuracy


class ComparisonUsage(_View):
    """Token, cost and latency totals per side (empty: no call of that side was made)."""

    baseline: dict[str, Number]
    candidate: dict[str, Number]


VerdictCounts = dict[Verdict, int]


class ComparisonTally(_View):
    """One comparison of the run and its verdict counts (what the check result shows)."""

    index: int
    prompt: str
    direction: Direction
    baseline: ReportedSide
    candidate: ReportedSide
    mode: str | None
    enforced: bool
    """Its findings can fail the run: mode not NONE and not an A/A measurement."""
    cases: int
    verdicts: VerdictCounts
    holds: bool
    """No BREAKING or ERROR case, in a run that completed."""
    top_findings: list[TopFinding]


class ComparisonView(ComparisonTally):
    """One comparison of the run: its tally, then its noise, accuracy and usage."""

    noise_cases: int
    waived_cases: int
    accuracy: ComparisonAccuracy | None
    usage: ComparisonUsage


class CallCounts(_View):
    total: int
    done: int
    from_cache: int
    sent: int
    provider_requests: int
    errors: int


class RunView(_View):
    id: str
    status: RunStatus
    created_at: str
    finished_at: str | None
    samples: int
    calls: CallCounts
    error: str | None


class CellDirection(_View):
    """A matrix cell as the candidate of its comparisons in one direction."""

    holds: bool
    enforced: bool
    verdicts: VerdictCounts
    against: list[str]
    comparisons: list[int]


class MatrixCell(_View):
    """One prompt version on one target."""

    version: str
    target: str
    baseline_for: int
    accepted_only: bool
    directions: dict[str, CellDirection]
    accuracy: SideAccuracy | None


class PromptMatrix(_View):
    """A prompt's versions (rows), targets (columns) and the cells that were run."""

    versions: list[str]
    targets: list[str]
    cells: list[MatrixCell]


class TargetAccuracy(_View):
    """Reference accuracy of one (prompt, version, target)."""

    prompt: str
    version: str
    target: str
    cases: int
    matched: int
    samples: int
    rate: float | None


class NoiseRule(_View):
    cases: int
    hits: int
    samples: int
    rate: str


class NoiseFloor(_View):
    """What an A/A comparison measured: how often a cell differs from fresh samples of itself."""

    comparison: int
    prompt: str
    version: str
    target: str
    cases: int
    differing: int
    rate: float | None
    verdicts: VerdictCounts
    rules: dict[str, NoiseRule]


class RuleSummary(_View):
    """A rule over the whole run: its worst severity, the cases it fired in, its statuses."""

    severity: Severity
    default_severity: Severity
    description: str
    cases: list[str]
    statuses: dict[Status, int]


class CoverageFamily(_View):
    watched: bool
    cases: int
    of: int
    detail: list[str]


class FactsCoverage(_View):
    """What the fact diff read (``promptcompat.compat.facts``)."""

    checked: int = Field(default=0, description="Cases whose outputs the fact diff compared.")
    not_checked: dict[str, int] = Field(
        default_factory=dict, description="Cases not checked, per language (not English)."
    )
    not_checked_cases: int = 0
    undecided_facts: int = Field(
        default=0, description="Key facts (`facts:` of a case) the fact diff left to a judge."
    )


class PromptCoverage(_View):
    """Which check families could see a change in this run, and which were inert."""

    cases: int
    families: dict[Family, CoverageFamily]
    watched: list[Family]
    inert: list[Family]
    facts: FactsCoverage = Field(default_factory=FactsCoverage)
    line: str
    judged: int = 0
    """Changed cases the judge read (``compat/judge.py``): what no deterministic rule decided."""
    judged_facts: int = 0
    """Key facts the fact diff left undecided that the judge read (its key-fact question)."""


class BaselineContractFailure(_View):
    """A contract check the baseline already fails: the contract or the baseline needs
    attention."""

    baseline: str
    rule: str
    path: str | None
    check: str
    message: str
    cases: int
    of: int
    line: str


class PromptSummary(_View):
    coverage: PromptCoverage
    implicit_contract: list[str] = Field(
        description="What the rendered instructions ask of the format (read, not declared)."
    )
    baseline_fails_contract: list[BaselineContractFailure]


class JudgeCalibrationView(_View):
    """A judge's latest calibration (``judge calibrate``), shown beside its findings."""

    kappa: float | None
    pairs: int
    labels: str
    at: str
    agreement: float | None = None
    false_positive_rate: float | None = None
    false_negative_rate: float | None = None
    undecided: int = 0
    order_consistency: float | None = None
    equivalent: int = 0
    different: int = 0
    samples: int | None = None


class JudgeTargetUsage(_View):
    """One judge's calls, tokens and cost in a run (its calls carry ``judge/<n>`` as version)."""

    question: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    calibration: JudgeCalibrationView | None = None


class JudgeUsage(_View):
    """What the judge cost in a run (counted among the run's calls too)."""

    calls: int
    cost_usd: float
    targets: dict[str, JudgeTargetUsage]


class RunReport(_View):
    """The report of a run, built from the store alone (``run_report.build_report``)."""

    format: Literal["promptcompat.report/2"] = FORMAT
    run: RunView
    fail_on: Severity
    verdict: Verdict
    exit_code: Literal[0, 1, 2]
    comparisons: list[ComparisonView]
    matrix: dict[str, PromptMatrix]
    accuracy: list[TargetAccuracy]
    noise_floor: list[NoiseFloor]
    findings_by_rule: dict[str, RuleSummary]
    prompts: dict[str, PromptSummary]
    deprecations: list[RetirementWarning]
    judge: JudgeUsage | None = None
    cases: list[CaseView]

    def to_json(self, *, cases: bool = True) -> dict[str, Any]:
        """The JSON report; without ``cases`` what the API's report endpoint answers (pages
        of cases come from ``results.case_page``)."""
        return self.model_dump(mode="json", exclude=None if cases else {"cases"})

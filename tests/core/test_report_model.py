"""The typed report and check result (``report/model.py``, ``check/result.py``): the JSON they
write has the shape the dict-building code before them wrote.

``report_shapes.json`` holds that shape, every key path of the JSON (``[]`` a list's items,
``*`` a key that is a name: a prompt, a rule, a direction, a status), taken from what the
code before the models wrote for the example suite on the simulator (``demo --samples 3``
and ``run --aa --samples 3``) and for two pull-request checks (a new version and a new case;
with ``--forward --fail-on WARN``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from inline import run_inline
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.check import CheckResult
from promptcompat.check.junit import render_junit
from promptcompat.check.markdown import render_markdown
from promptcompat.check.result import (
    BaseRef,
    CaseFinding,
    CheckCase,
    CheckComparison,
    CheckError,
    ContractSideFinding,
    CoverageLines,
    PromptChangeView,
    RequestSideFinding,
    SideLabel,
)
from promptcompat.config import Settings
from promptcompat.report import RunReport, TopFinding, build_report, report_text
from promptcompat.report.model import ComparisonUsage, ComparisonView
from promptcompat.runs import RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store.tables.run_spec import RetirementWarning, SideSpec
from promptcompat.suite import load_suite

SHAPES = json.loads((Path(__file__).parent / "report_shapes.json").read_text("utf-8"))
REPORT_NAMED = {
    "matrix",
    "matrix.*.cells[].directions",
    "findings_by_rule",
    "findings_by_rule.*.statuses",
    "prompts",
    "prompts.*.coverage.facts.not_checked",
    "noise_floor[].rules",
}
CHECK_NAMED = {"coverage"}
OLD = "openai:gpt-sim-2024-05-13?temperature=0"
PROMPTS = ("prime_check",)
"""One prompt of the example suite shows every part of the report (references, A/A...)."""
DATA_DEPENDENT = {
    "noise_floor[].rules.*",
    "noise_floor[].rules.*.cases",
    "noise_floor[].rules.*.hits",
    "noise_floor[].rules.*.samples",
    "noise_floor[].rules.*.rate",
}
"""Key paths of the shape that only some runs fill (a rule firing in an A/A comparison: the
simulator's latency varies); their parts are typed models all the same."""
NEW = "openai:gpt-sim-2025-06-01?temperature=0"


def shape(
    value: Any, named: set[str], path: str = "", out: set[str] | None = None, name: bool = False
) -> set[str]:
    """Every key path of a JSON value (see the module docstring)."""
    out = set() if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            at = f"{path}.{'*' if name else key}" if path else key
            out.add(at)
            shape(item, named, at, out, not name and at in named and isinstance(item, dict))
    elif isinstance(value, list):
        for item in value:
            shape(item, named, path + "[]", out)
    return out


@pytest.fixture(scope="module")
def reports(
    tmp_path_factory: pytest.TempPathFactory, simulator: SimulatorProcess
) -> list[RunReport]:
    """The example suite on the simulator: a run, and an A/A run of 2 samples."""
    home = tmp_path_factory.mktemp("report-model")
    prompts = Path(__file__).resolve().parents[2] / "prompts"
    settings = Settings(
        home=home,
        prompts_dir=prompts,
        openai_base_url=simulator.openai_base_url,
        anthropic_base_url=simulator.anthropic_base_url,
    )
    engine: Engine = store.open_engine(settings.resolved_database_url())
    suite = load_suite(prompts)
    out = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_API_KEY", "sk-test")
        mp.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        for request in (
            RunRequest(prompts=PROMPTS),
            RunRequest(prompts=PROMPTS, samples=2, aa=True),
        ):
            run_id, _ = run_inline(engine=engine, suite=suite, request=request, settings=settings)
            with store.session_scope(engine) as session:
                out.append(build_report(session=session, run_id=run_id))
    engine.dispose()
    return out


def test_the_report_of_the_example_suite_has_the_shape_it_always_had(
    reports: list[RunReport],
) -> None:
    found: set[str] = set()
    for report in reports:
        shape(report.to_json(), REPORT_NAMED, out=found)
    # Retirement warnings depend on today's date; their keys are held below.
    found = {p for p in found if not p.startswith("deprecations[]")}
    assert found <= set(SHAPES["report"]), "keys the report never had"
    assert set(SHAPES["report"]) - found <= DATA_DEPENDENT, "keys the report no longer has"
    assert [c.direction for c in reports[1].comparisons] == ["AA"] * len(reports[1].comparisons)
    assert reports[1].noise_floor and reports[0].matrix and reports[0].accuracy


def test_the_json_report_is_the_model_and_reads_back_into_it(reports: list[RunReport]) -> None:
    for report in reports:
        data = report.to_json()
        assert json.loads(report_text(report)) == data
        assert RunReport.model_validate(data) == report
        assert list(data) == [
            "format",
            "run",
            "fail_on",
            "verdict",
            "exit_code",
            "comparisons",
            "matrix",
            "accuracy",
            "noise_floor",
            "findings_by_rule",
            "prompts",
            "deprecations",
            "judge",
            "cases",
        ]
        summary = report.to_json(cases=False)
        assert "cases" not in summary and summary == {k: v for k, v in data.items() if k != "cases"}
    first = reports[0].to_json()
    assert first["format"] == "promptcompat.report/2"
    assert list(first["run"]["calls"]) == [
        "total",
        "done",
        "from_cache",
        "sent",
        "provider_requests",
        "errors",
    ]


def test_a_side_keeps_its_flags_only_when_set() -> None:
    comparison = ComparisonView(
        index=0,
        prompt="p",
        direction="AA",
        baseline=SideSpec(version="v1", target=OLD),
        candidate=SideSpec(version="v1", target=OLD, resample=True),
        mode="FULL",
        enforced=False,
        cases=1,
        verdicts={"COMPATIBLE": 1, "CHANGED": 0, "BREAKING": 0, "ERROR": 0},
        holds=True,
        top_findings=[],
        noise_cases=0,
        waived_cases=0,
        accuracy=None,
        usage=ComparisonUsage(baseline={"calls": 2, "cost_usd": 0.5}, candidate={}),
    )
    data = comparison.model_dump(mode="json")
    assert data["baseline"] == {"version": "v1", "target": OLD}
    assert data["candidate"] == {"version": "v1", "target": OLD, "resample": True}
    # A count stays an int, a cost a float; a side without calls an empty object.
    assert data["usage"] == {"baseline": {"calls": 2, "cost_usd": 0.5}, "candidate": {}}
    assert type(data["usage"]["baseline"]["calls"]) is int


def test_a_retirement_warning_keeps_its_keys() -> None:
    warning = RetirementWarning(
        prompt="p", target=OLD, retires="2026-12-12", days_left=5, successor=NEW, message="m"
    )
    assert list(warning.model_dump(mode="json")) == [
        "prompt",
        "target",
        "retires",
        "days_left",
        "successor",
        "message",
    ]


def full_check() -> CheckResult:
    """A check result with something in every part."""
    finding = CaseFinding(
        rule="json.field_removed",
        severity="ERR",
        status="new",
        path="$.company",
        message="field removed",
        rate="1/1",
    )
    side = SideLabel(version="v1", target=OLD)
    return CheckResult(
        base=BaseRef(ref="main", merge_base="0" * 40),
        changed_files=["extract_contact/versions/v3.yaml"],
        prompts=[
            PromptChangeView(
                prompt="extract_contact",
                reasons=["new version v3"],
                base_version="v2",
                new_versions=["v3"],
                cases="all",
            )
        ],
        unchanged_prompts=["prime_check"],
        request_side=[
            RequestSideFinding(
                prompt="extract_contact",
                base_version="v2",
                version="v3",
                rule="request.variable_added",
                severity="ERR",
                variable="name",
                message="needs name",
            )
        ],
        contract_side=[
            ContractSideFinding(
                prompt="extract_contact",
                version="v2",
                target=OLD,
                case_id="c1",
                rule="contract.must_match",
                severity="WARN",
                path=None,
                message="no match",
            )
        ],
        errors=[CheckError(where="x.yaml", message="edited in place")],
        comparisons=[
            CheckComparison(
                index=0,
                prompt="extract_contact",
                direction="BACKWARD",
                baseline=SideSpec(version="v2", target=OLD),
                candidate=SideSpec(version="v3", target=OLD),
                mode="FULL",
                enforced=True,
                cases=1,
                verdicts={"COMPATIBLE": 0, "CHANGED": 0, "BREAKING": 1, "ERROR": 0},
                holds=False,
                top_findings=[
                    TopFinding(
                        rule="json.field_removed",
                        severity="ERR",
                        cases=1,
                        noise_cases=0,
                        waived_cases=0,
                        rate="1/1",
                    )
                ],
            )
        ],
        cases=[
            CheckCase(
                comparison=0,
                prompt="extract_contact",
                direction="BACKWARD",
                baseline=side,
                candidate=side.model_copy(update={"version": "v3"}),
                case_id="c1",
                verdict="BREAKING",
                failing=True,
                findings=[finding],
                diff="-a\n+b",
            )
        ],
        run_id="r" * 32,
        coverage={"extract_contact": CoverageLines(line="watched", baseline_fails_contract=[])},
        verdict="ERROR",
        exit_code=2,
    )


def test_the_check_result_has_the_shape_it_always_had() -> None:
    data = full_check().to_json()
    # The parts the golden checks left empty, with the keys the code before the model wrote.
    empty_then = {
        "request_side[]." + k
        for k in ("prompt", "base_version", "version", "rule", "severity", "variable", "message")
    }
    empty_then |= {
        "contract_side[]." + k
        for k in ("prompt", "version", "target", "case_id", "rule", "severity", "path", "message")
    }
    empty_then |= {"errors[].where", "errors[].message"}
    assert shape(data, CHECK_NAMED) == set(SHAPES["check"]) | empty_then
    assert list(data) == [
        "format",
        "base",
        "fail_on",
        "changed_files",
        "prompts",
        "unchanged_prompts",
        "request_side",
        "contract_side",
        "errors",
        "comparisons",
        "cases",
        "run_id",
        "calls",
        "snapshots",
        "coverage",
        "verdict",
        "exit_code",
    ]
    assert data["format"] == "promptcompat.check/1"
    assert data["prompts"][0]["cases"] == "all"


def test_a_check_that_did_nothing_says_so_in_the_same_shape() -> None:
    data = CheckResult(base=BaseRef(ref="main")).to_json()
    assert data["base"] == {"ref": "main", "merge_base": None}
    assert data["calls"] == {"total": 0, "from_cache": 0, "provider_requests": 0, "errors": 0}
    assert data["snapshots"] == {"pending_written": [], "obsolete": []}
    assert (data["verdict"], data["exit_code"], data["run_id"]) == ("COMPATIBLE", 0, None)


@pytest.mark.parametrize(("fail_on", "failing"), [("ERR", {"ERR"}), ("WARN", {"ERR", "WARN"})])
def test_which_severities_fail_a_check(fail_on: str, failing: set[str]) -> None:
    result = CheckResult(base=BaseRef(ref="main"), fail_on=fail_on)  # type: ignore[arg-type]
    assert {s for s in ("ERR", "WARN", "INFO") if result.failing(s)} == failing  # type: ignore[arg-type]


def test_markdown_and_junit_render_every_part_of_the_model() -> None:
    result = full_check()
    markdown = render_markdown(result)
    for text in ("edited in place", "request.variable_added", "contract.must_match", "watched"):
        assert text in markdown
    assert "<code>extract_contact</code> / <code>c1</code>" in markdown
    junit = render_junit(result)
    assert 'classname="promptcompat.check"' in junit
    assert 'classname="promptcompat.extract_contact.request"' in junit
    assert 'classname="promptcompat.extract_contact.contract"' in junit
    # fail_on ERR: the WARN contract-side finding is listed, not a failure.
    assert 'testsuite name="promptcompat" tests="3" failures="1" errors="1"' in junit

"""What watched each prompt, and baselines that fail their own contract, through the real CLI
(issue 16, items 9 and 10): the report, the console and the PR comment say it once per
prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_suite import RunResult, ScriptedPrompt, run_suite

from promptcompat.check import CheckResult, coverage_lines
from promptcompat.check.markdown import render_markdown
from promptcompat.check.result import BaseRef, CheckCalls
from promptcompat.report import RunReport

WHY = "Why is the sky blue?"
WHY_OLD = (
    "Sunlight is scattered by air molecules, and shorter (blue) wavelengths scatter much "
    "more than red ones, so blue light reaches our eyes from every direction."
)
WHY_NEW = (
    "Because of Rayleigh scattering: air molecules scatter short blue wavelengths far more "
    "than long red ones, so the sky looks blue from every direction."
)
LEAP = "Is {year} a leap year? Explain and end with [Yes] or [No]."

PROMPTS = {
    "chat": ScriptedPrompt(cases={"sky": WHY}, old={"sky": WHY_OLD}, new={"sky": WHY_NEW}),
    "leap": ScriptedPrompt(
        cases={"y2024": LEAP.format(year=2024), "y2023": LEAP.format(year=2023)},
        old={
            "y2024": "2024 is divisible by 4 and not a century year. [Yes]",
            "y2023": "2023 is not divisible by 4. [No]",
        },
        new={
            "y2024": "Divisible by 4, not a century: a leap year. [Yes]",
            "y2023": "2023 / 4 leaves a remainder of 3. [No]",
        },
        # the contract asks for an `Answer:` line that neither model ever wrote
        contract={"must_match": ["(?m)^Answer: "]},
        references={"y2024": "[Yes]"},
    ),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    tmp: Path = tmp_path_factory.mktemp("coverage")
    return run_suite(tmp, PROMPTS)


def test_a_free_text_prompt_says_only_the_detectors_watched_it(run: RunResult) -> None:
    # item 10
    chat = run.report["prompts"]["chat"]["coverage"]
    assert chat["line"].startswith(
        "free-text prompt without contract or references: only zero-config detectors"
    )
    assert chat["watched"] == ["drift"]
    assert set(chat["inert"]) == {"contract", "structure", "references", "user_checks", "implicit"}
    assert "chat: free-text prompt without contract or references" in run.stdout


def test_the_coverage_names_each_family_that_watched(run: RunResult) -> None:
    leap = run.report["prompts"]["leap"]
    line = leap["coverage"]["line"]
    assert "contract (must_match (1))" in line
    assert "reference answers on 1 of 2 cases" in line
    assert "implicit contract from the instructions (ends with [Yes] or [No])" in line
    assert "Inert: structure (parsed JSON), user checks" in line
    assert leap["implicit_contract"] == ["ends with [Yes] or [No]"]


def test_a_baseline_that_fails_its_contract_is_said_once_per_prompt(run: RunResult) -> None:
    # item 9: not only an already_failing WARN on every case
    (failure,) = run.report["prompts"]["leap"]["baseline_fails_contract"]
    assert (failure["rule"], failure["check"], failure["cases"], failure["of"]) == (
        "contract.must_match",
        "(?m)^Answer: ",
        2,
        2,
    )
    assert failure["line"].endswith(
        "fails contract contract.must_match `(?m)^Answer: ` on 2 of 2 cases: the contract or "
        "the baseline needs attention"
    )
    assert run.stdout.count("on 2 of 2 cases: the contract or the baseline needs attention") == 1
    report = RunReport.model_validate(run.report)
    markdown = render_markdown(
        CheckResult(
            base=BaseRef(ref="main"),
            verdict=report.verdict,
            exit_code=report.exit_code,
            calls=CheckCalls.part_of(report.run.calls),
            coverage=coverage_lines(report),
        )
    )
    assert "### Coverage" in markdown
    assert markdown.count("the contract or the baseline needs attention") == 1
    assert "`chat`: free-text prompt without contract or references" in markdown

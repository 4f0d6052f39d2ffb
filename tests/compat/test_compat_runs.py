"""End to end on the real simulator and SQLite: rates and noise at K=5, A/A, transitive modes,
waivers against a controlled clock, user checks, reference accuracy, --fail-on."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from inline import run_inline
from sqlalchemy import Engine

from promptcompat import store
from promptcompat.compat import evaluate
from promptcompat.config import Settings
from promptcompat.replay import replay
from promptcompat.report import build_report
from promptcompat.runs import RunRequest, RunSpec, prepare_run
from promptcompat.suite import Suite, load_suite

CLAUDE_OLD = "anthropic:claude-sim-3-5-20241022?temperature=0"
CLAUDE_NEW = "anthropic:claude-sim-4-20250514?temperature=0"
PARAPHRASE = "anthropic:sim-paraphrase?temperature=0"


def run(
    engine: Engine, suite: Suite, settings: Settings, fail_on: str = "ERR", **request: Any
) -> dict[str, Any]:
    run_id, _ = run_inline(
        engine=engine, suite=suite, request=RunRequest(**request), settings=settings
    )
    with store.session_scope(engine) as session:
        return build_report(session=session, run_id=run_id, fail_on=fail_on).to_json()  # type: ignore[arg-type]


def comparison(report: dict[str, Any], direction: str, prompt: str) -> dict[str, Any]:
    (found,) = [
        c for c in report["comparisons"] if c["direction"] == direction and c["prompt"] == prompt
    ]
    return found


def test_k5_reports_rates_and_marks_noise(engine: Engine, suite: Suite, settings: Settings) -> None:
    report = run(engine, suite, settings, prompts=("triage_ticket",), samples=5)
    assert report["run"]["samples"] == 5
    backward = comparison(report, "BACKWARD", "triage_ticket")
    # v2 is a harmless rewording; the confidence moves with sampling on both sides: noise
    assert backward["verdicts"]["BREAKING"] == 0
    assert backward["noise_cases"] >= 20
    noise = [
        f
        for case in report["cases"]
        if case["comparison"] == backward["index"]
        for f in case["findings"]
        if f["noise"]
    ]
    assert noise and {f["severity"] for f in noise} == {"INFO"}
    assert {f["status"] for f in noise} == {"noise"}
    assert all(f["samples"] == 5 and f["baseline_samples"] == 5 for f in noise)
    assert any(f["path"] == "$.confidence" and f["rate"] == "5/5" for f in noise)
    forward = comparison(report, "FORWARD", "triage_ticket")
    breaking = [c for c in report["cases"] if c["comparison"] == forward["index"]]
    worst = [f for c in breaking if c["verdict"] == "BREAKING" for f in c["findings"]]
    assert any(f["rate"] == "5/5" and f["baseline_rate"] == "0/5" for f in worst)
    tested = [f for f in worst if f["status"] == "new" and f["baseline_samples"] == 5]
    assert tested and all(f["p_value"] is not None and f["p_value"] <= 0.05 for f in tested)
    # reference accuracy per target: the new model's new enum values miss the queue
    accuracy = {(a["version"], a["target"].split("?")[0]): a for a in report["accuracy"]}
    assert accuracy["v1", "openai:gpt-sim-2024-05-13"]["rate"] == 1.0
    assert accuracy["v1", "openai:gpt-sim-2025-06-01"]["rate"] < 1.0
    assert forward["accuracy"]["candidate"]["samples"] == 5 * len(breaking)


def test_aa_measures_the_noise_floor_and_never_fails(
    engine: Engine, suite: Suite, settings: Settings
) -> None:
    report = run(engine, suite, settings, aa=True, samples=5)
    assert [c["direction"] for c in report["comparisons"]] == ["AA"] * len(suite.prompts)
    assert report["exit_code"] == 0
    assert all(not c["enforced"] for c in report["comparisons"])
    floor = {n["prompt"]: n for n in report["noise_floor"]}
    assert set(floor) == set(suite.prompts)
    # temperature 0: identical outputs (latency may vary); triage at temperature 0.7: the
    # confidence varies, as noise
    assert floor["extract_contact"]["differing"] == 0
    assert floor["plan_trip"]["differing"] == floor["contact_card"]["differing"] == 0
    assert floor["triage_ticket"]["differing"] > 0
    assert floor["triage_ticket"]["verdicts"]["BREAKING"] == 0
    assert "json.value_changed" in floor["triage_ticket"]["rules"]
    cell = report["matrix"]["triage_ticket"]["cells"][0]
    assert cell["baseline_for"] == 1 and "AA" in cell["directions"]


def test_forward_transitive_checks_every_earlier_accepted_model(
    engine: Engine, suite: Suite, settings: Settings, prompts_dir: Path
) -> None:
    # an earlier run accepted prime_check v1 on the old model
    run(engine, suite, settings, prompts=("prime_check",), candidate=PARAPHRASE)
    path = prompts_dir / "prime_check" / "prompt.yaml"
    text = path.read_text().replace("mode: FULL", "mode: FORWARD_TRANSITIVE")
    # ... and the prompt has since moved to the paraphrasing model
    path.write_text(text.replace(f"pinned: {CLAUDE_OLD}", f"pinned: {PARAPHRASE}"))
    report = run(engine, load_suite(prompts_dir), settings, prompts=("prime_check",))
    sides = [
        (c["baseline"]["target"], c["baseline"].get("accepted_only", False))
        for c in report["comparisons"]
    ]
    assert sides == [(PARAPHRASE, False), (CLAUDE_OLD, True)]
    assert {c["candidate"]["target"] for c in report["comparisons"]} == {CLAUDE_NEW}
    assert all(c["cases"] == 24 for c in report["comparisons"])
    cell = next(c for c in report["matrix"]["prime_check"]["cells"] if c["target"] == CLAUDE_NEW)
    assert len(cell["directions"]["FORWARD"]["against"]) == 2
    assert not cell["directions"]["FORWARD"]["holds"]
    # nothing was sent to the earlier model in the second run
    with store.session_scope(engine) as session:
        stats = store.run_call_stats(session=session, run_id=report["run"]["id"])
    assert not any(CLAUDE_OLD in key for key in stats)


def test_mode_none_is_recorded_but_never_decides_the_exit_code(
    engine: Engine, settings: Settings, prompts_dir: Path
) -> None:
    path = prompts_dir / "extract_contact" / "prompt.yaml"
    path.write_text(path.read_text().replace("mode: FULL", "mode: NONE"))
    report = run(engine, load_suite(prompts_dir), settings, prompts=("extract_contact",))
    assert {c["direction"] for c in report["comparisons"]} == {"FORWARD", "BACKWARD"}
    assert all(c["verdicts"]["BREAKING"] > 0 and not c["enforced"] for c in report["comparisons"])
    assert (report["verdict"], report["exit_code"]) == ("COMPATIBLE", 0)


def test_fail_on_warn_fails_a_changed_run(engine: Engine, suite: Suite, settings: Settings) -> None:
    # one sample at temperature 0.7: the confidence moves, which reads as CHANGED
    request = {"prompts": ("triage_ticket",), "candidate_version": "v2"}
    report = run(engine, suite, settings, **request)
    assert report["comparisons"][0]["verdicts"]["CHANGED"] > 0
    assert (report["verdict"], report["exit_code"]) == ("CHANGED", 0)
    with store.session_scope(engine) as session:
        strict = build_report(session=session, run_id=report["run"]["id"], fail_on="WARN").to_json()
    assert (strict["verdict"], strict["exit_code"]) == ("CHANGED", 1)


def test_waivers_overrides_and_user_checks_in_a_run(
    engine: Engine, settings: Settings, prompts_dir: Path
) -> None:
    folder = prompts_dir / "write_function"
    (folder / "prompt.yaml").write_text(
        (folder / "prompt.yaml").read_text() + "rules:\n  drift.code_fence_added: WARN\n"
        "waivers:\n"
        "  - rule: contract.must_not_match\n    reason: the runner strips fences (RUN-7)\n"
        "    expires: 2027-01-31\n"
        "  - rule: request.variable_added\n    path: style_guide\n"
        "    reason: every caller passes it since 2026-10 (API-12)\n    expires: 2026-11-30\n"
    )
    (folder / "checks.py").write_text(
        (folder / "checks.py").read_text() + "\n\ndef check_no_fence(output, case):\n"
        "    assert '```' not in output, 'the runner cannot exec a fenced answer'\n"
        "\n\ndef check_crashes(output, case):\n    raise RuntimeError('bug in the check')\n"
    )
    suite = load_suite(prompts_dir)

    def report_on(today: date) -> dict[str, Any]:
        """A run evaluated as of ``today`` (the second one replays from the cache)."""
        prepared = prepare_run(
            engine=engine,
            suite=suite,
            request=RunRequest(prompts=("write_function",)),
            settings=settings,
            mode="inline",
        )
        asyncio.run(
            replay(prepared.calls, engine=engine, run_id=prepared.run_id, settings=settings)
        )
        evaluate(
            engine=engine,
            run_id=prepared.run_id,
            suite=suite,
            comparisons=prepared.comparisons,
            calls=prepared.calls,
            samples=1,
            today=today,
        )
        with store.session_scope(engine) as session:
            return build_report(session=session, run_id=prepared.run_id).to_json()

    before = report_on(date(2026, 11, 23))
    forward = comparison(before, "FORWARD", "write_function")
    fenced = [
        c
        for c in before["cases"]
        if c["comparison"] == forward["index"]
        and any(f["rule"] == "drift.code_fence_added" for f in c["findings"])
    ]
    assert fenced
    for case in fenced:
        by_rule = {f["rule"]: f for f in case["findings"]}
        assert by_rule["drift.code_fence_added"]["severity"] == "WARN"  # the override
        assert by_rule["contract.must_not_match"]["waived"]
        checks = {f["path"]: f for f in case["findings"] if f["rule"] == "contract.user_check"}
        assert checks["check_no_fence"]["severity"] == "ERR"
        assert case["verdict"] == "BREAKING"  # the user check still breaks it
    crashed = [f for c in before["cases"] for f in c["findings"] if f["path"] == "check_crashes"]
    # a crashing check fails on both sides: reported, already failing, never a crash
    assert crashed and {f["status"] for f in crashed} == {"already_failing"}
    assert "RuntimeError: bug in the check" in crashed[0]["message"]
    backward = comparison(before, "BACKWARD", "write_function")
    assert backward["verdicts"]["BREAKING"] == 0 and backward["waived_cases"] == 22

    after = report_on(date(2026, 12, 1))  # the style_guide waiver has expired
    backward = comparison(after, "BACKWARD", "write_function")
    assert backward["verdicts"]["BREAKING"] == 22
    expired = [
        c["case_id"]
        for c in after["cases"]
        if c["comparison"] == backward["index"]
        and any(f["rule"] == "waiver.expired" for f in c["findings"])
    ]
    assert len(expired) == 22  # wherever it would have applied
    forward_expired = [
        c["case_id"]
        for c in after["cases"]
        if c["comparison"] == comparison(after, "FORWARD", "write_function")["index"]
        and any(f["rule"] == "waiver.expired" for f in c["findings"])
    ]
    assert forward_expired == [suite.prompts["write_function"].cases[0].id]  # and once anyway


def test_a_failed_run_is_an_error(engine: Engine) -> None:
    with store.session_scope(engine) as session:
        run_id = store.create_run(session=session, spec=RunSpec(), total_calls=0).id
        store.finish_run(session=session, run_id=run_id, status="failed", error="worker lost")
    with store.session_scope(engine) as session:
        report = build_report(session=session, run_id=run_id).to_json()
    assert (report["verdict"], report["exit_code"]) == ("ERROR", 2)

"""The judge end to end: a scripted prompt model (loopback) and the simulator's scripted judge,
through the real CLI and the official SDKs; and the judge's core (majority, orders, kappa).

The simulator judge is a stand-in (simulator/judge.py): these tests check the path (both
orders, K samples, undecided, cache, cost, the calibration gate), not judge quality.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from clirun import cli
from loopback import Endpoint

from promptcompat.check.markdown import render_markdown
from promptcompat.check.result import BaseRef, CheckJudge, CheckResult
from promptcompat.compat.calibration import cohen_kappa, figures
from promptcompat.compat.judge import (
    FACT_QUESTION_VERSION,
    Answer,
    Judgement,
    Pair,
    Trust,
    decide,
    fact_question,
    judge_findings,
    key_fact_findings,
    parse_answer,
    plan_pair,
    question,
    semantic_value,
    undecided_by_rules,
)
from promptcompat.report.model import JudgeUsage
from promptcompat.rules import Finding
from promptcompat.simulator import judge as sim_judge
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.simulator.request import ChatRequest

OLD, NEW = "old-model", "new-model"
HELD = "The rollback succeeded and no customer data was lost."
ANSWERS: dict[str, tuple[str, str]] = {
    # case: (old model, new model)
    "same": ("All 3 regions are back.", "All 3 regions are back."),
    "reworded": (HELD, "Rollback succeeded; no customer data was lost."),
    # what the fact diff cannot see (no number, date, name or negation changed): the judge reads it
    "flipped": (
        "The fix is permanent and the incident is closed.",
        "The fix is temporary and the incident is closed.",
    ),
    "refused": (HELD, "I'm sorry, but I can't help with that request."),
    # reworded, with key facts no number, date or name decides: the judge reads them too
    "keyed": ("Service is restored in all regions.", "Service is restored in every region."),
}
KEY_FACTS = {"keyed": ["service is back", "the outage was partial"]}
FIELDS: dict[str, tuple[str, str]] = {
    # a JSON output whose "summary" is marked semantic: the judge reads that field
    "status": (
        json.dumps({"status": "resolved", "summary": "The rollback succeeded."}),
        json.dumps({"status": "resolved", "summary": "The rollback failed."}),
    ),
    # the same field reworded: the judge finds it equivalent, its value change is INFO
    "summary_reworded": (
        json.dumps({"status": "resolved", "summary": "The rollback succeeded."}),
        json.dumps({"status": "resolved", "summary": "Rollback succeeded."}),
    ),
}
# reworded, flipped and keyed ("same" has no change, "refused" a rule decided), the two
# fields, and the two key facts of "keyed"
PAIRS_JUDGED = 5 + 2


def _suite(root: Path, url: str, judge: str) -> None:
    target = "openai-compatible:{}?temperature=0&base_url=" + url + "&api_key=none"
    for name, cases, extra in (
        ("incident", ANSWERS, {}),
        ("incident_json", FIELDS, {"semantic": ["$.summary"]}),
    ):
        folder = root / name
        (folder / "versions").mkdir(parents=True)
        doc: dict[str, Any] = {
            "description": "Incident summaries the on-call engineer acts on",
            "mode": "FORWARD",
            "deployed": "v1",
            "targets": {"pinned": target.format(OLD), "candidates": [target.format(NEW)]},
            "judge": judge,
            "cases": [
                {"id": case, "vars": {"q": case}}
                | ({"facts": KEY_FACTS[case]} if case in KEY_FACTS else {})
                for case in cases
            ],
            **extra,
        }
        (folder / "prompt.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, width=10_000))
        version = {"variables": ["q"], "messages": [{"role": "user", "content": "{{ q }}"}]}
        (folder / "versions" / "v1.yaml").write_text(yaml.safe_dump(version, sort_keys=False))


def _script(model: str, messages: list[dict[str, str]]) -> tuple[str, str]:
    old, new = {**ANSWERS, **FIELDS}[messages[-1]["content"]]
    return (old if model == OLD else new), "stop"


def _env(tmp_path: Path, sim: SimulatorProcess, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
    return env | {
        "PROMPTCOMPAT_HOME": str(tmp_path / "home"),
        "PROMPTCOMPAT_PROMPTS_DIR": str(tmp_path / "suite"),
        "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
        "PROMPTCOMPAT_ANTHROPIC_BASE_URL": sim.anthropic_base_url,
        "OPENAI_API_KEY": "sk-test-judge",
        "ANTHROPIC_API_KEY": "sk-ant-test-judge",
        "COLUMNS": "200",
        **extra,
    }


def _run(tmp_path: Path, env: dict[str, str], name: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / f"{name}.json"
    done = cli("run", "--json-out", str(out), env=env, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "Judge " in done.stdout and "calls · $" in done.stdout  # the judge's cost line
    return done.returncode, json.loads(out.read_text())


def _case(report: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(c for c in report["cases"] if c["case_id"] == case_id)


def _rules(report: dict[str, Any], case_id: str) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in _case(report, case_id)["findings"]}


def _pr_judge_line(report: dict[str, Any], min_kappa: float = 0.6) -> str:
    """The judge's line of the pull-request markdown, from the run report's ``judge``."""
    usage = JudgeUsage.model_validate(report["judge"])
    judge = CheckJudge.part_of(usage, min_kappa=min_kappa)
    result = CheckResult(base=BaseRef(ref="main"), run_id="r1", judge=judge)
    assert result.to_json()["judge"]["calls"] == usage.calls  # absent when no judge ran
    assert "judge" not in CheckResult(base=BaseRef(ref="main")).to_json()
    markdown = render_markdown(result)
    [line] = [x for x in markdown.splitlines() if x.startswith("Judge: ")]
    assert "`openai:gpt-sim-judge?temperature=0` (judge/1)" in line
    return line


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        check=True,
        capture_output=True,
        timeout=60,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )


def _judge_requests(sim: SimulatorProcess, model: str) -> int:
    return int(sim.stats()["by_model"].get(model, 0))


def test_judge_decides_undecided_cases_both_orders_cached_and_priced_then_gated_by_calibration(
    tmp_path: Path, sim: SimulatorProcess
) -> None:
    env = _env(tmp_path, sim, PROMPTCOMPAT_JUDGE_SAMPLES="2")
    with Endpoint(script=_script) as endpoint:
        _suite(tmp_path / "suite", endpoint.url, "openai:gpt-sim-judge?temperature=0")
        code, report = _run(tmp_path, env, "first")

        # Both orders, K=2 each, only for the two cases no rule decided.
        assert _judge_requests(sim, "gpt-sim-judge") == PAIRS_JUDGED * 2 * 2
        assert "meaning.judge_differs" not in _rules(report, "same")
        assert "drift.refusal_introduced" in _rules(report, "refused")
        assert not any(r.startswith("meaning.") for r in _rules(report, "refused"))
        assert _case(report, "reworded")["verdict"] == "COMPATIBLE"
        # Not calibrated: the judge's difference is reported, CHANGED, and cannot fail CI.
        flipped = _case(report, "flipped")
        assert flipped["verdict"] == "CHANGED"
        finding = next(f for f in flipped["findings"] if f["rule"] == "meaning.judge_differs")
        assert finding["severity"] == "INFO"
        assert finding["rate"] == "4/4"
        assert "'temporary'" in finding["message"] and "not calibrated" in finding["message"]
        assert code == 1  # the refusal breaks; the judge's finding alone would not
        # A semantic JSON field: its value changed (a rule fired), the judge reads its meaning.
        field = next(
            f for f in _case(report, "status")["findings"] if f["rule"].startswith("meaning.")
        )
        assert (field["rule"], field["path"]) == ("meaning.judge_differs", "$.summary")
        assert "'failed'" in field["message"]
        # A semantic field reworded: judged equivalent, its value change no longer CHANGED.
        reworded = _case(report, "summary_reworded")
        assert reworded["verdict"] == "COMPATIBLE", reworded["findings"]
        [value] = [f for f in reworded["findings"] if f["rule"] == "json.value_changed"]
        assert value["severity"] == "INFO" and "judged equivalent" in value["message"]
        assert _rules(report, "status")["json.value_changed"] == "WARN"
        # Key facts the fact diff left undecided: the judge's key-fact question decides them.
        keyed = _case(report, "keyed")
        assert report["prompts"]["incident"]["coverage"]["facts"]["undecided_facts"] == 2
        [missing] = [f for f in keyed["findings"] if f["rule"] == "meaning.key_fact_missing"]
        assert missing["severity"] == "INFO" and missing["rate"] == "4/4"
        assert "'the outage was partial'" in missing["message"]
        assert "'service is back'" not in missing["message"]
        assert keyed["verdict"] == "CHANGED"
        judge = report["judge"]["targets"]["openai:gpt-sim-judge?temperature=0"]
        assert judge["calls"] == PAIRS_JUDGED * 4 and judge["question"] == "judge/1"
        assert report["judge"]["cost_usd"] > 0 and judge["calibration"] is None
        assert report["prompts"]["incident"]["coverage"]["line"].endswith(
            "The judge read 3 changed cases and 2 undecided key facts"
        )
        assert "not calibrated, its findings cannot fail the check" in _pr_judge_line(report)

        # Calibrated above the bar: the same finding now fails CI.
        labels = tmp_path / "labels.jsonl"
        rows = [
            {"baseline": HELD, "candidate": "No customer data was lost; rollback done.",
             "label": "equivalent", "reason": "reworded"},
            {"baseline": "3 regions were down.", "candidate": "2 regions were down.",
             "label": "different", "reason": "number changed"},
            {"baseline": "It ships on 13 May.", "candidate": "It ships on 3 May.",
             "label": "different", "reason": "date changed"},
            {"baseline": "Call Alice today.", "candidate": "Today, call Alice.",
             "label": "equivalent", "reason": "reordered"},
        ]  # fmt: skip
        labels.write_text("".join(json.dumps(r) + "\n" for r in rows))
        done = cli(
            "judge", "calibrate", "--labels", str(labels), "--judge",
            "openai:gpt-sim-judge?temperature=0", env=env, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Cohen's kappa" in done.stdout and "1.000" in done.stdout
        assert "can fail CI" in done.stdout
        # The fact diff is measured beside the judge on the same pairs.
        assert "fact diff" in done.stdout
        calibrated = _judge_requests(sim, "gpt-sim-judge")
        # A rerun: every judge answer of the run comes from the cache.
        code, gated = _run(tmp_path, env | {"PROMPTCOMPAT_JUDGE_MIN_KAPPA": "0.8"}, "gated")
        assert _judge_requests(sim, "gpt-sim-judge") == calibrated
        assert _case(gated, "flipped")["verdict"] == "BREAKING"
        calls = gated["run"]["calls"]  # judge calls are among the run's, all from the cache
        assert calls["total"] == calls["done"] == calls["from_cache"]
        assert _rules(gated, "flipped")["meaning.judge_differs"] == "ERR"
        assert _rules(gated, "keyed")["meaning.key_fact_missing"] == "ERR"
        assert _case(gated, "keyed")["verdict"] == "BREAKING"
        calibration = gated["judge"]["targets"]["openai:gpt-sim-judge?temperature=0"]
        assert calibration["calibration"]["kappa"] == 1.0
        assert calibration["calibration"]["pairs"] == len(rows)
        line = _pr_judge_line(gated, min_kappa=0.8)
        assert f"Judge: {PAIRS_JUDGED * 4} calls · $" in line
        assert "kappa 1.00 on 4 pairs ≥ 0.80, can fail it" in line


def test_an_order_biased_judge_through_anthropic_is_undecided(
    tmp_path: Path, sim: SimulatorProcess
) -> None:
    env = _env(tmp_path, sim, PROMPTCOMPAT_JUDGE_SAMPLES="1")
    with Endpoint(script=_script) as endpoint:
        _suite(tmp_path / "suite", endpoint.url, "anthropic:claude-sim-judge-order-biased")
        _, report = _run(tmp_path, env, "biased")
    assert _judge_requests(sim, "claude-sim-judge-order-biased") == PAIRS_JUDGED * 2
    assert _rules(report, "flipped")["meaning.judge_undecided"] == "INFO"
    assert "meaning.judge_differs" not in _rules(report, "flipped")
    assert _case(report, "flipped")["verdict"] == "CHANGED"
    [undecided] = [
        f for f in _case(report, "flipped")["findings"] if f["rule"] == "meaning.judge_undecided"
    ]
    assert "depends on which answer it reads first" in undecided["message"]
    assert undecided["rate"] == "1/2"  # different baseline first, equivalent candidate first
    assert _case(report, "reworded")["verdict"] == "COMPATIBLE"
    # The key fact the rule finds missing is undecided too (missing key fact first only).
    [fact] = [
        f for f in _case(report, "keyed")["findings"] if f["rule"] == "meaning.judge_undecided"
    ]
    assert "'the outage was partial'" in fact["message"] and fact["rate"] == "1/2"
    assert report["judge"]["cost_usd"] > 0

    # A pull request that pins the new model: `promptcompat check`'s markdown has the judge's
    # line (its answers come from the cache of the run above).
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "-A", "suite")
    _git(tmp_path, "commit", "-q", "-m", "suite")
    _git(tmp_path, "checkout", "-q", "-b", "pr")
    doc = tmp_path / "suite" / "incident" / "prompt.yaml"
    doc.write_text(doc.read_text().replace(f"{OLD}?", f"{NEW}?", 1))  # the pinned target
    _git(tmp_path, "commit", "-q", "-am", "pin the new model")
    done = cli(
        "check", "--base", "main", "--markdown-out", str(tmp_path / "check.md"),
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    [line] = [x for x in (tmp_path / "check.md").read_text().splitlines() if x.startswith("Judge:")]
    assert "`anthropic:claude-sim-judge-order-biased` (judge/1)" in line
    assert "not calibrated, its findings cannot fail the check" in line, line


def test_calibrate_refuses_a_bad_labels_line_naming_it(
    tmp_path: Path, sim: SimulatorProcess
) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        '{"baseline": "a", "candidate": "b", "label": "equivalent"}\n{"baseline": 1}\n'
    )
    done = cli(
        "judge", "calibrate", "--labels", str(labels), "--judge", "openai:gpt-sim-judge",
        env=_env(tmp_path, sim), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{labels}:2" in done.stderr and "label" in done.stderr


# --- the core ---------------------------------------------------------------------------------


def _answers(*verdicts: str) -> list[Answer | None]:
    return [
        Answer("different", ("a fact",))
        if v == "d"
        else Answer("equivalent", ())
        if v == "e"
        else None
        for v in verdicts
    ]


def test_majority_per_order_and_disagreeing_orders_are_undecided() -> None:
    both = decide(
        {"baseline_first": _answers("d", "d", "e"), "candidate_first": _answers("d", "e", "d")},
        samples=3,
    )
    assert both.verdict == "different" and both.hits == 4 and both.total == 6
    assert both.differences == ["a fact"]
    split = decide(
        {"baseline_first": _answers("d", "d", "d"), "candidate_first": _answers("e", "e", "e")},
        samples=3,
    )
    assert split.verdict == "undecided" and not split.order_consistent
    tie = decide(
        {"baseline_first": _answers("d", "e"), "candidate_first": _answers("d", "e")}, samples=2
    )
    assert tie.verdict == "undecided"
    failed = decide(
        {"baseline_first": _answers("x", "x"), "candidate_first": _answers("e", "e")}, samples=2
    )
    assert failed.verdict == "undecided"
    assert (
        decide(
            {"baseline_first": _answers("e"), "candidate_first": _answers("e")}, samples=1
        ).verdict
        == "equivalent"
    )


def test_findings_fail_ci_only_from_a_judge_calibrated_above_the_bar() -> None:
    judged = Judgement(
        "different",
        samples=2,
        different={"baseline_first": 2, "candidate_first": 1},
        differences=["x"],
    )
    low = Trust(calibrated=True, kappa=0.4, min_kappa=0.6, pairs=10)
    high = Trust(calibrated=True, kappa=0.7, min_kappa=0.6, pairs=10)
    never = Trust(calibrated=False, kappa=None, min_kappa=0.6)
    assert [f.severity for f in judge_findings(judged, judge="j", trust=low)] == ["INFO"]
    assert [f.severity for f in judge_findings(judged, judge="j", trust=never)] == ["INFO"]
    [trusted] = judge_findings(judged, judge="j", trust=high)
    assert trusted.severity == "ERR" and (trusted.hits, trusted.samples) == (3, 4)
    assert judge_findings(Judgement("equivalent", samples=2), judge="j", trust=high) == []


def test_the_judge_runs_only_where_no_rule_decided() -> None:
    paraphrase = Finding("text.changed", "INFO", "differs")
    longer = Finding("drift.verbosity", "WARN", "longer")
    changed = Finding("json.value_changed", "WARN", "a value")
    assert undecided_by_rules("COMPATIBLE", [paraphrase])
    assert undecided_by_rules("CHANGED", [longer])
    assert not undecided_by_rules("CHANGED", [changed])
    assert not undecided_by_rules("BREAKING", [paraphrase])
    assert not undecided_by_rules("ERROR", [])


def test_kappa_and_rates() -> None:
    labels = ["equivalent", "equivalent", "different", "different"]
    assert cohen_kappa(labels, labels) == 1.0
    assert cohen_kappa(labels, ["different", "different", "equivalent", "equivalent"]) == -1.0
    assert cohen_kappa(["different"] * 2, ["different"] * 2) is None  # chance agreement is 1
    got = figures(labels, ["different", "equivalent", "different", "undecided"], consistent=3)
    assert got.agreement == 0.5 and got.false_positive_rate == 0.5
    assert got.false_negative_rate == 0.0 and got.undecided == 1 and got.order_consistency == 0.75
    # Undecided is a disagreement of its own: kappa (0.5 - 0.375) / (1 - 0.375).
    assert got.kappa == 0.2


def test_the_scripted_judge_reads_both_orders_and_plays_order_bias() -> None:
    def ask(model: str, order: str) -> dict[str, Any]:
        messages = question("summaries", HELD, ANSWERS["flipped"][1], order)  # type: ignore[arg-type]
        request = ChatRequest(model=model, turns=tuple((m.role, m.content) for m in messages))
        return sim_judge.answer(model, request)

    assert ask("gpt-sim-judge", "baseline_first")["verdict"] == "different"
    assert ask("gpt-sim-judge", "candidate_first")["verdict"] == "different"
    assert ask("gpt-sim-judge-order-biased", "candidate_first")["verdict"] == "equivalent"
    assert sim_judge.verdict("3 regions", "2 regions")["differences"] == [
        "the baseline says '3'; the candidate does not",
        "the candidate adds '2'",
    ]
    assert sim_judge.verdict(HELD, "Rollback succeeded; no customer data was lost.")["verdict"] == (
        "equivalent"
    )


def test_key_fact_answers_read_as_pairs_and_fail_ci_only_when_calibrated() -> None:
    assert parse_answer('{"verdict": "missing", "reason": "no word of it"}', "key_fact") == (
        Answer("different", ("no word of it",))
    )
    assert parse_answer('{"verdict": "conveyed", "reason": "yes"}', "key_fact") == Answer(
        "equivalent", ()
    )
    assert parse_answer('{"verdict": "equivalent", "differences": []}', "key_fact") is None
    missing = decide(
        {"baseline_first": _answers("d", "d", "e"), "candidate_first": _answers("d", "d", "d")},
        samples=3,
    )
    high = Trust(calibrated=True, kappa=0.9, min_kappa=0.6, pairs=40)
    never = Trust(calibrated=False, kappa=None, min_kappa=0.6)
    [trusted] = key_fact_findings(missing, "rollback failed", judge="j", trust=high)
    assert (trusted.rule, trusted.severity, trusted.hits) == ("meaning.key_fact_missing", "ERR", 5)
    assert "'rollback failed'" in trusted.message and "judge/fact-1" in trusted.message
    [gated] = key_fact_findings(missing, "rollback failed", judge="j", trust=never)
    assert gated.severity == "INFO" and "not calibrated" in gated.message
    split = decide({"baseline_first": _answers("d"), "candidate_first": _answers("e")}, samples=1)
    [undecided] = key_fact_findings(split, "rollback failed", judge="j", trust=high)
    assert undecided.rule == "meaning.judge_undecided" and "'rollback failed'" in undecided.message
    conveyed = decide(
        {"baseline_first": _answers("e"), "candidate_first": _answers("e")}, samples=1
    )
    assert key_fact_findings(conveyed, "rollback failed", judge="j", trust=high) == []


def test_the_key_fact_question_has_its_own_version_in_the_cache_key() -> None:
    from promptcompat.suite.targets import parse_target

    target = parse_target("openai:gpt-sim-judge?temperature=0")
    as_pair = plan_pair(Pair("r", "p", "c", "d", "a", "b"), target, samples=1)
    as_fact = plan_pair(Pair("r", "p", "c", "d", "a", "b", kind="key_fact"), target, samples=1)
    assert {c.version for g in as_fact.values() for c in g} == {FACT_QUESTION_VERSION}
    keys = {c.key for g in as_fact.values() for c in g}
    assert len(keys) == 2 and not keys & {c.key for g in as_pair.values() for c in g}
    first = as_fact["baseline_first"][0].messages[-1].content
    assert first.index("<key_fact>") < first.index("<answer>")
    last = as_fact["candidate_first"][0].messages[-1].content
    assert last.index("<answer>") < last.index("<key_fact>")


def test_the_scripted_judge_answers_the_key_fact_question_in_both_orders() -> None:
    def ask(model: str, order: str) -> dict[str, Any]:
        messages = fact_question("summaries", "the outage was partial", "All is back.", order)  # type: ignore[arg-type]
        request = ChatRequest(model=model, turns=tuple((m.role, m.content) for m in messages))
        return sim_judge.answer(model, request)

    assert ask("gpt-sim-judge", "baseline_first")["verdict"] == "missing"
    assert ask("gpt-sim-judge", "candidate_first")["verdict"] == "missing"
    assert ask("gpt-sim-judge-order-biased", "candidate_first")["verdict"] == "conveyed"
    assert sim_judge.conveys("rollback failed", "The rollback failed at 3 pm.")["verdict"] == (
        "conveyed"
    )


@pytest.fixture(autouse=True)
def _no_judge_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMPTCOMPAT_JUDGE", raising=False)


def test_a_bad_judge_target_or_semantic_path_is_refused_naming_its_line(tmp_path: Path) -> None:
    from promptcompat.errors import SuiteError, SuiteProblems
    from promptcompat.suite import load_suite

    _suite(tmp_path / "suite", "http://127.0.0.1:9/v1", "nowhere:judge")
    doc = tmp_path / "suite" / "incident_json" / "prompt.yaml"
    doc.write_text(doc.read_text().replace("- $.summary", "- summary"))
    with pytest.raises(SuiteProblems) as raised:
        load_suite(tmp_path / "suite")
    lines = [str(p) for p in raised.value.problems]
    assert any("incident/prompt.yaml:" in line and "unknown provider" in line for line in lines)
    assert any(
        "incident_json/prompt.yaml:" in line and "semantic lists JSON paths" in line
        for line in lines
    ), lines
    assert all(isinstance(p, SuiteError) for p in raised.value.problems)


def test_semantic_fields_are_read_from_bare_or_fenced_json() -> None:
    doc = {"summary": "All clear.", "items": [{"note": "3 regions"}], "count": 3}
    assert semantic_value(json.dumps(doc), "$.summary") == "All clear."
    assert semantic_value("```json\n" + json.dumps(doc) + "\n```", "$.items[0].note") == "3 regions"
    assert semantic_value(json.dumps(doc), "$.count") is None  # not free text
    assert semantic_value(json.dumps(doc), "$.missing") is None
    assert semantic_value("not json", "$.summary") is None

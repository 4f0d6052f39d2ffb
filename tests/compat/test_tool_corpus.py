"""The labelled tool-call and structured-output corpus (tests/compat/tools/, issue 17): the
file's schema, precision and recall of BREAKING, and reordered keys or whitespace inside
arguments never being a finding."""

from __future__ import annotations

from collections import Counter

import pytest
from tool_corpus import PAIRS_FILE, Outcome, figures, load, run

from promptcompat.rules import CATALOG

ISSUE_PRECISION = 0.95
ISSUE_RECALL = 0.95


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return [run(p) for p in load()]


def test_the_corpus_file_is_well_formed() -> None:
    pairs = load()
    assert len(pairs) >= 80
    assert len({p.id for p in pairs}) == len(pairs)
    for p in pairs:
        assert set(p.expected.rules) <= set(CATALOG), p.id
        assert p.expected.reason.strip(), p.id
        assert p.baseline and p.candidate, p.id
        # What a reviewer expects is a break is named by at least one rule.
        if p.expected.verdict != "COMPATIBLE":
            assert p.expected.rules, p.id
    verdicts = Counter(p.expected.verdict for p in pairs)
    assert verdicts["BREAKING"] >= 40 and verdicts["COMPATIBLE"] >= 20 and verdicts["CHANGED"] >= 10
    # Real-shaped: parallel calls, both providers' call ids, reorderings, arguments that are
    # not JSON.
    calls = [c for p in pairs for s in (*p.baseline, *p.candidate) for c in s.tool_calls]
    assert any(c.id.startswith("call_") for c in calls)
    assert any(c.id.startswith("toolu_") for c in calls)
    assert any(len(s.tool_calls) > 1 for p in pairs for s in p.candidate)
    assert len([p for p in pairs if "format_noise" in p.tags]) >= 15
    assert len([p for p in pairs if p.aspect == "order"]) >= 5
    assert PAIRS_FILE.name == "pairs.jsonl"


def test_breaking_precision_and_recall(outcomes: list[Outcome]) -> None:
    f = figures(outcomes)
    wrong = [
        (o.pair.id, o.pair.expected.verdict, o.verdict, sorted(o.rules))
        for o in outcomes
        if (o.verdict == "BREAKING") != (o.pair.expected.verdict == "BREAKING")
    ]
    assert f.precision >= ISSUE_PRECISION, wrong
    assert f.recall >= ISSUE_RECALL, wrong
    # Today's misses are the pairs labelled known_miss (a value change a reviewer reads as a
    # wrong booking or lost data): a new miss shows here.
    assert {w[0] for w in wrong} == {o.pair.id for o in outcomes if "known_miss" in o.pair.tags}


def test_reordered_keys_and_whitespace_are_never_a_finding(outcomes: list[Outcome]) -> None:
    noise = [o for o in outcomes if "format_noise" in o.pair.tags]
    assert noise
    found = [(o.pair.id, [(f.rule, f.severity) for f in o.findings]) for o in noise if o.findings]
    assert found == []


def test_reordered_parallel_calls_are_compatible_unless_strict(outcomes: list[Outcome]) -> None:
    reordered = [o for o in outcomes if "reordering" in o.pair.tags]
    assert reordered
    assert all(o.verdict == "COMPATIBLE" and not o.findings for o in reordered)
    strict = [
        o for o in outcomes if o.pair.tool_order == "strict" and "format_noise" not in o.pair.tags
    ]
    assert strict and all(o.verdict == "BREAKING" for o in strict)


def test_every_pair_gets_its_rules_and_all_but_the_known_misses_their_verdict(
    outcomes: list[Outcome],
) -> None:
    wrong = [
        (o.pair.id, o.pair.expected.verdict, o.verdict, o.pair.expected.rules, sorted(o.rules))
        for o in outcomes
        if not o.rules_ok
        or (o.verdict != o.pair.expected.verdict and "known_miss" not in o.pair.tags)
    ]
    assert wrong == []


def test_findings_name_the_tool_and_the_argument(outcomes: list[Outcome]) -> None:
    by_id = {o.pair.id: o for o in outcomes}
    units = next(f for f in by_id["tc-arg-units-flip"].findings)
    assert units.path == "$.get_weather.units"
    assert "get_weather" in units.message and "$.units" in units.message
    rejected = by_id["tc-rejected-temperature"].findings[0]
    assert rejected.rule == "request.param_rejected" and rejected.path == "temperature"
    assert "Only the default (1) value is supported" in rejected.message

"""Failed calls, rates over K samples, budgets, and the speed bar."""

from __future__ import annotations

import json

from diff_helpers import (
    CLASSIFICATION,
    PRIME_ANSWER,
    PRIME_PARAPHRASE,
    Sample,
    compare,
    dumps,
    finding,
    rules_of,
)

from promptcompat.suite.contract import Contract

LABEL = dumps(CLASSIFICATION)


def conf(value: float, label: str = "billing") -> str:
    return dumps({"label": label, "confidence": value})


def test_failed_candidate_call_is_error_never_compatible() -> None:
    diff = compare(LABEL, Sample(None, error="rate_limited: HTTP 429 after 5 attempts"))
    assert diff.verdict == "ERROR"
    f = finding(diff, "call.error")
    assert "rate_limited: HTTP 429" in f.message and "candidate" in f.message
    assert (f.hits, f.samples) == (1, 1)


def test_one_failed_sample_among_equal_ones_is_still_error() -> None:
    diff = compare([LABEL, LABEL], [LABEL, Sample(None, error="timeout")])
    assert diff.verdict == "ERROR"
    f = finding(diff, "call.error")
    assert (f.hits, f.samples, f.baseline_hits, f.baseline_samples) == (1, 2, 0, 2)


def test_failed_baseline_call_is_error_and_the_rest_is_still_compared() -> None:
    diff = compare([Sample(None, error="auth")], [LABEL])
    assert diff.verdict == "ERROR"
    assert "baseline" in finding(diff, "call.error").message
    partial = compare([LABEL, Sample(None)], [conf(0.9, "payments")])
    assert partial.verdict == "ERROR"
    assert "json.enum_value_new" in rules_of(partial)
    assert "unknown" in finding(partial, "call.error").message


def test_noise_already_on_the_baseline_is_info_not_a_break() -> None:
    # temperature > 0: the simulator varies the classifier's confidence, never the label
    base = [conf(0.83), conf(0.91), conf(0.77)]
    cand = [conf(0.85), conf(0.93), conf(0.72)]
    diff = compare(base, cand)
    assert diff.verdict == "COMPATIBLE"
    f = finding(diff, "json.value_changed", "$.confidence")
    assert f.severity == "INFO" and "noise" in f.message
    assert (f.hits, f.samples, f.baseline_hits, f.baseline_samples) == (3, 3, 3, 3)


def test_candidate_value_seen_on_some_baseline_sample_is_not_a_hit() -> None:
    diff = compare([conf(0.83), conf(0.91)], [conf(0.91), conf(0.83)])
    assert diff.verdict == "COMPATIBLE"
    assert diff.findings == []


def test_rates_over_k_samples() -> None:
    base = [LABEL] * 3
    cand = [conf(0.9, "payments"), conf(0.9, "payments"), conf(0.9, "payments")]
    diff = compare(base, cand)
    f = finding(diff, "json.enum_value_new", "$.label")
    assert (f.hits, f.samples, f.baseline_hits, f.baseline_samples) == (3, 3, 0, 3)
    # 3/3 vs 0/3: Fisher's exact p = 1/C(6,3) = 0.05, significant
    assert (f.severity, f.status) == ("ERR", "new") and diff.verdict == "BREAKING"


def test_a_rise_that_is_not_significant_is_at_most_changed() -> None:
    base = [LABEL] * 3
    cand = [conf(0.9, "payments"), conf(0.9, "payments"), LABEL]
    diff = compare(base, cand)
    f = finding(diff, "json.enum_value_new", "$.label")
    assert (f.hits, f.samples, f.baseline_hits, f.baseline_samples) == (2, 3, 0, 3)
    assert (f.severity, f.status) == ("WARN", "not_significant")
    assert "Fisher's exact p=0.20" in f.message
    assert diff.verdict == "CHANGED"


def test_one_or_two_samples_per_side_cannot_be_tested_and_count_as_observed() -> None:
    # No table with n = m = 2 reaches p <= 0.05 (the smallest p is 1/6): the hit is trusted.
    diff = compare([LABEL, LABEL], [conf(0.9, "payments"), LABEL])
    f = finding(diff, "json.enum_value_new", "$.label")
    assert (f.severity, f.status) == ("ERR", "new")


def test_drift_rate_measured_on_the_baseline_too() -> None:
    no_marker = PRIME_ANSWER.removesuffix(" [Yes]")
    diff = compare([PRIME_ANSWER, PRIME_PARAPHRASE], [no_marker, PRIME_ANSWER])
    f = finding(diff, "drift.format_marker_lost")
    assert (f.hits, f.samples, f.baseline_hits, f.baseline_samples) == (1, 2, 0, 2)
    # a marker only some baseline samples had was never learned
    flaky = compare([PRIME_ANSWER, no_marker], [no_marker, no_marker])
    assert "drift.format_marker_lost" not in rules_of(flaky)


def test_contract_rate_against_the_baseline_rate() -> None:
    contract = Contract(must_match=[r"\[(Yes|No)\]\s*$"])
    no_marker = PRIME_ANSWER.removesuffix(" [Yes]")
    worse = compare([PRIME_ANSWER] * 5, [no_marker] * 5, contract)
    f = finding(worse, "contract.must_match")
    assert (f.hits, f.baseline_hits) == (5, 0) and f.severity == "ERR"
    # 5/5 vs 1/5 is still significant (p = 6/252); 3/3 vs 1/3 is not (p = 0.2)
    flaky_base = [PRIME_ANSWER] * 4 + [no_marker]
    assert (
        finding(compare(flaky_base, [no_marker] * 5, contract), "contract.must_match").severity
        == "ERR"
    )
    weak = compare([PRIME_ANSWER, PRIME_ANSWER, no_marker], [no_marker] * 3, contract)
    g = finding(weak, "contract.must_match")
    assert (g.hits, g.baseline_hits, g.severity, g.status) == (3, 1, "WARN", "already_failing")
    same = compare(
        [PRIME_ANSWER, PRIME_ANSWER, no_marker],
        [PRIME_PARAPHRASE, PRIME_PARAPHRASE, no_marker + " "],
        contract,
    )
    h = finding(same, "contract.must_match")
    assert (h.hits, h.baseline_hits) == (1, 1) and h.severity == "WARN"


def test_budgets() -> None:
    base = Sample(PRIME_ANSWER, output_tokens=40, cost_usd=0.001, latency_ms=200)
    diff = compare(
        base, Sample(PRIME_PARAPHRASE, output_tokens=91, cost_usd=0.0021, latency_ms=601)
    )
    assert finding(diff, "budget.output_tokens").severity == "WARN"
    assert finding(diff, "budget.cost").severity == "WARN"
    assert finding(diff, "budget.latency").severity == "INFO"
    assert diff.verdict == "CHANGED"
    within = compare(
        base, Sample(PRIME_PARAPHRASE, output_tokens=80, cost_usd=0.002, latency_ms=600)
    )
    assert not any(r.startswith("budget.") for r in rules_of(within))


def test_small_token_growth_is_not_a_budget_problem() -> None:
    diff = compare(
        Sample("def f(x):\n    return x\n", output_tokens=13), Sample("x", output_tokens=29)
    )
    assert "budget.output_tokens" not in rules_of(diff)


def test_budget_skipped_without_metadata() -> None:
    diff = compare(
        Sample(PRIME_ANSWER), Sample(PRIME_PARAPHRASE, output_tokens=10_000, cost_usd=5.0)
    )
    assert not any(r.startswith("budget.") for r in rules_of(diff))


def test_identical_output_at_triple_cost_is_changed() -> None:
    diff = compare(Sample(LABEL, cost_usd=0.001), Sample(LABEL, cost_usd=0.003))
    assert rules_of(diff) == {"budget.cost"}
    assert diff.verdict == "CHANGED"


def test_diff_of_huge_outputs_is_capped() -> None:
    huge = "word " * 100_000
    diff = compare("short answer here.", huge)
    assert "diff of the first" in diff.text_diff
    assert json.dumps(diff.to_dict())


def test_baseline_texts_in_other_proportions_are_compared() -> None:
    a, b = conf(0.9), conf(0.9, "technical")
    assert compare([a, b], [b, a]).findings == []
    # same texts, other proportions: analysed, but nothing goes beyond the baseline's behaviour
    diff = compare([a, b], [b, b, b])
    assert diff.verdict == "COMPATIBLE"

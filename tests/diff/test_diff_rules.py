"""The rule catalog, the verdict mapping, rate assessment and the generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from promptcompat.rules import (
    CATALOG,
    Finding,
    assess_rate,
    catalog_markdown,
    rate_finding,
    rule,
    suppress,
    verdict_for,
    with_catalog,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_catalog_ids_are_stable_dotted_names_with_known_severity_and_direction() -> None:
    assert len(CATALOG) >= 30
    for rule_id, r in CATALOG.items():
        assert r.id == rule_id
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", rule_id)
        assert r.severity in ("ERR", "WARN", "INFO")
        assert r.subject in ("output", "request", "budget", "model", "suite")
        assert r.direction in ("both", "FORWARD", "BACKWARD")
        assert r.family == rule_id.split(".")[0]
        assert r.description


def test_required_rules_have_their_severities() -> None:
    expected = {
        "json.unparseable": "ERR",
        "json.field_removed": "ERR",
        "json.type_changed": "ERR",
        "json.enum_value_new": "ERR",
        "json.value_changed": "WARN",
        "json.field_added": "INFO",
        "json.array_length": "WARN",
        "contract.schema": "ERR",
        "contract.must_match": "ERR",
        "contract.must_not_match": "ERR",
        "contract.max_output_tokens": "ERR",
        "contract.not_json": "ERR",
        "contract.code_invalid": "ERR",
        "contract.reference_mismatch": "ERR",
        "drift.code_fence_added": "ERR",
        "drift.code_fence_removed": "WARN",
        "drift.json_fenced": "ERR",
        "drift.json_in_prose": "ERR",
        "drift.refusal_introduced": "ERR",
        "drift.refusal_removed": "ERR",
        "drift.format_marker_lost": "ERR",
        "drift.verbosity": "WARN",
        "drift.language_changed": "ERR",
        "text.changed": "INFO",
        "budget.output_tokens": "WARN",
        "budget.cost": "WARN",
        "budget.latency": "INFO",
        "request.variable_added": "ERR",
        "request.variable_removed": "INFO",
        "call.error": "ERR",
        "contract.user_check": "ERR",
        "waiver.expired": "WARN",
        "model.served_changed": "INFO",
    }
    assert {k: CATALOG[k].severity for k in expected} == expected
    assert rule("request.variable_added").subject == "request"
    assert rule("request.variable_added").direction == "BACKWARD"
    assert rule("model.served_changed").direction == "FORWARD"
    assert rule("budget.cost").subject == "budget"
    assert rule("json.field_removed").direction == "both"


def test_unknown_rule_id_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown rule id"):
        rule("json.nope")


def test_verdict_mapping() -> None:
    err = Finding("json.field_removed", "ERR", "x")
    warn = Finding("json.value_changed", "WARN", "x")
    info = Finding("text.changed", "INFO", "x")
    assert verdict_for([], errored=False) == "COMPATIBLE"
    assert verdict_for([info], errored=False) == "COMPATIBLE"
    assert verdict_for([info, warn], errored=False) == "CHANGED"
    assert verdict_for([warn, err, info], errored=False) == "BREAKING"
    assert verdict_for([], errored=True) == "ERROR"
    assert verdict_for([err], errored=True) == "ERROR"


def test_finding_to_dict() -> None:
    f = Finding("json.field_removed", "ERR", "gone", "$.email", 3, 5, 1, 5)
    assert f.to_dict() == {
        "rule": "json.field_removed",
        "severity": "ERR",
        "message": "gone",
        "path": "$.email",
        "hits": 3,
        "samples": 5,
        "baseline_hits": 1,
        "baseline_samples": 5,
        "status": "new",
    }


@pytest.mark.parametrize(
    ("hits", "samples", "base_hits", "base_samples", "expected"),
    [
        (0, 1, 0, 1, "none"),
        # too few samples for any test to reach p <= 0.05: the observation counts
        (1, 1, 0, 1, "new"),
        (1, 1, 1, 1, "baseline"),
        (2, 2, 1, 2, "baseline"),
        (1, 2, 0, 2, "new"),
        (1, 1, 0, 0, "new"),
        # Fisher's exact test, one-sided, alpha 0.05
        (7, 10, 2, 10, "new"),  # p = 0.035
        (2, 10, 7, 10, "baseline"),
        (3, 3, 3, 3, "baseline"),
        (3, 3, 0, 3, "new"),  # p = 0.05
        (2, 3, 0, 3, "not_significant"),  # p = 0.2
        (3, 5, 0, 5, "not_significant"),  # p = 0.083
        (4, 5, 0, 5, "new"),  # p = 0.024
        (5, 5, 1, 5, "new"),  # p = 0.024
        (5, 5, 2, 5, "baseline"),  # p = 0.083
    ],
)
def test_assess_rate(
    hits: int, samples: int, base_hits: int, base_samples: int, expected: str
) -> None:
    assert assess_rate(hits, samples, base_hits, base_samples) == expected


def test_rate_finding_downgrades_what_the_baseline_already_does() -> None:
    new = rate_finding(
        "contract.schema", "bad", path="$.a", hits=1, samples=1, baseline_hits=0, baseline_samples=1
    )
    assert new is not None and new.severity == "ERR"
    already = rate_finding(
        "contract.schema", "bad", path="$.a", hits=1, samples=1, baseline_hits=1, baseline_samples=1
    )
    assert already is not None and already.severity == "WARN"
    assert "already failing on baseline" in already.message
    noise = rate_finding(
        "json.value_changed",
        "x",
        path="$.c",
        hits=3,
        samples=3,
        baseline_hits=3,
        baseline_samples=3,
    )
    assert noise is not None and noise.severity == "INFO" and "noise" in noise.message
    assert (
        rate_finding(
            "json.value_changed",
            "x",
            path=None,
            hits=0,
            samples=3,
            baseline_hits=0,
            baseline_samples=3,
        )
        is None
    )


def test_suppress_keeps_one_cause_per_symptom() -> None:
    events = {
        ("drift.refusal_introduced", None, ""): "refuses",
        ("contract.not_json", None, ""): "not json",
        ("json.unparseable", None, ""): "unparseable",
        ("contract.must_match", None, "x"): "no x",
    }
    assert set(suppress(events)) == {
        ("drift.refusal_introduced", None, ""),
        ("contract.must_match", None, "x"),
    }
    structural = {
        ("json.field_removed", "$.email", ""): "gone",
        ("contract.schema", "$.email", "required"): "required",
        ("contract.schema", "$.age", "type"): "type",
    }
    assert set(suppress(structural)) == {
        ("json.field_removed", "$.email", ""),
        ("contract.schema", "$.age", "type"),
    }


def test_a_silenced_cause_hides_no_symptom() -> None:
    structural = {
        ("json.field_removed", "$.email", ""): "gone",
        ("contract.schema", "$.email", "required"): "required",
    }
    waived = suppress(structural, silenced=lambda rule, path: rule == "json.field_removed")
    assert set(waived) == set(structural)
    refusal = {("drift.refusal_introduced", None, ""): "no", ("contract.not_json", None, ""): "x"}
    assert set(suppress(refusal, silenced=lambda rule, path: rule.startswith("drift."))) == set(
        refusal
    )
    other = suppress(structural, silenced=lambda rule, path: path == "$.phone")
    assert set(other) == {("json.field_removed", "$.email", "")}


def test_docs_list_every_rule_and_match_the_generated_catalog() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    for rule_id in CATALOG:
        assert f"`{rule_id}`" in doc, f"{rule_id} missing from docs/rules.md"
    assert catalog_markdown() in doc
    assert with_catalog(doc) == doc, (
        "regenerate: python -m promptcompat.rules.catalog --write docs/rules.md"
    )


def test_fisher_exact_matches_the_hypergeometric_tail() -> None:
    from promptcompat.rules.noise import fisher_greater, testable

    assert fisher_greater(3, 3, 0, 3) == pytest.approx(1 / 20)
    assert fisher_greater(5, 5, 0, 5) == pytest.approx(1 / 252)
    assert fisher_greater(4, 5, 0, 5) == pytest.approx(6 / 252)
    # scipy.stats.fisher_exact([[7, 3], [2, 8]], alternative="greater") -> 0.0349
    assert fisher_greater(7, 10, 2, 10) == pytest.approx(0.03489, abs=1e-4)
    assert fisher_greater(0, 5, 3, 5) == 1.0
    assert not testable(1, 1) and not testable(2, 2) and not testable(5, 1)
    assert testable(3, 3) and testable(5, 5) and testable(2, 5) and not testable(2, 4)


@pytest.mark.parametrize(
    ("rule_id", "default", "status", "expected"),
    [
        ("drift.refusal_introduced", "ERR", "new", "ERR"),
        ("drift.refusal_introduced", "ERR", "not_significant", "WARN"),
        ("drift.refusal_introduced", "ERR", "noise", "INFO"),
        ("contract.schema", "ERR", "already_failing", "WARN"),
        ("contract.reference_mismatch", "ERR", "already_failing", "INFO"),
        ("drift.verbosity", "WARN", "not_significant", "WARN"),
        ("json.field_added", "INFO", "new", "INFO"),
        ("json.field_removed", "ERR", "waived", "INFO"),
    ],
)
def test_severity_for_status(rule_id: str, default: str, status: str, expected: str) -> None:
    from promptcompat.rules.noise import severity_for

    assert severity_for(rule_id, default, status) == expected  # type: ignore[arg-type]

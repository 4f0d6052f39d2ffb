"""Contract checks (contract.*): fire on the candidate, rated against the baseline."""

from __future__ import annotations

import pytest
from diff_helpers import (
    CLASSIFICATION,
    CLASSIFICATION_SCHEMA,
    CODE,
    EXTRACTION,
    EXTRACTION_SCHEMA,
    PRIME_ANSWER,
    Sample,
    compare,
    dumps,
    finding,
    rules_of,
    with_changes,
    without,
)

from promptcompat.errors import SuiteError
from promptcompat.suite.contract import Contract

BASE = dumps(EXTRACTION)
LABEL = dumps(CLASSIFICATION)
CODE_CONTRACT = Contract(format="code", language="python")


def test_schema_violation_new_on_candidate_is_err_with_path() -> None:
    schema = {"type": "object", "properties": {"confidence": {"type": "number", "maximum": 1}}}
    diff = compare(
        LABEL, dumps(with_changes(CLASSIFICATION, confidence=1.5)), Contract(schema=schema)
    )
    f = finding(diff, "contract.schema", "$.confidence")
    assert f.severity == "ERR"
    assert (f.hits, f.samples, f.baseline_hits, f.baseline_samples) == (1, 1, 0, 1)
    assert diff.verdict == "BREAKING"


def test_schema_already_failing_on_baseline_is_warn() -> None:
    schema = {"type": "object", "required": ["label", "reason"]}
    diff = compare(
        LABEL, dumps(with_changes(CLASSIFICATION, confidence=0.8)), Contract(schema=schema)
    )
    f = finding(diff, "contract.schema", "$.reason")
    assert f.severity == "WARN"
    assert "already failing on baseline" in f.message
    assert f.baseline_hits == 1
    assert diff.verdict == "CHANGED"


def test_schema_required_is_not_double_reported_with_field_removed() -> None:
    diff = compare(
        BASE, dumps(without(EXTRACTION, "email")), Contract(format="json", schema=EXTRACTION_SCHEMA)
    )
    assert rules_of(diff) == {"json.field_removed"}


def test_schema_type_error_is_not_double_reported_with_type_changed() -> None:
    diff = compare(
        BASE, dumps(with_changes(EXTRACTION, age="34")), Contract(schema=EXTRACTION_SCHEMA)
    )
    assert rules_of(diff) == {"json.type_changed"}


def test_additional_property_violation_is_reported_on_the_property() -> None:
    schema = {**CLASSIFICATION_SCHEMA, "additionalProperties": False}
    diff = compare(LABEL, dumps({**CLASSIFICATION, "reason": "refund"}), Contract(schema=schema))
    assert finding(diff, "contract.schema", "$.reason").severity == "ERR"
    assert finding(diff, "json.field_added", "$.reason").severity == "INFO"
    assert diff.verdict == "BREAKING"


def test_schema_not_violated_by_paraphrase() -> None:
    contract = Contract(format="json", schema=EXTRACTION_SCHEMA)
    diff = compare(BASE, dumps(EXTRACTION, indent=2), contract)
    assert diff.verdict == "COMPATIBLE"


def test_must_match() -> None:
    contract = Contract(must_match=[r"\[(Yes|No)\]\s*$"])
    diff = compare(PRIME_ANSWER, PRIME_ANSWER.replace(" [Yes]", ""), contract)
    f = finding(diff, "contract.must_match")
    assert f.severity == "ERR" and r"\[(Yes|No)\]" in f.message
    # the same output also loses the zero-config marker: both are reported, different rules
    assert "drift.format_marker_lost" in rules_of(diff)
    already = compare("No marker here at all.", "No marker here, at all.", contract)
    assert finding(already, "contract.must_match").severity == "WARN"


def test_must_not_match() -> None:
    contract = Contract(must_not_match=[r"(?i)as an ai"])
    diff = compare(PRIME_ANSWER, "As an AI model I think 7 is prime. [Yes]", contract)
    assert finding(diff, "contract.must_not_match").severity == "ERR"


def test_max_output_tokens_from_metadata_or_estimated() -> None:
    contract = Contract(max_output_tokens=20)
    diff = compare(
        Sample(PRIME_ANSWER, output_tokens=15),
        Sample(PRIME_ANSWER + " ", output_tokens=25),
        contract,
    )
    assert "25 output tokens" in finding(diff, "contract.max_output_tokens").message
    estimated = compare("short answer", "x" * 200, contract)
    f = finding(estimated, "contract.max_output_tokens")
    assert "estimated" in f.message and f.severity == "ERR"


def test_not_json_replaces_unparseable_when_format_json_is_declared() -> None:
    diff = compare(LABEL, "billing", Contract(format="json"))
    assert rules_of(diff) == {"contract.not_json"}
    assert diff.verdict == "BREAKING"
    # baseline already not JSON: still reported, as WARN
    already = compare("billing", "technical", Contract(format="json"))
    assert finding(already, "contract.not_json").severity == "WARN"


def test_code_invalid() -> None:
    diff = compare(CODE, "def is_prime(n)\n    return n > 1\n", CODE_CONTRACT)
    assert "contract.code_invalid" in rules_of(
        compare(CODE, "def f(:", Contract(format="code", language="py"))
    )
    assert finding(diff, "contract.code_invalid").severity == "ERR"


def test_fenced_code_reports_the_fence_not_code_invalid() -> None:
    diff = compare(CODE, f"```python\n{CODE}```", CODE_CONTRACT)
    assert rules_of(diff) == {"drift.code_fence_added"}
    broken = compare(CODE, "```python\ndef f(:\n```", CODE_CONTRACT)
    assert rules_of(broken) == {"drift.code_fence_added", "contract.code_invalid"}
    # A contract that cannot parse the language (SQL) leaves the fence to the detector too.
    sql = Contract(format="code", language="sql")
    query = "SELECT name FROM users WHERE age > 30;"
    fenced = compare(query, f"```sql\n{query}\n```", sql)
    assert finding(fenced, "drift.code_fence_added").severity == "ERR"


def test_code_paraphrase_is_compatible() -> None:
    from diff_helpers import CODE_DOCSTRING

    diff = compare(CODE, CODE_DOCSTRING, CODE_CONTRACT)
    assert diff.verdict == "COMPATIBLE"
    assert rules_of(diff) == {"text.changed"}


def test_reference_mismatch_only_when_the_baseline_matched() -> None:
    diff = compare(PRIME_ANSWER, PRIME_ANSWER.replace("[Yes]", "[No]"), reference="Yes")
    f = finding(diff, "contract.reference_mismatch")
    assert f.severity == "ERR" and f.baseline_hits == 0
    # missed on both sides: not a regression (the accuracy per target shows it), so INFO
    both = compare("It is [No]", "It is [No] indeed", reference="Yes")
    missed = finding(both, "contract.reference_mismatch")
    assert (missed.severity, missed.status) == ("INFO", "already_failing")


@pytest.mark.parametrize(
    ("reference", "baseline", "candidate"),
    [
        ("billing", dumps(CLASSIFICATION), dumps(with_changes(CLASSIFICATION, label="payments"))),
        ("billing", "billing", "payments"),
        ("Billing.", "billing", "other"),
        (True, "Yes, it is. [Yes]", "No, it is not. [No]"),
        (
            {"email": "jane.doe@example.com"},
            dumps(EXTRACTION),
            dumps(with_changes(EXTRACTION, email=None)),
        ),
        (5040, "7! = 5040", "7! = 5000"),
    ],
)
def test_reference_matching_forms(reference: object, baseline: str, candidate: str) -> None:
    diff = compare(baseline, candidate, reference=reference)
    assert finding(diff, "contract.reference_mismatch").severity == "ERR"
    assert "contract.reference_mismatch" not in rules_of(
        compare(baseline, baseline + " ", reference=reference)
    )


def test_reference_word_boundaries() -> None:
    # "no" inside "not" or "know" is not the answer "No"
    diff = compare("No. [No]", "I do not know. [Yes]", reference="No")
    assert finding(diff, "contract.reference_mismatch").severity == "ERR"


def test_invalid_contract_regex_and_schema_are_suite_errors() -> None:
    with pytest.raises(SuiteError, match="invalid regex"):
        compare("a", "b", Contract(must_match=["("]))
    with pytest.raises(SuiteError, match="invalid JSON Schema"):
        compare(LABEL, LABEL + " ", Contract(schema={"type": "no-such-type"}))

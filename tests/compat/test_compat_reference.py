"""Reference answers: each match mode, JSON paths, and the per-side score."""

from __future__ import annotations

from typing import Any

import pytest

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.drift import Output
from promptcompat.compat.reference import matches
from promptcompat.suite.contract import Contract, ReferenceSpec
from promptcompat.suite.json_path import parse_json_path


@pytest.mark.parametrize(
    ("spec", "reference", "output", "expected"),
    [
        ({"match": "exact"}, "Paris", "  Paris\n", True),
        ({"match": "exact"}, "Paris", "paris", False),
        ({"match": "exact", "path": "$.n"}, 3, '{"n": 3}', True),
        ({"match": "exact", "path": "$.n"}, 3, '{"n": "3"}', False),
        ({"match": "exact", "path": "$.ok"}, True, '{"ok": 1}', False),
        ({"match": "normalised"}, "New York", "new  york.", True),
        ({"match": "normalised"}, "New York", "New York City", False),
        ({"match": "numeric"}, 42, "So the answer is 42.", True),
        ({"match": "numeric"}, 42, "6 times 7 is 42, not 41", False),  # the last number
        ({"match": "numeric"}, 42, "42", True),
        ({"match": "numeric", "tolerance": 0.001}, 3.14159, "about 3.14", False),
        ({"match": "numeric", "tolerance": 0.001}, 3.14159, "about 3.142", True),
        ({"match": "numeric", "rel_tolerance": 0.05}, 1000, "roughly 1,040 units", True),
        ({"match": "numeric", "path": "$.total"}, "25.5", '{"total": 25.50}', True),
        ({"match": "numeric"}, 5, "no number here", False),
        ({"match": "contains"}, "Canberra", "It is Canberra, not Sydney.", True),
        ({"match": "contains"}, "Can", "It is Canberra.", False),
        ({"match": "one_of"}, ["yes", "y"], "Y", True),
        ({"match": "one_of"}, ["yes", "y"], "yeah", False),
        ({"match": "one_of", "path": "$.label"}, ["a", "b"], '{"label": "B"}', True),
        ({"path": "$.label"}, "billing", '{"label": "Billing"}', True),
        ({"path": "$.missing"}, "billing", '{"label": "billing"}', False),
        ({"path": "$.label"}, "billing", "not json", False),
        ({}, "billing", '{"label": "billing", "confidence": 0.9}', True),
        ({}, True, "Yes, it is. [Yes]", True),
        # a bracketed reference is the output's last marker, not a word of the reasoning
        ({}, "[No]", "Is it even? No. Divisible by 3? No. So it is prime. [Yes]", False),
        ({}, "[Yes]", "Is it even? No. So it is prime. [Yes]", True),
        ({"match": "contains"}, "[No]", "Is it even? No. So it is prime. [Yes]", True),
        # extract: the answer picked out first (issue 16 item 6)
        (
            {"extract": r"\[(Yes|No)\]", "match": "normalised"},
            "[No]",
            "Is it even? No. So it is prime. [Yes]",
            False,
        ),
        ({"extract": r"\[(Yes|No)\]", "occurrence": "first"}, "yes", "[Yes] ... [No]", True),
        ({"extract": r"\[(Yes|No)\]"}, "yes", "[Yes] ... [No]", False),
        ({"extract": r"\[(Yes|No)\]"}, "yes", "no marker at all", False),
        (
            {"path": "$.answer", "extract": r"(\d+) days", "match": "numeric"},
            93,
            '{"answer": "There are 93 days left, not 94."}',
            True,
        ),
    ],
)
def test_match_modes(spec: dict[str, Any], reference: Any, output: str, expected: bool) -> None:
    assert matches(reference, Output(output), ReferenceSpec(**spec)) is expected


def test_json_paths() -> None:
    assert parse_json_path("$") == ()
    assert parse_json_path('$.items[2]["a b"].x') == ("items", 2, "a b", "x")
    with pytest.raises(ValueError, match="cannot read JSON path"):
        parse_json_path("$.items[x]")


def test_reference_score_counts_answered_samples_per_side() -> None:
    contract = Contract(reference=ReferenceSpec(match="normalised"))
    diff = compare_case(
        baseline=[Sample("Paris"), Sample("Paris"), Sample("paris")],
        candidate=[Sample("Paris"), Sample("Lyon"), Sample(None, error="timeout")],
        contract=contract,
        reference="Paris",
    )
    assert diff.reference is not None
    assert diff.reference.to_dict() == {"baseline": [3, 3], "candidate": [1, 2]}
    assert (
        compare_case(baseline=[Sample("a")], candidate=[Sample("a")], contract=contract).reference
        is None
    )

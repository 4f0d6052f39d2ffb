"""Structural rules on JSON outputs (json.*), shaped like the simulator's extraction and
classification answers."""

from __future__ import annotations

import json

from diff_helpers import (
    CLASSIFICATION,
    CLASSIFICATION_SCHEMA,
    EXTRACTION,
    compare,
    dumps,
    finding,
    renamed,
    rules_of,
    with_changes,
    without,
)

from promptcompat.suite.contract import Contract

BASE = dumps(EXTRACTION)
LABEL = dumps(CLASSIFICATION)
JSON_CONTRACT = Contract(format="json")


def test_identical_json_is_compatible_without_findings() -> None:
    diff = compare(BASE, BASE)
    assert diff.verdict == "COMPATIBLE"
    assert diff.findings == []
    assert diff.text_diff == ""
    assert diff.structural_diff == {}


def test_reformatted_json_is_a_paraphrase() -> None:
    reordered = dict(reversed(list(EXTRACTION.items())))
    for text in (
        dumps(EXTRACTION, indent=2),
        dumps(reordered),
        dumps(EXTRACTION, separators=(",", ":")),
    ):
        diff = compare(BASE, text)
        assert diff.verdict == "COMPATIBLE", diff.findings
        assert rules_of(diff) == {"text.changed"}
        assert diff.structural_diff == {}
        assert diff.text_diff.startswith("--- baseline\n+++ candidate\n")


def test_int_to_float_of_the_same_number_is_not_a_change() -> None:
    diff = compare(dumps({"n": 1, "m": [2]}), dumps({"n": 1.0, "m": [2.0]}))
    assert diff.verdict == "COMPATIBLE"


def test_field_renamed_is_removed_plus_added_with_a_hint() -> None:
    diff = compare(BASE, dumps(renamed(EXTRACTION, "email", "email_address")))
    assert diff.verdict == "BREAKING"
    removed = finding(diff, "json.field_removed", "$.email")
    assert removed.severity == "ERR"
    assert "renamed to 'email_address'?" in removed.message
    added = finding(diff, "json.field_added", "$.email_address")
    assert added.severity == "INFO"
    assert "renamed from 'email'?" in added.message
    assert diff.structural_diff == {
        "dictionary_item_removed": {"$.email": "jane.doe@example.com"},
        "dictionary_item_added": {"$.email_address": "jane.doe@example.com"},
    }


def test_field_removed() -> None:
    diff = compare(BASE, dumps(without(EXTRACTION, "phone")))
    assert diff.verdict == "BREAKING"
    assert "renamed" not in finding(diff, "json.field_removed", "$.phone").message
    assert rules_of(diff) == {"json.field_removed"}


def test_field_added_alone_is_compatible() -> None:
    diff = compare(BASE, dumps({**EXTRACTION, "title": "engineer"}))
    assert diff.verdict == "COMPATIBLE"
    assert finding(diff, "json.field_added", "$.title").severity == "INFO"


def test_type_changed_age_int_to_string() -> None:
    diff = compare(BASE, dumps(with_changes(EXTRACTION, age="34")))
    assert diff.verdict == "BREAKING"
    f = finding(diff, "json.type_changed", "$.age")
    assert "integer -> string" in f.message
    assert diff.structural_diff["type_changes"]["$.age"]["new_type"] == "string"


def test_type_changed_confidence_float_to_string() -> None:
    diff = compare(LABEL, dumps(with_changes(CLASSIFICATION, confidence="high")))
    assert finding(diff, "json.type_changed", "$.confidence").severity == "ERR"


def test_bool_to_int_is_a_type_change_even_nested() -> None:
    # Python says True == 1; JSON consumers do not.
    diff = compare(dumps({"ok": True, "f": {"a": False}}), dumps({"ok": True, "f": {"a": 0}}))
    assert finding(diff, "json.type_changed", "$.f.a").severity == "ERR"


def test_root_type_change() -> None:
    diff = compare(dumps({"a": 1}), dumps([{"a": 1}]))
    assert finding(diff, "json.type_changed", "$").severity == "ERR"


def test_null_transition_is_a_value_change() -> None:
    diff = compare(BASE, dumps(with_changes(EXTRACTION, phone=None)))
    assert diff.verdict == "CHANGED"
    assert finding(diff, "json.value_changed", "$.phone").severity == "WARN"


def test_extracted_name_change_is_a_value_change_not_an_enum_change() -> None:
    diff = compare(BASE, dumps(with_changes(EXTRACTION, name="Jane Smith")))
    assert diff.verdict == "CHANGED"
    assert rules_of(diff) == {"json.value_changed"}
    assert "'Jane Doe' -> 'Jane Smith'" in finding(diff, "json.value_changed", "$.name").message
    # A capitalised single word (a city, a company) is a proper noun, not a label.
    assert rules_of(compare(BASE, dumps(with_changes(EXTRACTION, city="Munich")))) == {
        "json.value_changed"
    }


def test_new_enum_value_without_schema_uses_label_like_baseline_values() -> None:
    diff = compare(LABEL, dumps(with_changes(CLASSIFICATION, label="payments")))
    assert diff.verdict == "BREAKING"
    f = finding(diff, "json.enum_value_new", "$.label")
    assert "'payments'" in f.message and "'billing'" in f.message


def test_new_enum_value_with_schema_enum() -> None:
    contract = Contract(format="json", schema=CLASSIFICATION_SCHEMA)
    diff = compare(LABEL, dumps(with_changes(CLASSIFICATION, label="uncategorized")), contract)
    assert diff.verdict == "BREAKING"
    assert "schema enum" in finding(diff, "json.enum_value_new", "$.label").message
    # the schema's enum error at the same path is not reported twice
    assert "contract.schema" not in rules_of(diff)


def test_declared_enum_value_change_is_a_decision_change() -> None:
    # Another option of the schema's enum: the ticket is routed elsewhere (issue 16 item 7).
    contract = Contract(format="json", schema=CLASSIFICATION_SCHEMA)
    diff = compare(LABEL, dumps(with_changes(CLASSIFICATION, label="technical")), contract)
    assert diff.verdict == "BREAKING"
    assert rules_of(diff) == {"json.decision_changed"}
    assert "both in the schema's enum" in finding(diff, "json.decision_changed").message


def test_a_boolean_flip_is_a_decision_change_and_prose_a_value_change() -> None:
    base = dumps({"reply": "You can change it under Settings.", "escalate": False})
    flipped = compare(base, dumps({"reply": "You can change it under Settings.", "escalate": True}))
    assert finding(flipped, "json.decision_changed", "$.escalate").severity == "ERR"
    reworded = compare(base, dumps({"reply": "Open Settings to change it.", "escalate": False}))
    assert rules_of(reworded) == {"json.value_changed"}
    assert reworded.verdict == "CHANGED"


def test_schema_without_enum_at_the_path_means_a_value_change() -> None:
    schema = {"type": "object", "properties": {"status": {"type": "string"}}}
    diff = compare(dumps({"status": "open"}), dumps({"status": "closed"}), Contract(schema=schema))
    assert rules_of(diff) == {"json.value_changed"}


def test_enum_resolved_through_refs_and_arrays() -> None:
    schema = {
        "$defs": {"state": {"enum": ["open", "closed"]}},
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"properties": {"s": {"$ref": "#/$defs/state"}}}}
        },
    }
    base = dumps({"items": [{"s": "open"}, {"s": "open"}]})
    diff = compare(
        base, dumps({"items": [{"s": "open"}, {"s": "pending"}]}), Contract(schema=schema)
    )
    assert finding(diff, "json.enum_value_new", "$.items[1].s").severity == "ERR"
    ok = compare(base, dumps({"items": [{"s": "open"}, {"s": "closed"}]}), Contract(schema=schema))
    assert rules_of(ok) == {"json.decision_changed"}


def test_array_length_and_item_paths() -> None:
    base = {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}], "tags": ["x", "y", "z"]}
    longer = {**base, "items": [*base["items"], {"sku": "C", "qty": 3}]}
    diff = compare(dumps(base), dumps(longer))
    assert diff.verdict == "CHANGED"
    assert "3 items; baseline 2" in finding(diff, "json.array_length", "$.items").message
    assert "$.items[2]" in diff.structural_diff["iterable_item_added"]

    shorter = compare(dumps(base), dumps({**base, "tags": ["x", "z"]}))
    assert finding(shorter, "json.array_length", "$.tags").severity == "WARN"

    item = compare(
        dumps(base), dumps({**base, "items": [base["items"][0], {"sku": "B", "qty": 5}]})
    )
    assert finding(item, "json.value_changed", "$.items[1].qty").severity == "WARN"


def test_unparseable_candidate_zero_config() -> None:
    diff = compare(BASE, BASE[:40])
    assert diff.verdict == "BREAKING"
    assert "truncated" in finding(diff, "json.unparseable").message
    assert compare(BASE, "Jane Doe, jane.doe@example.com").verdict == "BREAKING"


def test_fenced_json_is_its_own_drift() -> None:
    diff = compare(BASE, f"```json\n{BASE}\n```", JSON_CONTRACT)
    assert diff.verdict == "BREAKING"
    assert rules_of(diff) == {"drift.json_fenced"}


def test_json_in_prose_is_its_own_drift() -> None:
    text = f"Sure! Here is the JSON you asked for:\n{LABEL}\nLet me know if you need anything else."
    diff = compare(LABEL, text, JSON_CONTRACT)
    assert diff.verdict == "BREAKING"
    assert rules_of(diff) == {"drift.json_in_prose"}
    # zero-config too
    assert rules_of(compare(LABEL, text)) == {"drift.json_in_prose"}


def test_wrapped_json_still_gets_a_structural_diff() -> None:
    diff = compare(BASE, "```json\n" + dumps(without(EXTRACTION, "age")) + "\n```")
    assert rules_of(diff) == {"drift.json_fenced", "json.field_removed"}


def test_fence_removed_from_json() -> None:
    diff = compare(f"```json\n{LABEL}\n```", LABEL)
    assert diff.verdict == "CHANGED"
    assert rules_of(diff) == {"drift.code_fence_removed"}


def test_case_diff_is_json_serialisable() -> None:
    diff = compare(
        BASE, dumps(with_changes(renamed(EXTRACTION, "phone", "phone_number"), age="34"))
    )
    data = diff.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["verdict"] == "BREAKING"
    assert {f["rule"] for f in data["findings"]} == {
        "json.field_removed",
        "json.field_added",
        "json.type_changed",
    }
    # ERR first
    assert data["findings"][0]["severity"] == "ERR"


def test_null_turned_into_a_placeholder_string_is_a_type_change() -> None:
    base = '{"customer_name": null, "order_id": null, "issue_type": "billing"}'
    cand = '{"customer_name": "N/A", "order_id": "", "issue_type": "billing"}'
    diff = compare(base, cand)
    assert finding(diff, "json.type_changed", "$.customer_name").severity == "ERR"
    assert finding(diff, "json.type_changed", "$.order_id").severity == "ERR"
    # a value where there was none is data that appeared, not a placeholder
    found = compare(base, '{"customer_name": "Ana", "order_id": null, "issue_type": "billing"}')
    assert "json.type_changed" not in rules_of(found)

"""Drift detectors with the rendered instructions: what was asked is a contract, what the
baseline merely did is a habit (issue 16, items 1, 3 and the implicit contract)."""

from __future__ import annotations

from diff_helpers import finding, rules_of

from promptcompat.compat.diff import CaseDiff, Sample, compare_case
from promptcompat.suite.contract import Contract

GRAMMAR = (
    'Is "Me and him went to the store." grammatically correct? Think it through step by step '
    "and end with [Yes] or [No]."
)
STEPS = (
    'Step 1: "Me and him" is the subject.\nStep 2: Subjects take subject pronouns.\n\n'
    "The sentence is not grammatically correct. [No]"
)


def compare(baseline: str, candidate: str, instructions: str) -> CaseDiff:
    return compare_case(
        baseline=[Sample(baseline)],
        candidate=[Sample(candidate)],
        contract=Contract(),
        instructions=instructions,
    )


def test_a_marker_spelled_otherwise_than_asked_is_lost() -> None:
    diff = compare(STEPS, STEPS.replace("[No]", "[NO]"), GRAMMAR)
    lost = finding(diff, "drift.format_marker_lost")
    assert lost.severity == "ERR" and "[NO], not one of the markers" in lost.message


def test_another_asked_marker_is_a_decision_change() -> None:
    diff = compare(STEPS, STEPS.replace("[No]", "[Yes]"), GRAMMAR)
    changed = finding(diff, "drift.label_changed")
    assert changed.severity == "ERR" and "another option the instructions list" in changed.message


def test_a_one_word_answer_is_asked_or_a_habit() -> None:
    asked = "Classify the sentiment as positive, negative or neutral. Answer with one word."
    lost = compare("Negative", "The sentiment of this review is negative.", asked)
    assert finding(lost, "drift.format_marker_lost").severity == "ERR"
    free = compare("Negative", "The review sounds negative overall.", "How does this review sound?")
    assert finding(free, "drift.format_changed").severity == "WARN"
    assert free.verdict == "CHANGED"


def test_a_literal_to_write_wrapped_in_a_sentence_is_lost() -> None:
    diff = compare("Ready", 'Here is the text "Ready":\n\nReady', 'Write "Ready"')
    assert finding(diff, "drift.format_marker_lost").severity == "ERR"
    assert diff.verdict == "BREAKING"


def test_links_the_instructions_ask_for() -> None:
    ask = "Find useful links about removing duplicates in SQL."
    base = "Useful links:\nhttps://www.w3schools.com/sql/\nhttps://www.sqlshack.com/duplicates/"
    prose = "Use GROUP BY with HAVING COUNT(*) > 1 to find duplicate rows in a table."
    assert finding(compare(base, prose, ask), "drift.format_marker_lost").severity == "ERR"
    # unasked, links are a habit
    assert "drift.format_marker_lost" not in rules_of(compare(base, prose, "How do I dedupe?"))


def test_json_nobody_asked_for_is_a_habit() -> None:
    ask = 'Extract the attributes of the product as a list in the format "attribute: value".'
    base = '["Brand: SAMSUNG", "Model: 980 PRO", "Capacity: 2TB"]'
    bullets = "- Brand: SAMSUNG\n- Model: 980 PRO\n- Capacity: 2TB"
    diff = compare(base, bullets, ask)
    assert "json.unparseable" not in rules_of(diff)
    assert finding(diff, "drift.format_changed").severity == "WARN"
    # without the instructions (unknown), the baseline's JSON counts as asked, as before
    unknown = compare_case(
        baseline=[Sample(base)], candidate=[Sample(bullets)], contract=Contract()
    )
    assert finding(unknown, "json.unparseable").severity == "ERR"


def test_a_one_line_label_is_text_not_python() -> None:
    # "Category: billing" parses as a Python annotation; it must still be compared as text
    ask = "Which category fits: billing or account? Reply in the format 'Category: <category>'."
    diff = compare("Category: billing", "The ticket belongs to the billing category.", ask)
    assert finding(diff, "drift.format_marker_lost").severity == "ERR"

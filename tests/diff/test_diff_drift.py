"""Zero-config drift detectors (drift.*, text.changed) on text and code outputs shaped like
the simulator's answers: each drift kind fires, the harmless paraphrase does not."""

from __future__ import annotations

import pytest
from diff_helpers import (
    CODE,
    CODE_DOCSTRING,
    PRIME_ANSWER,
    PRIME_PARAPHRASE,
    PRIME_SPANISH,
    REFUSAL,
    compare,
    finding,
    rules_of,
)

from promptcompat.suite.contract import Contract

VERBOSE_EXTRA = (
    " A prime number is a whole number greater than 1 whose only divisors are 1 and itself."
    " Checking divisors up to the square root is enough, because any factor above it pairs"
    " with one below it."
)


def test_paraphrase_with_the_same_marker_is_compatible() -> None:
    diff = compare(PRIME_ANSWER, PRIME_PARAPHRASE)
    assert diff.verdict == "COMPATIBLE"
    assert rules_of(diff) == {"text.changed"}
    assert diff.text_diff.startswith("--- baseline\n+++ candidate\n")


def test_yes_to_no_is_not_a_lost_marker() -> None:
    diff = compare(PRIME_ANSWER, PRIME_ANSWER.replace("[Yes]", "[No]"))
    assert "drift.format_marker_lost" not in rules_of(diff)


def test_format_ignored_loses_the_trailing_marker() -> None:
    diff = compare(PRIME_ANSWER, PRIME_ANSWER.removesuffix(" [Yes]"))
    assert diff.verdict == "BREAKING"
    assert "[Yes]/[No]" in finding(diff, "drift.format_marker_lost").message


@pytest.mark.parametrize(
    ("baseline", "candidate"),
    [
        (
            "Answer: 7 is prime because nothing divides it.",
            "7 is prime because nothing divides it.",
        ),
        ("Pros:\n- fast\n- cheap\n- simple", "Pros: it is fast, cheap and simple."),
        ("Steps:\n1. open\n2. click\n3. save", "Open the file, click, then save it."),
        ("The summary of the text.\nDONE", "The summary of the text."),
        ("<START>\nThe summary follows here.", "The summary follows here."),
        ("billing", "The ticket is about billing."),
    ],
)
def test_other_format_markers(baseline: str, candidate: str) -> None:
    diff = compare(baseline, candidate)
    assert finding(diff, "drift.format_marker_lost").severity == "ERR"


def test_label_prefix_kept_in_paraphrase() -> None:
    diff = compare(
        "Answer: 7 is prime, nothing divides it.", "Answer: nothing divides 7, so it is prime."
    )
    assert diff.verdict == "COMPATIBLE"


def test_bare_label_changed() -> None:
    diff = compare("billing", "payments")
    assert finding(diff, "drift.label_changed").severity == "ERR"
    assert compare("billing", "Billing").verdict == "COMPATIBLE"


def test_bare_label_changed_within_must_match_is_warn() -> None:
    contract = Contract(must_match=[r"^(billing|technical|account|shipping|other)$"])
    diff = compare("billing", "technical", contract)
    f = finding(diff, "drift.label_changed")
    assert f.severity == "WARN" and "allowed by must_match" in f.message
    assert diff.verdict == "CHANGED"
    new = compare("billing", "payments", contract)
    assert new.verdict == "BREAKING"


def test_verbosity_twice_as_long_fires() -> None:
    body = PRIME_ANSWER.removesuffix(" [Yes]")
    doubled = f"{body} {body} [Yes][Yes]"
    assert len(doubled.strip()) >= 2 * len(PRIME_ANSWER)
    diff = compare(PRIME_ANSWER, doubled)
    assert diff.verdict == "CHANGED"
    assert finding(diff, "drift.verbosity").severity == "WARN"
    verbose = PRIME_ANSWER.removesuffix(" [Yes]") + VERBOSE_EXTRA + " [Yes]"
    assert "drift.verbosity" in rules_of(compare(PRIME_ANSWER, verbose))


def test_verbosity_band_edges() -> None:
    base = "x" * 100
    assert "drift.verbosity" in rules_of(compare(base, "y" * 200))
    assert "drift.verbosity" not in rules_of(compare(base, "y" * 199))
    assert "drift.verbosity" in rules_of(compare(base, "y" * 50))
    assert "drift.verbosity" not in rules_of(compare(base, "y" * 51))
    # small absolute differences never fire
    assert "drift.verbosity" not in rules_of(compare("Yes", "Yes, it is."))


def test_code_docstring_is_not_verbosity() -> None:
    assert compare(CODE, CODE_DOCSTRING).verdict == "COMPATIBLE"


def test_language_switched() -> None:
    diff = compare(PRIME_ANSWER, PRIME_SPANISH)
    assert diff.verdict == "BREAKING"
    f = finding(diff, "drift.language_changed")
    assert "'es'" in f.message and "'en'" in f.message


def test_language_needs_agreeing_baseline_and_enough_letters() -> None:
    assert "drift.language_changed" not in rules_of(compare("Yes it is.", "Sí, lo es."))
    mixed = compare([PRIME_ANSWER, PRIME_SPANISH], [PRIME_SPANISH + " "])
    assert "drift.language_changed" not in rules_of(mixed)


def test_refusal_introduced() -> None:
    diff = compare(PRIME_ANSWER, REFUSAL)
    assert diff.verdict == "BREAKING"
    # the refusal explains the lost marker, the length and the language: reported alone
    assert rules_of(diff) == {"drift.refusal_introduced"}


@pytest.mark.parametrize(
    "text",
    [
        "I cannot assist with that.",
        "As an AI, I do not have opinions on this topic.",
        "I apologize, but I won't be able to write that for you.",
        "I'm unable to help with this request. Please ask something else.",
    ],
)
def test_refusal_phrases(text: str) -> None:
    assert "drift.refusal_introduced" in rules_of(compare(PRIME_ANSWER, text))


def test_apology_alone_is_not_a_refusal() -> None:
    helpful = (
        "I'm sorry to hear about the double charge. Open Billing, pick the invoice and press "
        "Refund; the money is back within five days."
    )
    base = "Open Billing, pick the invoice and press Refund; the money is back within five days."
    assert "drift.refusal_introduced" not in rules_of(compare(base, helpful))


def test_refusal_removed_breaks() -> None:
    # A consumer of the baseline's refusal (a safety suite, a guardrail) sees a break: the
    # model now answers what it declined (docs/rules.md, "Refusals").
    diff = compare(REFUSAL, PRIME_ANSWER)
    assert diff.verdict == "BREAKING"
    assert finding(diff, "drift.refusal_removed").severity == "ERR"


def test_refusal_on_code_task_hides_code_invalid() -> None:
    diff = compare(CODE, REFUSAL, Contract(format="code", language="python"))
    assert rules_of(diff) == {"drift.refusal_introduced"}


def test_code_fence_added_zero_config() -> None:
    diff = compare(CODE, f"```python\n{CODE}```")
    assert diff.verdict == "BREAKING"
    assert rules_of(diff) == {"drift.code_fence_added"}


def test_code_fence_removed() -> None:
    diff = compare(f"```python\n{CODE}```", CODE)
    assert diff.verdict == "CHANGED"
    assert finding(diff, "drift.code_fence_removed").severity == "WARN"


def test_empty_output() -> None:
    diff = compare(PRIME_ANSWER, "  \n")
    assert rules_of(diff) == {"drift.empty_output"}
    assert diff.verdict == "BREAKING"
    assert rules_of(compare('{"a": 1}', "", Contract(format="json"))) == {"drift.empty_output"}


def test_sentence_opening_with_a_colon_is_not_a_label_marker() -> None:
    # the simulator's generic answer and its paraphrase
    base = 'You asked: "Why is the sky blue". The short answer is that it depends on the details.'
    para = 'Regarding "Why is the sky blue": the key facts are well known, and easy to check.'
    assert compare(base, para).verdict == "COMPATIBLE"


def test_one_line_upper_case_answer_is_a_label_not_a_fixed_token() -> None:
    diff = compare("YES", "NO")
    assert rules_of(diff) == {"drift.label_changed"}

"""A classification among options the instructions list: the label picked in a sentence of
prose is read, so a pick that flips is ``drift.label_changed`` (ERR) however the prose
around it is worded (issue 16: real answers state their pick in a sentence, "I would
categorize it into the Smart Home department", or as a bare word followed by reasons)."""

from __future__ import annotations

import pytest
from diff_helpers import compare, severities

from promptcompat.compat.format_requirements import read_requirements


@pytest.mark.parametrize(
    ("instructions", "options"),
    [
        (
            "Sort the support ticket into one of Billing, Shipping, Returns, or Account Access "
            "queues.\n\nTicket: my parcel never arrived",
            ("Billing", "Shipping", "Returns", "Account Access"),
        ),
        (
            "Classify the review into one of the following three categories: praise, "
            "complaint, or question.",
            ("praise", "complaint", "question"),
        ),
        (
            "Label the sentiment as positive, negative or neutral.",
            ("positive", "negative", "neutral"),
        ),
        ("The email must be classified as urgent or not urgent.", ("urgent", "not urgent")),
        # a list in the data, not options to pick from
        ("Write a poem about gelato, sorbet or Italian ice.", ()),
        ("Describe the differences between tea, coffee and cocoa.", ()),
        # two different sets: neither is the one
        ("Label the tone as formal or casual, then rate it as good, fair or poor.", ()),
    ],
)
def test_the_listed_options_are_read(instructions: str, options: tuple[str, ...]) -> None:
    assert read_requirements(instructions).options == options


TONE = "Label the tone of the message as formal, casual or urgent."


@pytest.mark.parametrize(
    ("answer", "picked"),
    [
        ("Casual. The message uses first names and an emoji.", "casual"),
        ("I would label the tone of this message as formal, given the salutation.", "formal"),
        # negated, several, or none in the first sentence: unread
        ("The tone is not urgent. It is friendly and casual overall.", None),
        ("It is somewhere between casual and formal.", None),
        ("The message thanks the team for the launch.", None),
    ],
)
def test_the_pick_is_read_from_the_first_sentence(answer: str, picked: str | None) -> None:
    assert read_requirements(TONE).option_in(answer) == picked


def test_an_option_inside_a_longer_one_is_not_a_second_pick() -> None:
    req = read_requirements("The email must be classified as urgent or not urgent.")
    assert req.option_in("This email is not urgent: it can wait until Monday.") == "not urgent"
    assert req.option_in("Urgent, because the invoice is overdue.") == "urgent"


TICKET = (
    "Sort the support ticket into one of Billing, Shipping, Returns, or Account Access.\n\n"
    "Ticket: I was charged twice for my parcel, which never arrived."
)


def _findings(baseline: str, candidate: str, instructions: str = TICKET) -> dict[str, str]:
    return severities(compare(baseline, candidate, instructions=instructions))


def test_a_pick_that_flips_in_prose_breaks() -> None:
    found = _findings(
        "Based on the ticket, I would sort it into Billing: the customer was charged twice.",
        "Shipping\n\nThe parcel never arrived, so the carrier has to be contacted first.",
    )
    assert found.get("drift.label_changed") == "ERR"


def test_the_same_pick_in_other_words_is_no_finding() -> None:
    found = _findings(
        "Based on the ticket, I would sort it into Billing: the customer was charged twice.",
        "Billing. A double charge is a payment problem, even though shipping is mentioned.",
    )
    assert "drift.label_changed" not in found


SURVEY = """How often do you cook dinner at home?
A. Every day
B. A few times a week
C. Rarely
D. Never
Answer:"""


@pytest.mark.parametrize(
    ("instructions", "choices"),
    [
        (SURVEY, ("A", "B", "C", "D")),
        (
            "Which is a mammal? (A) shark (B) dolphin (C) trout. Answer with the letter.",
            ("A", "B", "C"),
        ),
        # letters that do not start at A, or a single one: no choices
        ("Pick one:\nB. red\nC. blue", ()),
        ("Plan A. Leave early and take the train.", ()),
        # an outline to expand asks nothing to pick
        ("Expand the outline into an essay.\nA. Introduction\nB. Body\nC. Conclusion", ()),
    ],
)
def test_lettered_choices_are_read(instructions: str, choices: tuple[str, ...]) -> None:
    assert tuple(k for k, _ in read_requirements(instructions).choices) == choices


@pytest.mark.parametrize(
    ("answer", "picked"),
    [
        ("B", "B"),
        ("(C) Rarely", "C"),
        ("**D.** Never: I order in.", "D"),
        ("Answer: A", "A"),
        ("The correct answer is (B), since weekends are busy.", "B"),
        ("Rarely. Most evenings I eat out.", "C"),  # the choice's text, no letter
        # the article, not a pick; two choices named: unread
        ("A few times a week, depending on work.", "B"),
        ("A good question. It varies.", None),
        ("Somewhere between every day and never.", None),
    ],
)
def test_the_letter_picked_is_read(answer: str, picked: str | None) -> None:
    assert read_requirements(SURVEY).pick(answer) == picked


def test_another_choice_in_any_form_breaks_and_the_same_in_another_form_does_not() -> None:
    assert _findings("B. A few times a week", "C. Rarely", SURVEY)["drift.label_changed"] == "ERR"
    assert _findings("(B)", "Never, I order in.", SURVEY)["drift.label_changed"] == "ERR"
    assert "drift.label_changed" not in _findings("B. A few times a week", "B", SURVEY)
    assert "drift.label_changed" not in _findings("**C.** Rarely", "C) Rarely", SURVEY)

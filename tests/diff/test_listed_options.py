"""A classification among options the instructions list: the label picked in a sentence of
prose is read, so a pick that flips is ``drift.label_changed`` (ERR) however the prose
around it is worded (issue 16: real answers state their pick in a sentence, "I would
categorize it into the Smart Home department", or as a bare word followed by reasons)."""

from __future__ import annotations

import pytest

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.format_requirements import read_requirements
from promptcompat.suite.contract import Contract


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


def _findings(baseline: str, candidate: str) -> dict[str, str]:
    diff = compare_case(
        baseline=[Sample(baseline)],
        candidate=[Sample(candidate)],
        contract=Contract(),
        instructions=TICKET,
    )
    return {f.rule: f.severity for f in diff.findings}


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

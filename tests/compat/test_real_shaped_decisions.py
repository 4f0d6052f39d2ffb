"""Decisions and references on real-shaped outputs, through the real CLI (issue 16, items 6
and 7): a reference is compared with the extracted answer, not a word of the reasoning; a
decision field that flips is told apart from prose that is reworded, and a prompt can set a
rule's severity at one JSON path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripted_suite import RunResult, ScriptedPrompt, run_suite

PRIME = "Is {n} a prime number? Think step by step, then end your answer with [Yes] or [No]."


def _reasoning(n: int, verdict: str) -> str:
    # Real reasoning says "no" and "yes" along the way; only the final marker is the answer.
    return (
        f"Let's check whether {n} is prime. Is it even? No. Is it divisible by 3? No, the "
        f"digit sum is not a multiple of 3. Yes, we can stop at the square root.\n\n"
        f"So the answer is [{verdict}]"
    )


REPLY = (
    "Read the customer message and respond ONLY with a JSON object of the form "
    '{"reply": <short reply to the customer>, "escalate": <true if a human agent must take '
    "over, else false>}.\n\nCustomer: "
)
TICKET = (
    'Classify the support ticket. Respond only with JSON: {"category": "billing" | '
    '"technical" | "account" | "other", "urgency": "low" | "medium" | "high"}.\n\nTicket: '
)


DEPARTMENT = (
    "Categorize the given product into one of Electronics, Computers, Smart Home, or Arts & "
    "Crafts departments.\n\n"
)
SURVEY = (
    "How often do you cook dinner at home?\n"
    "A. Every day\nB. A few times a week\nC. Rarely\nD. Never\nAnswer:"
)


def _reply(text: str, escalate: bool) -> str:
    return json.dumps({"reply": text, "escalate": escalate})


DECISIONS = {
    "extracted": ScriptedPrompt(
        cases={"n7": PRIME.format(n=7), "n91": PRIME.format(n=91)},
        old={"n7": _reasoning(7, "Yes"), "n91": _reasoning(91, "No")},
        # n91 now says [Yes]: wrong, although "no" is all over its reasoning
        new={"n7": _reasoning(7, "Yes"), "n91": _reasoning(91, "Yes")},
        references={"n7": "[Yes]", "n91": "[No]"},
        contract={
            "reference": {"extract": r"\[(Yes|No)\]", "occurrence": "last", "match": "normalised"}
        },
    ),
    "auto_marker": ScriptedPrompt(
        cases={"n13": PRIME.format(n=13), "n21": PRIME.format(n=21)},
        old={"n13": _reasoning(13, "Yes"), "n21": _reasoning(21, "No")},
        new={"n13": _reasoning(13, "Yes"), "n21": _reasoning(21, "Yes")},
        references={"n13": "[Yes]", "n21": "[No]"},
    ),
    "triage": ScriptedPrompt(
        cases={
            "charge": REPLY + "I was charged twice and I want the second payment back now.",
            "thanks": REPLY + "Thanks, the fix worked!",
            "email": REPLY + "How do I change the email address on my account?",
        },
        old={
            "charge": _reply("Sorry about the double charge; billing will reverse it.", True),
            "thanks": _reply("Great to hear it's working now!", False),
            "email": _reply("You can change it under Settings > Account > Email.", False),
        },
        new={
            "charge": _reply("Duplicate charges reverse themselves within 5 days.", False),
            "thanks": _reply("Glad the fix worked! Reach out anytime.", False),
            "email": _reply("Open Settings > Account > Email to update it.", False),
        },
        rules={"json.value_changed at $.reply": "INFO"},
    ),
    "tickets": ScriptedPrompt(
        cases={"vat": TICKET + "My invoice shows the wrong VAT number."},
        old={"vat": json.dumps({"category": "billing", "urgency": "low"})},
        new={"vat": json.dumps({"category": "billing", "urgency": "medium"})},
    ),
    # a pick among options the instructions list, stated in prose (real answers do)
    "department": ScriptedPrompt(
        cases={
            "thermostat": DEPARTMENT + "Google Nest Learning Thermostat",
            "pens": DEPARTMENT + "Gel pens, 24 colours",
        },
        old={
            "thermostat": "Based on the product name, I would categorize it into the Smart Home "
            "department: it is an internet-connected device that controls heating.",
            "pens": "Arts & Crafts. Gel pens are used for drawing and colouring.",
        },
        new={
            "thermostat": "Electronics\n\nThe thermostat is an electronic device, so it belongs "
            "in the Electronics department.",
            "pens": "I would put these in the Arts & Crafts department, since they are used for "
            "drawing.",
        },
    ),
    # a multiple-choice question: the letter, or the choice's text
    "survey": ScriptedPrompt(
        cases={"cook": SURVEY},
        old={"cook": "B. A few times a week"},
        new={"cook": "Rarely. Most evenings I eat out."},
    ),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    tmp: Path = tmp_path_factory.mktemp("decisions")
    return run_suite(tmp, DECISIONS)


def test_a_reference_is_matched_against_the_extracted_answer(run: RunResult) -> None:
    # item 6: `extract` picks the last [Yes]/[No]; the "no" in the reasoning does not count
    assert run.case("extracted", "n7")["reference"] == {"baseline": [1, 1], "candidate": [1, 1]}
    assert run.case("extracted", "n91")["reference"] == {"baseline": [1, 1], "candidate": [0, 1]}
    mismatch = run.finding("extracted", "n91", "contract.reference_mismatch")
    assert (
        mismatch["severity"] == "ERR" and r"the last match of \[(Yes|No)\]" in mismatch["message"]
    )
    # and the default `auto` reads a bracketed reference as the output's last marker
    assert run.case("auto_marker", "n21")["reference"] == {
        "baseline": [1, 1],
        "candidate": [0, 1],
    }
    assert run.verdict("auto_marker", "n13") == "COMPATIBLE"


def test_a_decision_field_is_not_prose(run: RunResult) -> None:
    # item 7: escalate true -> false is a decision change; a reworded reply is not
    assert run.verdict("triage", "charge") == "BREAKING"
    flip = run.finding("triage", "charge", "json.decision_changed")
    assert flip["path"] == "$.escalate" and flip["severity"] == "ERR"
    # another allowed option the instructions list is a decision too
    assert run.finding("tickets", "vat", "json.decision_changed")["path"] == "$.urgency"


def test_a_rule_severity_can_be_set_at_a_json_path(run: RunResult) -> None:
    # `json.value_changed at $.reply: INFO`: the reworded reply no longer asks for review
    assert run.verdict("triage", "email") == "COMPATIBLE"
    assert run.finding("triage", "email", "json.value_changed")["severity"] == "INFO"
    assert run.verdict("triage", "thanks") == "COMPATIBLE"


def test_a_pick_among_listed_options_that_flips_in_prose_breaks(run: RunResult) -> None:
    assert run.verdict("department", "thermostat") == "BREAKING"
    flip = run.finding("department", "thermostat", "drift.label_changed")
    assert flip["severity"] == "ERR" and "'Electronics'" in flip["message"]
    assert run.verdict("department", "pens") == "COMPATIBLE"  # the same pick, reworded
    implicit = run.report["prompts"]["department"]["implicit_contract"]
    assert "one of 'Electronics', 'Computers', 'Smart Home', 'Arts & Crafts'" in implicit


def test_another_choice_of_a_multiple_choice_question_breaks(run: RunResult) -> None:
    flip = run.finding("survey", "cook", "drift.label_changed")
    assert flip["severity"] == "ERR" and "(C) Rarely" in flip["message"]
    assert run.verdict("survey", "cook") == "BREAKING"

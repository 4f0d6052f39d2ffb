"""Formats on real-shaped outputs, through the real CLI (issue 16, items 1, 2, 3, 5 and the
implicit contract): a format the instructions ask for is a contract, structure the baseline
merely had is a habit.

The answers are written like real model output (step-by-step reasoning, lists, markers in
bold or quotes, chatty lead-ins) and served by a scripted endpoint on 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_suite import RunResult, ScriptedPrompt, run_suite

PRIME_ASK = "Is 7 a prime number? Think step by step, then end your answer with [Yes] or [No]."
PRIME_STEPS = (
    "Let's check step by step.\n\n"
    "1. A prime number has exactly two divisors: 1 and itself.\n"
    "2. The numbers to test are 2, 3, 4, 5 and 6.\n"
    "3. 7 ÷ 2 = 3.5, 7 ÷ 3 ≈ 2.33, 7 ÷ 4 = 1.75, 7 ÷ 5 = 1.4, 7 ÷ 6 ≈ 1.17 — none is whole.\n"
    "4. So 7 has no divisors other than 1 and 7.\n\n"
    "Therefore, 7 is a prime number. [Yes]"
)
COMPLAINT_ASK = (
    "Start your reply with [Yes] or [No]: does this message contain a complaint?\n\n"
    '"The app keeps logging me out every time I switch networks. Third time this week."'
)
PLANTS_ASK = "How can I keep my houseplants alive while I'm on vacation for two weeks?"
PLANTS_BULLETS = (
    "- Water thoroughly the day before you leave.\n"
    "- Move plants away from direct sun.\n"
    "- Group them together to raise humidity.\n"
    "- Use self-watering spikes or a wick from a bowl of water."
)
PLANTS_PROSE = (
    "Give them a deep watering right before you go, move them out of direct sunlight and "
    "cluster them so they keep each other humid. For thirstier plants, a wick running from a "
    "bowl of water into the pot keeps the soil moist for two weeks."
)
THANKS_ASK = "Write a short, friendly reply to a customer who thanked us for fast delivery."

FORMATS = {
    "prime": ScriptedPrompt(
        cases={
            "brief": PRIME_ASK,
            "bold": PRIME_ASK.replace("Think", "Reason"),
            "quoted": PRIME_ASK.replace("Think", "Go"),
        },
        old={"brief": PRIME_STEPS, "bold": PRIME_STEPS, "quoted": PRIME_STEPS},
        new={
            # item 1: the steps collapse into one sentence; the asked marker is still there
            "brief": "Yes — 7 is only divisible by 1 and itself. [Yes]",
            # item 3: a marker in bold or quotes at the end still counts
            "bold": "Step 1: A prime has exactly two divisors.\nStep 2: Nothing from 2 to 6 "
            "divides 7.\n\n**[Yes]**",
            "quoted": 'No remainder from 2 to 6 is zero, so 7 is prime.\n\nFinal answer: "[Yes]".',
        },
    ),
    "prime_contract": ScriptedPrompt(
        # Questions differ from "prime"'s: one rendered request is one call, whatever prompt.
        cases={"kept": PRIME_ASK.replace("7", "seven"), "lost": PRIME_ASK.replace("7", "07")},
        old={"kept": PRIME_STEPS, "lost": PRIME_STEPS},
        new={
            "kept": "7 is odd and no number from 2 to 6 divides it, so it is prime. [Yes]",
            "lost": "Let's work through it:\n\n1. Primes have exactly two divisors.\n"
            "2. 7 is not divisible by 2, 3, 4, 5 or 6.\n\nTherefore, 7 is a prime number.",
        },
        contract={"must_match": [r"\[(?:Yes|No)\][*\"'.!\s]*$"]},
    ),
    "complaint": ScriptedPrompt(
        cases={"moved": COMPLAINT_ASK, "bold": COMPLAINT_ASK.replace("Third", "3rd")},
        old={
            "moved": "[Yes] The user complains that the app logs them out on network changes.",
            "bold": "[Yes] The user complains that the app logs them out on network changes.",
        },
        new={
            # item 3: a leading marker is learned; moved to the end it is lost
            "moved": "Yes, this message contains a complaint: the app logs the user out "
            "whenever they switch networks. [Yes]",
            "bold": "**[Yes]** The user is complaining about being logged out repeatedly.",
        },
    ),
    "chat": ScriptedPrompt(
        cases={
            "plants": PLANTS_ASK,
            "thanks": THANKS_ASK,
            "summary": "Summarize this ticket "
            "in one sentence.\n\nTicket: I requested a password reset three times today "
            "but the email never arrives. I checked spam.",
        },
        old={
            "plants": PLANTS_BULLETS,
            "thanks": "Sure: here's a short reply you can send:\n\n\"Thank you so much for your "
            "kind words! We're thrilled your order arrived quickly.\"",
            "summary": "Summary: The customer cannot log in because password-reset emails "
            "never arrive, even in spam.",
        },
        new={
            "plants": PLANTS_PROSE,
            # item 5: another lead-in word is a paraphrase, not a lost label
            "thanks": "Great: here's a friendly reply:\n\n\"Thanks a lot for the lovely "
            "feedback! We're glad your package got to you so fast.\"",
            # a `Summary:` lead-in nobody asked for: a habit, CHANGED at most
            "summary": "The customer reports that password-reset emails are not arriving "
            "(not even in spam), so they cannot log in.",
        },
    ),
}


def _marker_kept(run: RunResult, prompt: str, case: str) -> bool:
    """Nothing about the format fired (a shorter answer may still be CHANGED by length)."""
    fired = run.rules(prompt, case)
    return (
        run.verdict(prompt, case) != "BREAKING"
        and not {
            "drift.format_marker_lost",
            "drift.format_changed",
            "contract.must_match",
        }
        & fired
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    tmp: Path = tmp_path_factory.mktemp("formats")
    return run_suite(tmp, FORMATS)


def test_incidental_structure_is_not_a_format_marker(run: RunResult) -> None:
    # item 1: a numbered list in the baseline's reasoning is no marker; [Yes] is kept (the
    # answer is much shorter: CHANGED by drift.verbosity, never BREAKING)
    assert run.verdict("prime", "brief") == "CHANGED"
    assert run.rules("prime", "brief", "ERR", "WARN") == {"drift.verbosity"}
    # a bulleted list becoming prose, where nothing asked for a list
    assert run.verdict("chat", "plants") == "COMPATIBLE"
    # a `Summary:` lead-in nothing asked for is a habit: CHANGED, never BREAKING
    assert run.verdict("chat", "summary") == "CHANGED"
    habit = run.finding("chat", "summary", "drift.format_changed")
    assert habit["severity"] == "WARN" and "do not ask for it" in habit["message"]


def test_a_contract_covers_its_aspect(run: RunResult) -> None:
    # item 2: with must_match declared, the zero-config marker detector adds no BREAKING
    assert _marker_kept(run, "prime_contract", "kept")
    assert run.verdict("prime_contract", "lost") == "BREAKING"
    assert run.rules("prime_contract", "lost", "ERR") == {"contract.must_match"}
    lost = run.finding("prime_contract", "lost", "drift.format_marker_lost")
    assert lost["severity"] == "INFO" and "covered by the contract's must_match" in lost["message"]


def test_markers_at_the_start_and_in_bold_or_quotes(run: RunResult) -> None:
    # item 3: a leading marker the instructions ask for is learned, and losing it breaks
    assert run.verdict("complaint", "moved") == "BREAKING"
    lost = run.finding("complaint", "moved", "drift.format_marker_lost")
    assert "leading bracketed token" in lost["message"] and lost["severity"] == "ERR"
    assert run.verdict("complaint", "bold") == "COMPATIBLE"
    assert _marker_kept(run, "prime", "bold")
    assert _marker_kept(run, "prime", "quoted")


def test_a_lead_in_word_with_a_colon_is_no_label(run: RunResult) -> None:
    # item 5: "Sure:" -> "Great:" in a chat answer
    assert run.verdict("chat", "thanks") == "COMPATIBLE"
    assert not {r for r in run.rules("chat", "thanks") if r.startswith("drift.")}

"""Outputs cut at the token limit and outputs that degenerate into loops, through the real CLI
(issue 16, item 8): both were COMPATIBLE before, as nothing read the finish reason or the text
beyond its length."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_suite import RunResult, ScriptedPrompt, run_suite

EMAIL = (
    "Write a short email to my landlord saying the kitchen tap has been leaking for a week "
    "and asking when a plumber can come."
)
EMAIL_DONE = (
    "Subject: Leaking kitchen tap\n\nHi Mr. Patel,\n\nThe kitchen tap in flat 3B has been "
    "leaking for about a week now, and it's getting worse. Could you let me know when a "
    "plumber could come by? I'm home most evenings after 6 p.m.\n\nThanks,\nSara"
)
EMAIL_CUT = (
    "Subject: Kitchen tap leak\n\nHi Mr. Patel,\n\nI wanted to let you know that the kitchen "
    "tap in flat 3B has been dripping constantly for the past week. Could you please arrange "
    "for a plumber to"
)
NAMES = "Give me 5 names for a coffee shop."
NAMES_DONE = "1. Bean There\n2. The Daily Grind\n3. Brew Haven\n4. Perk Up\n5. Common Grounds"
NAMES_CUT = "1. Steam & Bean\n2. The Roasted Corner\n3. Morning Ritual"
DOG = "What is the smallest breed of dog?"
DOG_ANSWER = (
    "The smallest breed of dog is the Chihuahua. Adults typically weigh 2-8 pounds (1-4 kg) "
    "and stand 6-10 inches (15-25 cm) tall at the shoulder."
)
DOG_LOOP = (
    "According to the American Kennel Club, the smallest dog breed is the Chihuahua.\n\n"
    "**Weight:** 2-8 pounds\n**Height:** 6-10 inches\n\n"
    + "There" * 40
    + " there" * 30
    + " fall" * 80
)
# A complete email that ends in a template's residue (a real Llama 3.1 ending).
EMAIL_RESIDUE = (
    EMAIL_DONE + "\n\nDear [Recipient],\n\nInsert[Optional][Optional][Optional][Optional]"
    "[Optional][Optional][ [Your Name] ]"
)

CUT = {
    "cut_openai": ScriptedPrompt(
        cases={"email": EMAIL, "names": NAMES},
        old={"email": EMAIL_DONE, "names": NAMES_DONE},
        new={"email": (EMAIL_CUT, "length"), "names": (NAMES_CUT, "length")},
    ),
    "cut_anthropic": ScriptedPrompt(
        cases={"email": EMAIL + " Keep it polite.", "both": NAMES + " Keep them short."},
        old={"email": EMAIL_DONE, "both": (NAMES_CUT, "length")},
        new={
            "email": (EMAIL_CUT, "length"),
            "both": (NAMES_CUT.replace("Steam", "Milk"), "length"),
        },
        provider="anthropic",
    ),
    "loops": ScriptedPrompt(
        cases={"dog": DOG, "residue": EMAIL + " Sign it Sara."},
        old={"dog": DOG_ANSWER, "residue": EMAIL_DONE},
        new={"dog": DOG_LOOP, "residue": EMAIL_RESIDUE},
    ),
    "counts": ScriptedPrompt(
        cases={"names": NAMES + " Number them."},
        old={"names": NAMES_DONE},
        # complete (finish_reason stop), but three of the five names asked for
        new={"names": "Here are some names:\n\n" + NAMES_CUT},
    ),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    tmp: Path = tmp_path_factory.mktemp("cut")
    return run_suite(tmp, CUT)


def test_an_answer_cut_at_the_token_limit_breaks(run: RunResult) -> None:
    for prompt in ("cut_openai", "cut_anthropic"):
        assert run.verdict(prompt, "email") == "BREAKING", prompt
        cut = run.finding(prompt, "email", "drift.truncated")
        assert cut["severity"] == "ERR"
    assert (
        "finish_reason length" in run.finding("cut_openai", "email", "drift.truncated")["message"]
    )
    assert "max_tokens" in run.finding("cut_anthropic", "email", "drift.truncated")["message"]
    # a list that looks complete, but three of five names before the limit
    assert run.rules("cut_openai", "names", "ERR") == {"drift.truncated"}


def test_cut_on_both_sides_is_no_new_break(run: RunResult) -> None:
    assert "drift.truncated" not in run.rules("cut_anthropic", "both")
    assert run.verdict("cut_anthropic", "both") == "COMPATIBLE"


def test_a_repetition_loop_breaks(run: RunResult) -> None:
    assert run.verdict("loops", "dog") == "BREAKING"
    loop = run.finding("loops", "dog", "drift.degenerate_output")
    assert loop["severity"] == "ERR" and "repeated" in loop["message"]
    assert "drift.verbosity" not in run.rules("loops", "dog")  # the loop explains the length


def test_a_broken_ending_breaks(run: RunResult) -> None:
    assert run.verdict("loops", "residue") == "BREAKING"
    residue = run.finding("loops", "residue", "drift.degenerate_output")
    assert "[Optional]" in residue["message"]


def test_fewer_items_than_asked_break(run: RunResult) -> None:
    assert run.verdict("counts", "names") == "BREAKING"
    fewer = run.finding("counts", "names", "drift.count_unmet")
    assert fewer["severity"] == "ERR"
    assert "ask for 5 names; this output gives 3" in fewer["message"]

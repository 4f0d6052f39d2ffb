"""Degenerate outputs (repetition loops) and what is no loop: tables, code, ASCII art."""

from __future__ import annotations

import pytest
from diff_helpers import finding

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.drift import Output
from promptcompat.suite.contract import Contract

PROSE = (
    "Determining whether someone is genuinely interested in a conversation can be hard, but "
    "here are some signs: they ask follow-up questions, remember details you mentioned, and "
    "keep the conversation going with their own stories. "
)

LOOPS = {
    "syllables": PROSE + "ansansan" * 120,
    "pipes": PROSE + "| " * 400,
    "words": PROSE + "Fall Final Fall Full Final Fall F " * 30,
    "tabs": PROSE + "\t" * 900 + "&#x20;",
    "lines": PROSE + "\n    Sent;  Celda;" * 60,
    "word-salad": PROSE + " ".join(["There", "there", "then", "fall"] * 60),
}

NO_LOOPS = {
    "table": "| Planet | Type | Diameter (km) |\n|---|---|---|\n"
    + "".join(f"| Planet {i} | Terrestrial | {1000 + 37 * i} |\n" for i in range(30)),
    "code": "def f(xs):\n"
    + "".join(f"    total_{i} = sum(x * {i} for x in xs)\n" for i in range(25))
    + "    return total_0\n",
    "hrules": PROSE + "\n\n" + "-" * 60 + "\n\n" + PROSE + "\n\n" + "=" * 60,
    "prose": PROSE * 4,
    # an empty 9 x 9 board: nine identical lines are a drawing, not a loop
    "empty-board": "\n".join("|   |   |   |   |   |   |   |   |   |" for _ in range(9)),
}


@pytest.mark.parametrize("name", sorted(LOOPS))
def test_loops_are_degenerate(name: str) -> None:
    assert Output(LOOPS[name]).degenerate is not None


@pytest.mark.parametrize("name", sorted(NO_LOOPS))
def test_repetitive_but_sound_outputs_are_not(name: str) -> None:
    assert Output(NO_LOOPS[name]).degenerate is None


def test_annotation_lines_of_another_task_at_the_end_are_degenerate() -> None:
    answer = PROSE * 4
    leaked = answer + "\n\nLabel: No\n\nThe first clause lets the Receiving Party copy it."
    compared = compare_case(
        baseline=[Sample(answer)],
        candidate=[Sample(leaked)],
        contract=Contract(),
        instructions="How can I tell whether someone is interested in a conversation?",
    )
    assert compared.verdict == "BREAKING"
    assert "annotation lines" in finding(compared, "drift.degenerate_output").message
    # a label the instructions ask for is no residue
    asked = compare_case(
        baseline=[Sample(answer)],
        candidate=[Sample(leaked)],
        contract=Contract(),
        instructions="Explain, then end with a line 'Label: Yes' or 'Label: No'.",
    )
    assert "drift.degenerate_output" not in {f.rule for f in asked.findings}

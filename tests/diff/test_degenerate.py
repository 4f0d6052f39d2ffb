"""Degenerate outputs (repetition loops) and what is no loop: tables, code, ASCII art."""

from __future__ import annotations

import pytest

from promptcompat.detectors import Output

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

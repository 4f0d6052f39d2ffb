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
    # broken endings short of a loop (real Llama 3.1 outputs)
    "template-residue": PROSE
    + "\n\nDear [Recipient],\n\n"
    + "Insert[Optional][Optional][Optional][Optional][Optional][Optional][ [Your Name] ]",
    "repeated-closing-line": PROSE + "\n\nDear [Recipient],\n\nDear [Recipient]\n\n"
    "Dear [Recipient]\n\nDear [Recipient]",
    "mid-sentence": PROSE
    + "\n\n1. **Lack of empirical evidence**: The theory makes no prediction we can test.\n"
    "2. **Probability**: It is hard to say what a probability means when every outcome "
    "happens.\n3. **Lack of a clear mechanism for collapse**: The interpretation is often "
    "seen as more complete but",
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
    # lines without full stops are a poem's, not a cut: most long lines end unpunctuated
    "poem": "In the 1980s a teenager roams the rainy streets\n"
    "In Britain where the music and the fashion meet\n"
    "From the Smiths to the Clash the scene is alive and loud\n"
    "In the city nights the energy runs through the crowd",
    # a quoted phrase ends the last line
    "quoted-end": PROSE + '\n\n* Salut les amis (HA-loo leh ah-mee) - "Good evening, friends"',
    # the line repeated because it was asked for, and nothing else
    "asked-repetition": "\n".join("Hello, world, how are you?" for _ in range(5)),
    # a list of short items without full stops
    "short-items": PROSE + "\n\n* Transfer learning\n* Attention mechanisms\n* GANs",
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


def test_a_cut_last_sentence_breaks_only_where_the_baseline_ends_sound() -> None:
    cut = LOOPS["mid-sentence"]
    compared = compare_case(
        baseline=[Sample(PROSE * 3)],
        candidate=[Sample(cut)],
        contract=Contract(),
        instructions="Why don't people like the many-worlds interpretation?",
    )
    assert "stops mid-sentence" in finding(compared, "drift.degenerate_output").message
    both = compare_case(
        baseline=[Sample(cut.replace("Probability", "Chance"))],
        candidate=[Sample(cut)],
        contract=Contract(),
        instructions="Why don't people like the many-worlds interpretation?",
    )
    assert "drift.degenerate_output" not in {f.rule for f in both.findings}

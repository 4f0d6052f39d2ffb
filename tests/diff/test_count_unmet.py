"""``drift.count_unmet``: the instructions ask for a number of items; every baseline sample
gives that many, the candidate fewer (real pairs: five verses asked, three written; fifty
stories asked, about forty given)."""

from __future__ import annotations

import pytest

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.drift import count_items
from promptcompat.compat.format_requirements import read_requirements
from promptcompat.suite.contract import Contract


@pytest.mark.parametrize(
    ("instructions", "count"),
    [
        ("write a 5 verse song in the style of Talking Heads", (5, "verse")),
        ("Write 50 short stories under ten words", (50, "stories")),
        ("Give me the list of top 100 tech categories", (100, "categories")),
        ("List three ideas for a birthday party.", (3, "ideas")),
        # a length, not items; a number in the data; no number
        ("Write a 500 word essay on bees.", None),
        ("Complete the quote: Two things are infinite.", None),
        ("List some ideas for a birthday party.", None),
        # two different asks: neither is the count
        ("Give 3 examples, then list 5 questions.", None),
    ],
)
def test_the_count_asked_for_is_read(instructions: str, count: tuple[int, str] | None) -> None:
    assert read_requirements(instructions).count == count


SONG = "\n\n".join(f"(Verse {i})\nLine one of verse {i}\nLine two of verse {i}" for i in (1, 2))


def test_items_are_counted_the_way_they_are_marked() -> None:
    assert count_items(SONG, "verse") == 2
    assert count_items("Intro:\n\n1. a\n2. b\n**3.** c\n### 4) d", "ideas") == 4
    assert count_items("Here are some:\n- a\n- b\n- c", "ideas") == 3
    assert count_items("Here are fifty:\nOne story.\nAnother story.", "stories") == 2
    assert count_items("A song without headings\nla la", "verse") is None
    assert count_items("It rained. We stayed in!\nThen, at 5 p.m., it stopped.", "sentences") == 3


ASK = "Give me 5 names for a coffee shop."
FIVE = "1. Bean There\n2. The Daily Grind\n3. Brew Haven\n4. Perk Up\n5. Common Grounds"
THREE = "Here are some names:\n\n1. Steam & Bean\n2. The Roasted Corner\n3. Morning Ritual"


def _rules(baseline: str, candidate: str, instructions: str = ASK) -> set[str]:
    diff = compare_case(
        baseline=[Sample(baseline)],
        candidate=[Sample(candidate)],
        contract=Contract(),
        instructions=instructions,
    )
    return {f.rule for f in diff.findings if f.severity == "ERR"}


def test_fewer_items_than_asked_breaks() -> None:
    assert _rules(FIVE, THREE) == {"drift.count_unmet"}


def test_no_finding_when_the_count_holds_or_the_baseline_missed_it_too() -> None:
    assert "drift.count_unmet" not in _rules(FIVE, FIVE.replace("Bean There", "Bean Scene"))
    four = "\n".join(FIVE.splitlines()[:4])
    assert "drift.count_unmet" not in _rules(four, THREE)  # the baseline gave four
    assert "drift.count_unmet" not in _rules(FIVE, THREE, "Give me names for a coffee shop.")


def test_a_number_of_sentences_asked_for_and_not_met() -> None:
    ask = "Summarize in two sentences: the council met on Tuesday; the vote was postponed."
    two = "The council met on Tuesday to discuss the park. The vote was postponed to next month."
    assert _rules(two, "The council met on Tuesday.", ask) == {"drift.count_unmet"}
    assert "drift.count_unmet" not in _rules(
        two, "On Tuesday the council met. It postponed the vote.", ask
    )

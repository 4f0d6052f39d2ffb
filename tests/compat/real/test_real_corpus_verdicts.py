"""The engine's verdicts on the real-output corpus, against the hand labels (issue 16).

The issue's bar is precision and recall of BREAKING >= 0.95, per rule family and overall, and
zero-config BREAKING on pairs labelled COMPATIBLE <= 2%. Where the engine reaches it, it is
asserted as such (``ISSUE_*``); where it does not, the figures it reaches today are asserted
as a **regression floor** (``REGRESSION_FLOOR_*``), named so: a floor is not the bar, and a
change that lowers a figure below it fails here. README.md beside this file gives the figures
and what the engine still misses.

A "rule family" here is the corpus aspect (what a pair is about: refusal, format marker,
JSON, truncation...); the model families are checked as well.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from measure import MODES, Figures, Mode, Outcome, figures, run
from real_corpus import HANDWRITTEN_FILE, PAIRS_FILE, Pair, load

ISSUE_PRECISION = 0.95
ISSUE_RECALL = 0.95
ISSUE_FALSE_ALARMS = 0.02

# Real AlpacaEval pairs, zero-config (no contract declared; the instructions are known).
# (precision floor, recall floor, false-alarm ceiling); None: nothing to measure there.
# Measured at this commit: P 0.94 (90/96), R 0.76 (90/118), FA 5/482 = 0.010; the tuning
# three quarters P 0.99, R 0.84, FA 0.003; the held-out quarter P 0.78, R 0.56, FA 0.029
# (0.69 / 0.56 / 0.043 when first measured, before three fixes its errors showed; README).
REGRESSION_FLOOR_REAL = (0.93, 0.76, 0.011)
REGRESSION_FLOOR_REAL_FAMILIES: dict[str, tuple[float | None, float | None, float | None]] = {
    "claude": (0.97, 0.86, 0.01),  # tp 44 fp 1 fn 7, FA 1/103
    "gpt-3.5": (0.90, 0.71, 0.011),  # tp 10 fp 1 fn 4, FA 1/92
    "gpt-4": (0.87, 0.58, 0.00),  # tp 7 fp 1 fn 5, FA 0/108
    "llama": (0.96, 0.69, 0.025),  # tp 25 fp 1 fn 11, FA 1/40
    "mistral": (None, None, 0.03),  # no pair labelled BREAKING; 2 false alarms of 68
    "qwen": (1.00, 0.80, 0.00),  # tp 4 fp 0 fn 1
}
REGRESSION_FLOOR_REAL_ASPECTS: dict[str, tuple[float | None, float | None, float | None]] = {
    "code_fence": (None, 0.0, 0.00),  # the quadruple-backtick ask, missed
    "degenerate": (1.00, 0.75, None),  # tp 18 fn 6: unrelated text appended, a quoted cut
    "format_marker": (1.00, 0.50, 0.00),  # a bare answer the instruction only implies: 2 fn
    "free_text": (None, None, 0.00),
    "language": (1.00, 1.00, 0.00),
    "length_constraint": (0.66, 1.00, 0.039),  # drift.count_unmet: tp 2 fp 1, FA 1/26
    "list_format": (None, None, 0.00),
    "number": (None, None, 0.00),
    "refusal": (0.94, 0.80, 0.062),  # tp 64 fp 4 fn 16, FA 4/65
    "short_answer": (None, 0.0, 0.00),
    "step_by_step": (None, 0.0, 0.00),
    "table": (None, None, 0.00),
    "truncation": (None, 0.0, None),
    "yes_no": (None, None, 0.00),  # one CHANGED pair called BREAKING
}


@pytest.fixture(scope="module")
def real() -> list[Pair]:
    return load(PAIRS_FILE)


@pytest.fixture(scope="module")
def handwritten() -> list[Pair]:
    return load(HANDWRITTEN_FILE)


@pytest.fixture(scope="module")
def outcomes(real: list[Pair], handwritten: list[Pair]) -> dict[tuple[str, Mode], list[Outcome]]:
    return {
        (name, mode): [run(p, mode) for p in pairs]
        for name, pairs in (("real", real), ("handwritten", handwritten))
        for mode in MODES
    }


def _by(outcomes: list[Outcome], key: str) -> dict[str, Figures]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[getattr(o.pair, key)].append(o)
    return {name: figures(items) for name, items in sorted(groups.items())}


def _meets(f: Figures, precision: float | None, recall: float | None, fa: float | None) -> bool:
    return (
        (precision is None or (f.precision if f.precision is not None else 1.0) >= precision)
        and (recall is None or (f.recall if f.recall is not None else 1.0) >= recall)
        and (fa is None or (f.false_alarm_rate or 0.0) <= fa)
    )


def _show(f: Figures) -> str:
    return f"P {f.precision} R {f.recall} FA {f.false_alarm_rate} (tp {f.tp} fp {f.fp} fn {f.fn})"


@pytest.mark.parametrize("mode", MODES)
def test_hand_written_pairs_meet_the_issue_bar(
    outcomes: dict[tuple[str, Mode], list[Outcome]], mode: Mode
) -> None:
    items = outcomes["handwritten", mode]
    overall = figures(items)
    assert _meets(overall, ISSUE_PRECISION, ISSUE_RECALL, ISSUE_FALSE_ALARMS), _show(overall)
    if mode == "contract":
        # Per rule family, too, once the contract the instruction implies is declared. (Zero-
        # config, a missing colon in bare code is seen by nothing: code_fence recall 0.75.)
        failing = {
            aspect: _show(f)
            for aspect, f in _by(items, "aspect").items()
            if not _meets(f, ISSUE_PRECISION, ISSUE_RECALL, ISSUE_FALSE_ALARMS)
        }
        assert failing == {}


def test_zero_config_false_alarms_on_the_whole_corpus_meet_the_issue_bar(
    outcomes: dict[tuple[str, Mode], list[Outcome]],
) -> None:
    items = [*outcomes["real", "zero-config"], *outcomes["handwritten", "zero-config"]]
    overall = figures(items)
    assert overall.false_alarm_rate is not None
    assert overall.false_alarm_rate <= ISSUE_FALSE_ALARMS, _show(overall)


def test_zero_config_false_alarms_on_the_real_pairs_alone_meet_the_issue_bar(
    outcomes: dict[tuple[str, Mode], list[Outcome]],
) -> None:
    overall = figures(outcomes["real", "zero-config"])
    assert overall.false_alarm_rate is not None
    assert overall.false_alarm_rate <= ISSUE_FALSE_ALARMS, _show(overall)


def test_real_pairs_regression_floor_overall(
    outcomes: dict[tuple[str, Mode], list[Outcome]],
) -> None:
    """Below the issue's bar on real pairs: the figures reached, as a floor."""
    for mode in MODES:
        overall = figures(outcomes["real", mode])
        assert _meets(overall, *REGRESSION_FLOOR_REAL), (mode, _show(overall))


def test_real_pairs_regression_floor_per_model_family(
    outcomes: dict[tuple[str, Mode], list[Outcome]],
) -> None:
    by_family = _by(outcomes["real", "zero-config"], "family")
    assert by_family.keys() == REGRESSION_FLOOR_REAL_FAMILIES.keys()
    below = {
        name: _show(f)
        for name, f in by_family.items()
        if not _meets(f, *REGRESSION_FLOOR_REAL_FAMILIES[name])
    }
    assert below == {}


def test_real_pairs_regression_floor_per_rule_family(
    outcomes: dict[tuple[str, Mode], list[Outcome]],
) -> None:
    by_aspect = _by(outcomes["real", "zero-config"], "aspect")
    assert by_aspect.keys() == REGRESSION_FLOOR_REAL_ASPECTS.keys()
    below = {
        name: _show(f)
        for name, f in by_aspect.items()
        if not _meets(f, *REGRESSION_FLOOR_REAL_ASPECTS[name])
    }
    assert below == {}

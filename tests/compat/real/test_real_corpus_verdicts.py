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
from measure import MODES, Figures, Mode, Outcome, detection, figures, run
from real_corpus import (
    APPS_FILE,
    APPS_READ,
    APPS_UNREAD,
    FRESH2_FILE,
    FRESH_FILE,
    HANDWRITTEN_FILE,
    PAIRS_FILE,
    Pair,
    load,
    load_outputs,
)

ISSUE_PRECISION = 0.95
ISSUE_RECALL = 0.95
ISSUE_FALSE_ALARMS = 0.02

# Real AlpacaEval pairs, zero-config (no contract declared; the instructions are known).
# (precision floor, recall floor, false-alarm ceiling); None: nothing to measure there.
# Measured at this commit: P 1.00 (107/107), R 0.91 (107/118), FA 0/482; with contracts R
# 0.92. Tuned on: every figure here was read while tuning (README, "Third pass"). (The fourth
# pass lost one pair the engine had right for the wrong reason, a stance read as a refusal,
# and gained one: a literal to write, 'Write "Test"', answered in a sentence.)
REGRESSION_FLOOR_REAL = (0.99, 0.90, 0.002)
REGRESSION_FLOOR_REAL_FAMILIES: dict[str, tuple[float | None, float | None, float | None]] = {
    "claude": (0.99, 0.94, 0.0),  # tp 48 fp 0 fn 3
    "gpt-3.5": (0.99, 0.85, 0.0),  # tp 12 fp 0 fn 2
    "gpt-4": (0.99, 0.83, 0.0),  # tp 10 fp 0 fn 2
    "llama": (0.99, 0.91, 0.0),  # tp 33 fp 0 fn 3
    "mistral": (None, None, 0.0),  # no pair labelled BREAKING
    "qwen": (0.99, 0.80, 0.0),  # tp 4 fp 0 fn 1
}
REGRESSION_FLOOR_REAL_ASPECTS: dict[str, tuple[float | None, float | None, float | None]] = {
    "code_fence": (None, 0.0, 0.0),  # the quadruple-backtick ask, missed
    "degenerate": (0.99, 0.91, None),  # tp 22 fn 2
    "format_marker": (0.99, 0.75, 0.0),  # a respelling scheme the instruction names: 1 fn
    "free_text": (None, None, 0.0),
    "language": (0.99, 1.00, 0.0),
    "length_constraint": (0.99, 1.00, 0.0),  # drift.count_unmet: tp 2
    "list_format": (None, None, 0.0),
    "number": (None, None, 0.0),
    "refusal": (0.99, 0.92, 0.0),  # tp 74 fp 0 fn 6
    "short_answer": (0.99, 1.00, 0.0),  # the department flip (listed options): tp 1
    "step_by_step": (None, 0.0, 0.0),
    "table": (None, None, 0.0),
    "truncation": (0.99, 1.00, None),
    "yes_no": (None, None, 0.0),
}

# The fresh held-out set (fresh.jsonl: 191 pairs from instructions the corpus never uses,
# labelled without the engine), zero-config. The engine it was labelled against (f73f8dc)
# reached P 0.83, R 0.54, FA 2/122 (tp 15 fp 3 fn 13). Half of it (sha256(id)[0] even) was
# then read to find what the engine missed; the other half is still unread (README, "The
# fresh held-out set").
REGRESSION_FLOOR_FRESH = (0.95, 0.81, 0.009)  # tp 23 fp 1 fn 5, FA 1/122
# The second fresh set (fresh2.jsonl: 115 pairs, 11 BREAKING), labelled after the engine of
# the third pass was frozen and never read. The fourth pass (tuned on single outputs, never on
# these pairs) added one false alarm here, unexamined: tp 3 fp 0 fn 8 -> tp 3 fp 1 fn 8.
REGRESSION_FLOOR_FRESH2 = (0.74, 0.27, 0.012)  # tp 3 fp 1 fn 8, FA 1/88
# The single-output labels (outputs.jsonl): (precision floor, recall floor) of each detector
# per split; ``dev`` was read while tuning, ``test`` never. At this commit: refusal dev 0.88 /
# 0.76, test 0.82 / 0.68; degenerate dev 1.00 / 0.69, test 0.90 / 0.64 (at the fourth pass's
# start: refusal 0.82 / 0.70 and 0.79 / 0.64; degenerate 0.69 / 0.54 and 0.71 / 0.54).
# Pairs shaped like a new user's app (apps.jsonl), sixty per writer, written and labelled by
# writers who saw neither the engine nor its tests. Each set was measured once before it was
# read: at the fifth pass's start the engine reached R 0.56, 0.40, 0.44, 0.48, 0.52, 0.52,
# 0.48, 0.56, 0.40, 0.52 on sets a-j (P 1.00, 1.00, 0.79, 0.92, 0.81, 0.93, 0.80, 0.93, 1.00,
# 0.81); when each was
# first measured, unread, after the fixes from the sets before it: R 0.72, 0.64, 0.72, 0.68,
# 0.80, 0.52, 0.64, 0.60. The sets in APPS_READ were then read and fixed, APPS_UNREAD never.
# The sixth pass added four more (k-n), first measured at R 0.64, 0.68, 0.60, 0.68 (P 1.00,
# 1.00, 0.88, 0.94) on its start engine; l, m and n were read, k never. Then two sets of hard
# negatives (o, p: 40 COMPATIBLE, 10 CHANGED, 10 BREAKING each), first measured at FA 4/40
# and 2/40 (3/40 for p on the pass's start engine); o was read, p never. Four more at the
# pass's end, first measured: q (hard negatives) FA 5/40, r FA 4/40, s R 0.40 FA 1/25, t
# R 0.48 FA 5/25 (start engine: q 5/40, r 4/40, s 3/25, t 5/25); q, r and s read, t never.
# The seventh pass wrote four more and measured each once on its start engine: u R 0.68 FA
# 2/25, v R 0.60 FA 1/25, w (hard negatives) R 0.70 FA 5/40, x R 0.84 FA 0/25; u and v were
# read, w and x never. The eighth: y (hard negatives) FA 5/40 R 1.00, z R 0.80 FA 0/25 (both
# read), aa (hard negatives) FA 3/40 R 0.90, ab R 0.76 FA 1/25 (never read). x and ab each
# lost a point of precision to the answer to a user's yes/no question flipping, a pair its
# writer labelled CHANGED (most writers label that flip BREAKING). Two more hard-negative
# sets came late in the pass and were first measured on its engine then: ac (read) FA 1/40 R
# 0.80, ad (never read) FA 1/40 R 1.00. The ninth, each first measured when it came: on the
# start engine ae (hard negatives) FA 0/40 R 0.90, af R 0.76 FA 3/25 (both read), ag (hard
# negatives) FA 0/40 R 1.00, ah R 0.76 FA 2/25 (never read); on the engine of the pass's first
# fixes ai (hard negatives) FA 0/40 R 0.90, aj R 0.84 FA 0/25 (both read; aj's brief named
# rule violations such as an amount over a cap), ak (hard negatives) FA 0/40 R 0.90, al R 0.80
# FA 1/25 (never read); later in the pass am (hard negatives) FA 2/40 R 0.70, an R 0.88 FA 0/25
# (both read), ao (hard negatives) FA 4/40 R 0.80, ap R 0.72 FA 0/25 (never read); at the
# pass's end aq (hard negatives) FA 2/40 R 0.90, ar R 0.84 FA 2/25 (both read), as (hard
# negatives) FA 0/40 R 1.00, at R 0.64 FA 1/25 (never read); a last round: au R 0.84 FA 1/25,
# av (hard negatives) FA 2/40 R 0.90 (both read), aw R 0.92 FA 0/25, ax (hard negatives) FA
# 2/40 R 1.00 (never read). The tenth, each first measured when it came: on the start engine
# ay (hard negatives) FA 0/40 R 0.90, ba R 0.72 FA 1/25, bc (hard negatives) FA 2/40 R 1.00
# (read), az R 0.76 FA 1/25, bb (hard negatives) FA 1/40 R 0.80, bd R 0.76 FA 0/25 (never
# read); on the engine of the pass's first fixes be (hard negatives) FA 0/40 R 0.80, bg R 0.72
# FA 1/25 (read), bf R 0.84 FA 1/25, bh (hard negatives) FA 3/40 R 0.90 (never read); on the
# engine of its second fixes bi R 0.80 FA 1/25, bk (hard negatives) FA 2/40 R 0.90 (read), bj
# (hard negatives) FA 2/40 R 0.80, bl R 0.84 FA 0/25 (never read).
REGRESSION_FLOOR_APPS: dict[str, tuple[float, float, float]] = {
    "hw-appa-": (0.99, 0.95, 0.0),  # tp 24 fp 0 fn 1, FA 0/25
    "hw-appb-": (0.99, 0.99, 0.0),  # tp 25 fp 0 fn 0, FA 0/25
    "hw-appc-": (0.99, 0.95, 0.0),  # tp 24 fp 0 fn 1, FA 0/25
    "hw-appe-": (0.99, 0.95, 0.0),  # tp 24 fp 0 fn 1, FA 0/25
    "hw-appf-": (0.99, 0.79, 0.0),  # tp 20 fp 0 fn 5, FA 0/25
    "hw-appg-": (0.99, 0.91, 0.0),  # tp 23 fp 0 fn 2, FA 0/25
    "hw-appl-": (0.99, 0.91, 0.0),  # tp 23 fp 0 fn 2, FA 0/25
    "hw-appm-": (0.99, 0.91, 0.0),  # tp 23 fp 0 fn 2, FA 0/25
    "hw-appn-": (0.95, 0.95, 0.04),  # tp 24 fp 1 fn 1, FA 1/25
    "hw-appo-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appq-": (0.99, 0.69, 0.0),  # tp 7 fp 0 fn 3, FA 0/40
    "hw-appr-": (0.81, 0.89, 0.05),  # tp 9 fp 2 fn 1, FA 2/40
    "hw-apps-": (0.99, 0.67, 0.0),  # tp 17 fp 0 fn 8, FA 0/25
    "hw-appu-": (0.99, 0.91, 0.0),  # tp 23 fp 0 fn 2, FA 0/25
    "hw-appv-": (0.99, 0.95, 0.0),  # tp 24 fp 0 fn 1, FA 0/25
    "hw-appy-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appz-": (0.99, 0.99, 0.0),  # tp 25 fp 0 fn 0, FA 0/25
    "hw-appac-": (0.99, 0.89, 0.0),  # tp 9 fp 0 fn 1, FA 0/40
    "hw-appae-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appaf-": (0.99, 0.95, 0.0),  # tp 24 fp 0 fn 1, FA 0/25
    "hw-appai-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appaj-": (0.99, 0.87, 0.0),  # tp 22 fp 0 fn 3, FA 0/25
    "hw-appam-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appan-": (0.99, 0.99, 0.0),  # tp 25 fp 0 fn 0, FA 0/25
    "hw-appaq-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appar-": (0.99, 0.95, 0.0),  # tp 24 fp 0 fn 1, FA 0/25
    "hw-appau-": (0.99, 0.83, 0.0),  # tp 21 fp 0 fn 4, FA 0/25
    "hw-appav-": (0.99, 0.89, 0.0),  # tp 9 fp 0 fn 1, FA 0/40
    "hw-appay-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appba-": (0.99, 0.99, 0.0),  # tp 25 fp 0 fn 0, FA 0/25
    "hw-appbc-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appbe-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40
    "hw-appbg-": (0.99, 0.95, 0.0),  # tp 24 fp 0 fn 1, FA 0/25
    "hw-appbi-": (0.95, 0.95, 0.04),  # tp 24 fp 1 fn 1, FA 1/25
    "hw-appbk-": (0.89, 0.99, 0.0),  # tp 10 fp 1 fn 0, FA 0/40
    "hw-appd-": (0.94, 0.75, 0.04),  # tp 19 fp 1 fn 6, FA 1/25, never read
    "hw-apph-": (0.94, 0.67, 0.04),  # tp 17 fp 1 fn 8, FA 1/25, never read
    "hw-appi-": (0.99, 0.67, 0.0),  # tp 17 fp 0 fn 8, FA 0/25, never read
    "hw-appj-": (0.84, 0.71, 0.08),  # tp 18 fp 3 fn 7, FA 2/25, never read
    "hw-appk-": (0.99, 0.67, 0.0),  # tp 17 fp 0 fn 8, FA 0/25, never read
    "hw-appp-": (0.99, 0.89, 0.0),  # tp 9 fp 0 fn 1, FA 0/40, never read
    "hw-appt-": (0.76, 0.55, 0.16),  # tp 14 fp 4 fn 11, FA 4/25, never read
    "hw-appw-": (0.65, 0.79, 0.1),  # tp 8 fp 4 fn 2, FA 4/40, never read
    "hw-appx-": (0.95, 0.95, 0.0),  # tp 24 fp 1 fn 1, FA 0/25, never read
    "hw-appaa-": (0.74, 0.89, 0.08),  # tp 9 fp 3 fn 1, FA 3/40, never read
    "hw-appab-": (0.9, 0.87, 0.04),  # tp 22 fp 2 fn 3, FA 1/25, never read
    "hw-appad-": (0.89, 0.99, 0.03),  # tp 10 fp 1 fn 0, FA 1/40, never read
    "hw-appag-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40, never read
    "hw-appah-": (0.94, 0.75, 0.04),  # tp 19 fp 1 fn 6, FA 1/25, never read
    "hw-appak-": (0.99, 0.89, 0.0),  # tp 9 fp 0 fn 1, FA 0/40, never read
    "hw-appal-": (0.9, 0.83, 0.04),  # tp 21 fp 2 fn 4, FA 1/25, never read
    "hw-appao-": (0.65, 0.79, 0.1),  # tp 8 fp 4 fn 2, FA 4/40, never read
    "hw-appap-": (0.99, 0.79, 0.0),  # tp 20 fp 0 fn 5, FA 0/25, never read
    "hw-appas-": (0.99, 0.99, 0.0),  # tp 10 fp 0 fn 0, FA 0/40, never read
    "hw-appat-": (0.93, 0.63, 0.04),  # tp 16 fp 1 fn 9, FA 1/25, never read
    # one BREAKING pair lost in the tenth pass (0.91 before), not looked at
    "hw-appaw-": (0.99, 0.87, 0.0),  # tp 22 fp 0 fn 3, FA 0/25, never read
    "hw-appax-": (0.82, 0.99, 0.05),  # tp 10 fp 2 fn 0, FA 2/40, never read
    "hw-appaz-": (0.89, 0.75, 0.08),  # tp 19 fp 2 fn 6, FA 2/25, never read
    "hw-appbb-": (0.87, 0.79, 0.03),  # tp 8 fp 1 fn 2, FA 1/40, never read
    "hw-appbd-": (0.99, 0.75, 0.0),  # tp 19 fp 0 fn 6, FA 0/25, never read
    "hw-appbf-": (0.94, 0.87, 0.04),  # tp 22 fp 1 fn 3, FA 1/25, never read
    "hw-appbh-": (0.68, 0.89, 0.08),  # tp 9 fp 4 fn 1, FA 3/40, never read
    "hw-appbj-": (0.87, 0.79, 0.03),  # tp 8 fp 1 fn 2, FA 1/40, never read
    "hw-appbl-": (0.99, 0.83, 0.0),  # tp 21 fp 0 fn 4, FA 0/25, never read
}
REGRESSION_FLOOR_OUTPUTS: dict[tuple[str, str], tuple[float, float]] = {
    ("refusal", "dev"): (0.87, 0.75),
    ("refusal", "test"): (0.81, 0.67),
    ("degenerate", "dev"): (0.99, 0.68),
    ("degenerate", "test"): (0.89, 0.64),
}


@pytest.fixture(scope="module")
def real() -> list[Pair]:
    return load(PAIRS_FILE)


@pytest.fixture(scope="module")
def handwritten() -> list[Pair]:
    return load(HANDWRITTEN_FILE)


@pytest.fixture(scope="module")
def outcomes(real: list[Pair], handwritten: list[Pair]) -> dict[tuple[str, Mode], list[Outcome]]:
    runs: dict[tuple[str, Mode], list[Outcome]] = {}
    for name, pairs in (("real", real), ("handwritten", handwritten)):
        zero = [run(p, "zero-config") for p in pairs]
        runs[name, "zero-config"] = zero
        # Without a contract the contract mode compares exactly as zero-config does: the
        # outcome is reused rather than computed twice (CI time).
        runs[name, "contract"] = [
            o if o.pair.contract is None else run(o.pair, "contract") for o in zero
        ]
    runs["fresh", "zero-config"] = [run(p, "zero-config") for p in load(FRESH_FILE)]
    runs["fresh2", "zero-config"] = [run(p, "zero-config") for p in load(FRESH2_FILE)]
    apps = load(APPS_FILE)
    for part in REGRESSION_FLOOR_APPS:
        runs[part, "zero-config"] = [run(p, "zero-config") for p in apps if p.id.startswith(part)]
    return runs


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


def test_the_fresh_held_out_set_regression_floor(
    outcomes: dict[tuple[str, Mode], list[Outcome]],
) -> None:
    """Pairs from instructions the corpus never uses: the figures reached. A change that
    lowers them fails here; read the failure's figures, not the unread half's pairs, unless
    that half is given up as held out (README)."""
    overall = figures(outcomes["fresh", "zero-config"])
    assert _meets(overall, *REGRESSION_FLOOR_FRESH), _show(overall)
    second = figures(outcomes["fresh2", "zero-config"])
    assert _meets(second, *REGRESSION_FLOOR_FRESH2), _show(second)


@pytest.mark.parametrize("part", sorted(REGRESSION_FLOOR_APPS))
def test_the_app_shaped_pairs_regression_floor(
    outcomes: dict[tuple[str, Mode], list[Outcome]], part: str
) -> None:
    """A new user's app, written blind: the figures reached. For an unread set
    (``APPS_UNREAD``), read the failure's figures, not its pairs."""
    assert set(REGRESSION_FLOOR_APPS) == {*APPS_READ, *APPS_UNREAD}
    found = figures(outcomes[part, "zero-config"])
    assert found.n == 60 and _meets(found, *REGRESSION_FLOOR_APPS[part]), _show(found)


@pytest.mark.parametrize(("question", "split"), sorted(REGRESSION_FLOOR_OUTPUTS))
def test_single_output_detectors_regression_floor(question: str, split: str) -> None:
    """The refusal and degenerate-output detectors on hand-labelled single real outputs:
    wrong calls here are what turns into false alarms and misses on pairs."""
    found = detection(lb for lb in load_outputs() if lb.question == question and lb.split == split)
    precision, recall = REGRESSION_FLOOR_OUTPUTS[question, split]
    shown = f"P {found.precision} R {found.recall} (tp {found.tp} fp {found.fp} fn {found.fn})"
    assert (found.precision or 0.0) >= precision, shown
    assert (found.recall or 0.0) >= recall, shown

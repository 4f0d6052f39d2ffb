"""The equivalence corpus: well formed, traceable to AlpacaEval, and the fact diff's acceptance
figures on it — on the tuning part and on the held-out part it was not tuned on."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from eq_measure import CHANGES, Figures, held_out, load, measure

from promptcompat.rules import CATALOG

ALPACA_EVAL = Path(__file__).resolve().parents[4] / "shared" / "corpora" / "alpaca_eval"
CATEGORIES = {
    "paraphrase": "COMPATIBLE",
    "reorder": "COMPATIBLE",
    "format": "COMPATIBLE",
    "addition": "COMPATIBLE",
    "number": "facts.number_changed",
    "date": "facts.date_changed",
    "polarity": "facts.polarity_flipped",
    "entity": "facts.entity_changed",
    "dropped": "facts.fact_dropped",
    "invented": "facts.fact_added",
}


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, Any]]:
    return load()


@pytest.fixture(scope="module")
def figures(pairs: list[dict[str, Any]]) -> dict[str, Figures]:
    tune = [p for p in pairs if not held_out(p["id"])]
    holdout = [p for p in pairs if held_out(p["id"])]
    return {"tune": measure(tune)[0], "holdout": measure(holdout)[0]}


def test_the_corpus_is_large_labelled_and_explained(pairs: list[dict[str, Any]]) -> None:
    assert len(pairs) >= 400
    assert len({p["id"] for p in pairs}) == len(pairs)
    for p in pairs:
        assert CATEGORIES[p["category"]] == p["label"], p["id"]
        assert p["label"] == "COMPATIBLE" or p["label"] in CATALOG
        assert p["how"].strip() and p["reason"].strip(), p["id"]
        assert p["baseline"] != p["candidate"], p["id"]
        # every pair was read by hand; a corrected pair says what was wrong and what was done
        assert p["checked"] == "by hand", p["id"]
        assert "review" not in p or p["review"].strip(), p["id"]
    per_label = Counter(p["label"] for p in pairs)
    assert per_label["COMPATIBLE"] >= 200
    assert all(per_label[CATEGORIES[c]] >= 30 for c in CHANGES)
    held = sum(held_out(p["id"]) for p in pairs)
    assert 80 <= held <= 140  # about a quarter is held out


def test_every_baseline_is_a_real_alpaca_eval_output(pairs: list[dict[str, Any]]) -> None:
    for p in pairs:
        assert p["source"]["dataset"] == "alpaca_eval"
        assert p["id"].endswith(
            f"{p['source']['file'].removesuffix('.json')}-{p['source']['index']:03d}"
        )
    if not ALPACA_EVAL.is_dir():
        pytest.skip("../shared/corpora/alpaca_eval is not beside this checkout")
    sources: dict[str, list[dict[str, str]]] = {}
    for p in pairs:
        name = p["source"]["file"]
        if name not in sources:
            sources[name] = json.loads((ALPACA_EVAL / name).read_text(encoding="utf-8"))
        row = sources[name][p["source"]["index"]]
        assert (row["output"], row["instruction"]) == (p["baseline"], p["instruction"]), p["id"]


@pytest.mark.parametrize("part", ["tune", "holdout"])
def test_the_fact_diff_alone_meets_the_bar(figures: dict[str, Figures], part: str) -> None:
    fig = figures[part]
    # the acceptance: number, date, polarity and entity changes
    assert fig.precision >= 0.95, fig
    assert fig.recall >= 0.8, fig
    assert fig.paraphrase_alarm_rate <= 0.02, fig
    assert fig.false_alarm_rate <= 0.02, fig
    for category in CHANGES:
        hit, total = fig.recall_by_category[category]
        assert hit / total >= 0.8, (category, hit, total)


def test_build_refuses_to_overwrite_the_reviewed_pairs() -> None:
    build = Path(__file__).with_name("build.py")
    before = build.with_name("pairs.jsonl").read_bytes()
    run = subprocess.run([sys.executable, str(build)], capture_output=True, text=True)
    assert run.returncode == 2
    assert "hand-reviewed" in run.stderr
    assert build.with_name("pairs.jsonl").read_bytes() == before

"""Measure the fact diff alone on the equivalence corpus (``pairs.jsonl``).

Each pair runs as one baseline and one candidate sample through ``diff.compare_case`` with the
pair's instruction as the rendered request (a run knows it), zero-config; only the ``facts.*``
findings that count (WARN or ERR) are read.

- precision and recall on the changes the issue names (number, date, polarity, entity): a true
  positive is a changed pair on which its labelled rule fires; a false positive is a
  COMPATIBLE pair on which any fact rule fires;
- the false-alarm rate on the paraphrase-only pairs (and on every COMPATIBLE pair);
- recall per category, dropped and invented facts included.

    .venv/bin/python tests/compat/equivalence/eq_measure.py                 # tuning part
    .venv/bin/python tests/compat/equivalence/eq_measure.py --split holdout # held-out part
    .venv/bin/python tests/compat/equivalence/eq_measure.py --split all --errors
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.suite.contract import Contract

PAIRS_FILE = Path(__file__).resolve().parent / "pairs.jsonl"
CHANGES = ("number", "date", "polarity", "entity")
ACCEPTED = {
    "facts.entity_changed": {"facts.entity_changed", "facts.fact_added"},
}
"""Rules that also report a labelled change correctly: a swapped name the alignment did not
pair is still reported as a name no baseline sample or request contains (the finding names the
new entity). ``strict`` figures count only the labelled rule."""
Split = Literal["all", "tune", "holdout"]


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines()]


def held_out(pair_id: str) -> bool:
    """The held-out quarter: ``sha256(id)[0] % 4 == 0``, never read while tuning."""
    return hashlib.sha256(pair_id.encode()).digest()[0] % 4 == 0


def in_split(pair: dict[str, Any], split: Split) -> bool:
    return split == "all" or held_out(pair["id"]) == (split == "holdout")


def fired(pair: dict[str, Any]) -> dict[str, str]:
    """The fact rules that count on the pair (WARN or ERR), with their messages."""
    diff = compare_case(
        baseline=[Sample(text=pair["baseline"])],
        candidate=[Sample(text=pair["candidate"])],
        contract=Contract(),
        instructions=pair["instruction"],
    )
    return {
        f.rule: f.message
        for f in diff.findings
        if f.rule.startswith("facts.") and f.severity in ("ERR", "WARN")
    }


@dataclass(frozen=True)
class Figures:
    n: int
    tp: int
    fp: int
    positives: int
    compatible: int
    false_alarms: int
    paraphrases: int
    paraphrase_alarms: int
    recall_by_category: dict[str, tuple[int, int]]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.compatible if self.compatible else 0.0

    @property
    def paraphrase_alarm_rate(self) -> float:
        return self.paraphrase_alarms / self.paraphrases if self.paraphrases else 0.0


def measure(
    pairs: list[dict[str, Any]], *, strict: bool = False
) -> tuple[Figures, list[tuple[dict[str, Any], dict[str, str]]]]:
    tp = fp = positives = compatible = alarms = paraphrases = paraphrase_alarms = 0
    by_category: Counter[str] = Counter()
    hit_category: Counter[str] = Counter()
    errors = []
    for pair in pairs:
        rules = fired(pair)
        if pair["label"] == "COMPATIBLE":
            compatible += 1
            paraphrases += pair["category"] == "paraphrase"
            if rules:
                alarms += 1
                paraphrase_alarms += pair["category"] == "paraphrase"
                fp += 1
                errors.append((pair, rules))
            continue
        by_category[pair["category"]] += 1
        accepted = {pair["label"]} if strict else ACCEPTED.get(pair["label"], {pair["label"]})
        ok = bool(accepted & rules.keys())
        hit_category[pair["category"]] += ok
        if pair["category"] in CHANGES:
            positives += 1
            tp += ok
        if not ok:
            errors.append((pair, rules))
    return (
        Figures(
            n=len(pairs),
            tp=tp,
            fp=fp,
            positives=positives,
            compatible=compatible,
            false_alarms=alarms,
            paraphrases=paraphrases,
            paraphrase_alarms=paraphrase_alarms,
            recall_by_category={c: (hit_category[c], by_category[c]) for c in sorted(by_category)},
        ),
        errors,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("all", "tune", "holdout"), default="tune")
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--strict", action="store_true", help="only the labelled rule counts")
    args = parser.parse_args()
    pairs = [p for p in load() if in_split(p, args.split)]
    fig, errors = measure(pairs, strict=args.strict)
    print(f"== {args.split}: {fig.n} pairs ({fig.compatible} COMPATIBLE)")
    print(
        f"number/date/polarity/entity: precision {fig.precision:.3f} "
        f"({fig.tp} tp, {fig.fp} fp), recall {fig.recall:.3f} ({fig.tp}/{fig.positives})"
    )
    print(
        f"false alarms: paraphrase-only {fig.paraphrase_alarm_rate:.3f} "
        f"({fig.paraphrase_alarms}/{fig.paraphrases}), all COMPATIBLE "
        f"{fig.false_alarm_rate:.3f} ({fig.false_alarms}/{fig.compatible})"
    )
    for category, (hit, total) in fig.recall_by_category.items():
        print(f"  recall {category:<10} {hit}/{total} = {hit / total:.2f}")
    if args.errors:
        for pair, rules in errors:
            print(f"\n{pair['id']} [{pair['label']}] {pair['how'][:120]}")
            for rule, message in rules.items():
                print(f"   {rule}: {message[:200]}")


if __name__ == "__main__":
    main()

"""Measure promptcompat's verdicts on the real-output corpus against the hand labels.

Each pair runs through the current comparison code the way a run compares one case
(``diff.compare_case`` plus the privacy rule, then ``rules.verdict_for``), with one baseline
sample and one candidate sample, in two modes:

- ``zero-config``: no contract at all, as a user who declared nothing gets;
- ``contract``: the pair's contract (what its instruction explicitly asks), else none.

It prints, overall, per aspect and per model family: precision and recall of BREAKING, the
false-alarm rate (engine BREAKING on pairs labelled COMPATIBLE), exact verdict agreement, a
confusion matrix, and which rules cause the false alarms and which labels the misses carry.

    .venv/bin/python tests/compat/real/measure.py                 # both files, both modes
    .venv/bin/python tests/compat/real/measure.py --mode zero-config --errors
    .venv/bin/python tests/compat/real/measure.py --json > figures.json
    .venv/bin/python tests/compat/real/measure.py --file pairs --split holdout
    .venv/bin/python tests/compat/real/measure.py --agreement   # second labeller vs first
    .venv/bin/python tests/compat/real/measure.py --file unread --mode zero-config
    .venv/bin/python tests/compat/real/measure.py --outputs
    .venv/bin/python tests/compat/real/measure.py --file apps --mode zero-config
    .venv/bin/python tests/compat/real/measure.py --file apps_unread --mode zero-config

``--outputs``: the single-output labels (``outputs.jsonl``): precision and recall of the
refusal and degenerate-output detectors per split, ``dev`` (read while tuning) and ``test``.

``--file unread``: the pairs no one has read while tuning, the fresh set's half B
(``sha256(id)[0]`` odd) and ``fresh2.jsonl``; the honest figure of how the verdicts hold on
pairs nobody tuned on. It has no ``--errors``: reading its misses would spend it.

``--file apps`` / ``--file apps_unread``: pairs shaped like a new user's app, written and
labelled blind, sixty per writer; the sets in ``APPS_READ`` were read while fixing, those in
``APPS_UNREAD`` never (no ``--errors``).

``--split``: the real pairs were tuned against on ``dev`` only; ``holdout`` is the quarter
whose ``sha256(id)`` starts with a byte divisible by 4, kept unread while the detectors were
tuned (README, "After"). ``test_real_corpus_verdicts.py`` asserts the figures.
"""

# All imports in one place: when promptcompat's modules move into packages, only these lines
# change.
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from real_corpus import (
    APPS_FILE,
    APPS_READ,
    APPS_UNREAD,
    FRESH2_FILE,
    FRESH_FILE,
    HANDWRITTEN_FILE,
    PAIRS_FILE,
    POSITIVE,
    CorpusError,
    OutputLabel,
    Pair,
    SecondOutputLabel,
    load,
    load_outputs,
    load_second_labels,
    load_second_outputs,
)

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.compat.drift import Output
from promptcompat.compat.pii_rule import pii_findings
from promptcompat.compat.refusals import is_refusal
from promptcompat.rules import Finding, verdict_for
from promptcompat.suite.contract import Contract
from promptcompat.suite.types import Message

Mode = Literal["zero-config", "contract"]
MODES: tuple[Mode, ...] = ("zero-config", "contract")
ENGINE_VERDICTS = ("COMPATIBLE", "CHANGED", "BREAKING", "ERROR")


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    verdict: str
    findings: tuple[Finding, ...]

    @property
    def expected(self) -> str:
        return self.pair.expected.verdict

    @property
    def fired(self) -> set[str]:
        """Rules whose findings decided the verdict (ERR and WARN)."""
        return {f.rule for f in self.findings if f.severity in ("ERR", "WARN")}


def _sample(text: str, finish_reason: str | None) -> Sample:
    return Sample(text=text, finish_reason=finish_reason)


Split = Literal["all", "dev", "holdout"]


def in_split(pair: Pair, split: Split) -> bool:
    """The held-out quarter: ``sha256(id)[0] % 4 == 0`` (hand-written pairs are all dev)."""
    if split == "all":
        return True
    held_out = (
        pair.family != "handwritten" and hashlib.sha256(pair.id.encode()).digest()[0] % 4 == 0
    )
    return held_out == (split == "holdout")


def unread(pair: Pair) -> bool:
    """The fresh set's half B: ``sha256(id)[0]`` odd (half A was read for error analysis)."""
    return hashlib.sha256(pair.id.encode()).digest()[0] % 2 == 1


@dataclass(frozen=True)
class _Hits:
    """True and false positives and misses: precision and recall."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass(frozen=True)
class Detection(_Hits):
    """A detector's precision and recall on labelled single outputs ("unsure" left out)."""

    tn: int

    @classmethod
    def of(cls, calls: Counter[tuple[bool, bool]]) -> Detection:
        """From counts of (called positive, labelled positive)."""
        return cls(
            tp=calls[True, True],
            fp=calls[True, False],
            fn=calls[False, True],
            tn=calls[False, False],
        )


def detects(label: OutputLabel) -> bool:
    """What the engine says of the labelled output: a refusal, or degenerate text."""
    if label.question == "refusal":
        return is_refusal(label.output, label.instruction)
    return Output(label.output, label.instruction).degenerate is not None


def detection(labels: Iterable[OutputLabel]) -> Detection:
    return Detection.of(
        Counter((detects(label), label.positive) for label in labels if label.label != "unsure")
    )


@dataclass(frozen=True)
class Agreement:
    """Two labellings of the same outputs: exact agreement, Cohen's kappa, the second scored
    as if an engine against the first, and the engine itself on the same outputs."""

    n: int
    agreement: float | None
    kappa: float | None
    second: Detection
    engine: Detection


def labeller_agreement(
    first: list[OutputLabel], second: list[SecondOutputLabel]
) -> dict[str, Agreement]:
    by_key = {(lb.id, lb.question): lb for lb in first}
    result: dict[str, Agreement] = {}
    for question in ("refusal", "degenerate"):
        both = [
            (by_key[s.id, s.question], s.label in POSITIVE)
            for s in second
            if s.question == question
            and s.label != "unsure"
            and by_key[s.id, s.question].label != "unsure"
        ]
        n = len(both)
        if not n:
            continue
        seconds: Counter[tuple[bool, bool]] = Counter((s, f.positive) for f, s in both)
        agree = seconds[True, True] + seconds[False, False]
        p_first = sum(f.positive for f, _ in both) / n
        p_second = sum(s for _, s in both) / n
        chance = p_first * p_second + (1 - p_first) * (1 - p_second)
        result[question] = Agreement(
            n=n,
            agreement=agree / n,
            kappa=(agree / n - chance) / (1 - chance) if chance < 1 else None,
            second=Detection.of(seconds),
            engine=detection(f for f, _ in both),
        )
    return result


def _request(instruction: str) -> list[Message]:
    """The pair's instruction as the messages an app sends: "System: ..." up to the first
    "User:" paragraph is the system message."""
    if instruction.startswith("System:"):
        system, sep, user = instruction.partition("\n\nUser:")
        system = system.removeprefix("System:").strip()
        if sep:
            return [Message("system", system), Message("user", user.strip())]
        return [Message("system", system)]
    return [Message("user", instruction)]


def run(pair: Pair, mode: Mode) -> Outcome:
    contract = Contract()
    if mode == "contract" and pair.contract is not None:
        contract = Contract.model_validate(pair.contract)
    finish = pair.finish_reason
    base = [_sample(pair.baseline, finish.baseline if finish else None)]
    cand = [_sample(pair.candidate, finish.candidate if finish else None)]
    diff = compare_case(
        baseline=base, candidate=cand, contract=contract, instructions=pair.instruction
    )
    findings = [*diff.findings, *pii_findings(base, cand, _request(pair.instruction))]
    verdict = verdict_for(findings, errored=diff.verdict == "ERROR")
    return Outcome(pair, verdict, tuple(findings))


@dataclass(frozen=True)
class Figures(_Hits):
    n: int
    compatible: int
    false_alarms: int
    agree: int

    @property
    def false_alarm_rate(self) -> float | None:
        return self.false_alarms / self.compatible if self.compatible else None

    @property
    def agreement(self) -> float | None:
        return self.agree / self.n if self.n else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "breaking_precision": self.precision,
            "breaking_recall": self.recall,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "false_alarm_rate": self.false_alarm_rate,
            "false_alarms": self.false_alarms,
            "compatible": self.compatible,
            "agreement": self.agreement,
        }


def figures(outcomes: Iterable[Outcome]) -> Figures:
    items = list(outcomes)
    return Figures(
        n=len(items),
        tp=sum(o.verdict == "BREAKING" and o.expected == "BREAKING" for o in items),
        fp=sum(o.verdict == "BREAKING" and o.expected != "BREAKING" for o in items),
        fn=sum(o.verdict != "BREAKING" and o.expected == "BREAKING" for o in items),
        compatible=sum(o.expected == "COMPATIBLE" for o in items),
        false_alarms=sum(o.verdict == "BREAKING" and o.expected == "COMPATIBLE" for o in items),
        agree=sum(o.verdict == o.expected for o in items),
    )


def confusion(outcomes: Iterable[Outcome]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {
        e: dict.fromkeys(ENGINE_VERDICTS, 0) for e in ("COMPATIBLE", "CHANGED", "BREAKING")
    }
    for o in outcomes:
        table[o.expected][o.verdict] += 1
    return table


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.2f}"


def _table(title: str, groups: dict[str, list[Outcome]]) -> list[str]:
    lines = [
        f"{title:<18} {'n':>4} {'P(BRK)':>6} {'R(BRK)':>6} {'FA':>6} {'agree':>6}   tp  fp  fn",
    ]
    for name, items in groups.items():
        f = figures(items)
        lines.append(
            f"{name:<18} {f.n:>4} {_pct(f.precision)} {_pct(f.recall)} "
            f"{_pct(f.false_alarm_rate)} {_pct(f.agreement)}  {f.tp:>3} {f.fp:>3} {f.fn:>3}"
        )
    return lines


def _grouped(outcomes: list[Outcome], key: Callable[[Outcome], str]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[key(o)].append(o)
    return dict(sorted(groups.items()))


def report(name: str, outcomes: list[Outcome], *, errors: bool) -> list[str]:
    lines = [f"== {name}: {len(outcomes)} pairs", ""]
    lines += _table("overall", {"all": outcomes})
    lines.append("")
    lines += _table("aspect", _grouped(outcomes, lambda o: o.pair.aspect))
    lines.append("")
    lines += _table("family", _grouped(outcomes, lambda o: o.pair.family))
    lines += ["", "confusion (rows: label, columns: engine)"]
    lines.append(f"{'':<12}" + "".join(f"{v:>12}" for v in ENGINE_VERDICTS))
    for label, row in confusion(outcomes).items():
        lines.append(f"{label:<12}" + "".join(f"{row[v]:>12}" for v in ENGINE_VERDICTS))
    false_alarms = [o for o in outcomes if o.verdict == "BREAKING" and o.expected != "BREAKING"]
    misses = [o for o in outcomes if o.expected == "BREAKING" and o.verdict != "BREAKING"]
    causes = Counter(
        r for o in false_alarms for r in {f.rule for f in o.findings if f.severity == "ERR"}
    )
    lines += ["", "ERR rules behind BREAKING on pairs not labelled BREAKING:"]
    lines += [f"  {rule:<28} {count}" for rule, count in causes.most_common()]
    miss_rules = Counter(r for o in misses for r in (o.pair.expected.rules or ["(none)"]))
    lines += ["", "expected rules on the BREAKING pairs the engine missed:"]
    lines += [f"  {rule:<28} {count}" for rule, count in miss_rules.most_common()]
    if errors:
        lines += ["", "false alarms (id: label -> engine [ERR rules]):"]
        for o in false_alarms:
            errs = sorted({f.rule for f in o.findings if f.severity == "ERR"})
            lines.append(f"  {o.pair.id}: {o.expected} -> {o.verdict} {errs}")
        lines += ["", "missed BREAKING (id: engine [fired] / expected rules):"]
        for o in misses:
            lines.append(f"  {o.pair.id}: {o.verdict} {sorted(o.fired)} / {o.pair.expected.rules}")
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both")
    parser.add_argument(
        "--file",
        choices=["pairs", "handwritten", "all", "fresh", "fresh2", "unread", "apps", "apps_unread"],
        default="all",
    )
    parser.add_argument("--split", choices=["all", "dev", "holdout"], default="all")
    parser.add_argument("--errors", action="store_true", help="list false alarms and misses")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    parser.add_argument(
        "--outputs",
        action="store_true",
        help="the refusal and degenerate-output detectors on the single-output labels",
    )
    parser.add_argument(
        "--agreement",
        action="store_true",
        help="the fresh set's second labelling scored against its first, as if an engine",
    )
    args = parser.parse_args(argv)
    if args.outputs:
        print(
            f"{'question':12} {'split':6} {'n':>5} {'P':>6} {'R':>6} {'tp':>5} {'fp':>5} {'fn':>5}"
        )
        labels = load_outputs()
        for question in ("refusal", "degenerate"):
            for split in ("dev", "test"):
                d = detection(lb for lb in labels if lb.question == question and lb.split == split)
                print(
                    f"{question:12} {split:6} {d.tp + d.fp + d.fn + d.tn:5} "
                    f"{_pct(d.precision)} {_pct(d.recall)} {d.tp:5} {d.fp:5} {d.fn:5}"
                )
        print("\nsecond labeller against the first (both sure), and the engine on the same outputs")
        for question, a in labeller_agreement(labels, load_second_outputs()).items():
            print(
                f"{question:12} n {a.n:4}  agree {_pct(a.agreement)}  kappa {_pct(a.kappa)}  "
                f"second: P {_pct(a.second.precision)} R {_pct(a.second.recall)}  "
                f"engine: P {_pct(a.engine.precision)} R {_pct(a.engine.recall)}"
            )
        return 0
    if args.agreement:
        second = load_second_labels()
        scored = [Outcome(p, second[p.id].verdict, ()) for p in load(FRESH_FILE)]
        sys.stdout.write("\n".join(report("fresh/second-labeller", scored, errors=False)))
        return 0
    if args.file in ("unread", "apps_unread") and args.errors:
        print(
            f"measure.py: --errors would read the unread pairs; not with --file {args.file}",
            file=sys.stderr,
        )
        return 2
    files = {
        "unread": [FRESH_FILE, FRESH2_FILE],
        "pairs": [PAIRS_FILE],
        "handwritten": [HANDWRITTEN_FILE],
        "all": [PAIRS_FILE, HANDWRITTEN_FILE],
        "fresh": [FRESH_FILE],
        "fresh2": [FRESH2_FILE],
        "apps": [APPS_FILE],
        "apps_unread": [APPS_FILE],
    }[args.file]
    apps_part = APPS_UNREAD if args.file == "apps_unread" else APPS_READ
    try:
        corpora = {
            path.stem: [
                p
                for p in load(path)
                if in_split(p, args.split)
                and (args.file != "unread" or path != FRESH_FILE or unread(p))
                and (path != APPS_FILE or p.id.startswith(apps_part))
            ]
            for path in files
        }
    except CorpusError as exc:
        print(exc, file=sys.stderr)
        return 2
    if len(corpora) > 1:
        corpora["all"] = [p for pairs in list(corpora.values()) for p in pairs]
    modes = MODES if args.mode == "both" else (args.mode,)
    result: dict[str, Any] = {}
    out: list[str] = []
    for mode in modes:
        for corpus, pairs in corpora.items():
            outcomes = [run(p, mode) for p in pairs]
            key = f"{corpus}/{mode}"
            result[key] = {
                "overall": figures(outcomes).to_dict(),
                "aspect": {
                    k: figures(v).to_dict()
                    for k, v in _grouped(outcomes, lambda o: o.pair.aspect).items()
                },
                "family": {
                    k: figures(v).to_dict()
                    for k, v in _grouped(outcomes, lambda o: o.pair.family).items()
                },
                "confusion": confusion(outcomes),
            }
            out += report(key, outcomes, errors=args.errors)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

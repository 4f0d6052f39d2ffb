"""Measuring the judge on a labelled set: agreement, Cohen's kappa, false positives and
negatives, order consistency (``promptcompat judge calibrate``).

Each labelled pair (``store.judging.LabelledPair``: baseline, candidate, equivalent or
different, the reason) is judged exactly as a run judges a case (both orders, K samples, the
same cache), outside any run. An *undecided* pair is a prediction of its own, so it always
counts as a disagreement: a judge cannot raise its kappa by refusing to decide. The figures
are stored (``judge_calibration``, the report and the review page show the latest beside the
judge's findings) and gate them: below ``judge_min_kappa`` they cannot fail CI.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from promptcompat.compat.facts import fact_findings
from promptcompat.compat.judge import QUESTION_VERSION, Pair, judge_pairs, run_blocking
from promptcompat.config import Settings
from promptcompat.errors import ConfigError
from promptcompat.store import judging, projects, session_scope
from promptcompat.store.judging import LabelledPair
from promptcompat.suite.targets import parse_target

Prediction = str
"""``equivalent``, ``different`` or ``undecided``."""
FactDiff = Callable[[Sequence[LabelledPair]], list[Prediction]]
"""The deterministic fact diff's verdict per pair (``different`` when it finds a changed fact,
else ``equivalent``): the hook ``compat.facts.fact_findings`` plugs into (issue 18, item 1)."""


def fact_diff_predictions(pairs: Sequence[LabelledPair]) -> list[Prediction]:
    """The fact diff alone on each pair: ``different`` where it finds a changed, dropped or
    added fact that is not noise (any severity above INFO), else ``equivalent``. Outputs it does
    not read (not English) count as ``equivalent``: it never decides what it cannot see."""
    return [
        "different"
        if any(f.severity != "INFO" for f in fact_findings([p.baseline], p.candidate))
        else "equivalent"
        for p in pairs
    ]


@dataclass(frozen=True)
class Figures:
    pairs: int
    agreement: float | None
    kappa: float | None
    false_positive_rate: float | None
    """Of the pairs labelled equivalent, the share the judge called different (false alarms)."""
    false_negative_rate: float | None
    """Of the pairs labelled different, the share the judge called equivalent (misses)."""
    undecided: int
    order_consistency: float | None
    """Share of pairs whose two orders' majorities agreed."""
    equivalent: int = 0
    different: int = 0

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def cohen_kappa(labels: Sequence[str], predictions: Sequence[str]) -> float | None:
    """Cohen's kappa: (observed - chance agreement) / (1 - chance agreement); None when it is
    undefined (no pairs, or chance agreement is 1: every label and prediction the same)."""
    n = len(labels)
    if n == 0 or n != len(predictions):
        return None
    observed = sum(a == b for a, b in zip(labels, predictions, strict=True)) / n
    by_label, by_prediction = Counter(labels), Counter(predictions)
    chance = sum(by_label[c] * by_prediction[c] for c in by_label) / (n * n)
    if chance == 1.0:
        return None
    return (observed - chance) / (1.0 - chance)


def figures(
    labels: Sequence[str], predictions: Sequence[Prediction], *, consistent: int | None = None
) -> Figures:
    """The figures of ``predictions`` against ``labels`` (``consistent``: pairs whose orders
    agreed; None for a one-order predictor such as the fact diff)."""
    n = len(labels)
    equivalent = [p for lab, p in zip(labels, predictions, strict=True) if lab == "equivalent"]
    different = [p for lab, p in zip(labels, predictions, strict=True) if lab == "different"]
    agreement = sum(a == b for a, b in zip(labels, predictions, strict=True)) / n if n else None
    kappa = cohen_kappa(labels, predictions)
    return Figures(
        pairs=n,
        agreement=_round(agreement),
        kappa=_round(kappa),
        false_positive_rate=_round(
            sum(p == "different" for p in equivalent) / len(equivalent) if equivalent else None
        ),
        false_negative_rate=_round(
            sum(p == "equivalent" for p in different) / len(different) if different else None
        ),
        undecided=sum(p == "undecided" for p in predictions),
        order_consistency=_round(consistent / n if n and consistent is not None else None),
        equivalent=len(equivalent),
        different=len(different),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def read_labels(path: Path) -> list[LabelledPair]:
    """The labelled pairs of a jsonl file; a bad line is a ConfigError naming file and line.

    Raises:
        ConfigError: unreadable file, a line that is not JSON or not a labelled pair, no pairs.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the labels: {exc.strerror}", where=str(path)) from None
    pairs: list[LabelledPair] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            pairs.append(LabelledPair.model_validate(json.loads(line)))
        except ValueError as exc:
            detail = (
                "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors()
                )
                if isinstance(exc, ValidationError)
                else "not JSON"
            )
            raise ConfigError(
                "expected {baseline, candidate, label: equivalent|different, reason}: " + detail,
                where=where,
            ) from None
    if not pairs:
        raise ConfigError("no labelled pairs in the file", where=str(path))
    return pairs


@dataclass(frozen=True)
class Calibration:
    judge: str
    question: str
    labels: str
    judge_figures: Figures
    fact_figures: Figures | None
    """The deterministic fact diff on the same pairs, when it is wired in (``fact_diff``)."""
    disagreements: list[dict[str, str]]
    """The pairs the judge got wrong: label, prediction, reason (the first 20)."""


def calibrate(
    *,
    engine: Engine,
    settings: Settings,
    judge: str,
    pairs: Sequence[LabelledPair],
    source: str,
    fact_diff: FactDiff | None = None,
) -> Calibration:
    """Judge every labelled pair, compute and store the figures (in the settings' project).

    ``fact_diff``: the deterministic layer's predictions, measured beside the judge's.
    """
    target = parse_target(judge)
    to_judge = [
        Pair(
            ident=str(i),
            prompt="calibration",
            case_id=f"pair-{i}",
            description=p.description,
            baseline=p.baseline,
            candidate=p.candidate,
        )
        for i, p in enumerate(pairs)
    ]
    judged = run_blocking(
        judge_pairs(to_judge, target=target, engine=engine, settings=settings, run_id=None)
    )
    labels = [p.label for p in pairs]
    predictions = [judged[str(i)].verdict for i in range(len(pairs))]
    consistent = sum(judged[str(i)].order_consistent for i in range(len(pairs)))
    judge_figures = figures(labels, predictions, consistent=consistent)
    fact_figures = figures(labels, fact_diff(pairs)) if fact_diff is not None else None
    wrong = [
        {"label": lab, "judge": pred, "reason": p.reason, "source": p.source}
        for lab, pred, p in zip(labels, predictions, pairs, strict=True)
        if lab != pred
    ]
    stored: dict[str, Any] = {**judge_figures.to_dict(), "samples": settings.judge_samples}
    if fact_figures is not None:
        stored["fact_diff"] = fact_figures.to_dict()
    with session_scope(engine) as session:
        projects.bind(session, settings.project)
        judging.save_calibration(
            session=session,
            judge=target.label,
            question=QUESTION_VERSION,
            labels=source,
            pairs=len(pairs),
            figures=stored,
            kappa=judge_figures.kappa,
        )
    return Calibration(
        judge=target.label,
        question=QUESTION_VERSION,
        labels=source,
        judge_figures=judge_figures,
        fact_figures=fact_figures,
        disagreements=wrong[:20],
    )

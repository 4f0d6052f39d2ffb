"""The real-output corpus: its record schema, closed label sets and loaders.

Shared by ``measure.py`` and ``test_real_corpus_files.py``; the data is ``pairs.jsonl`` (real
AlpacaEval outputs, selected by ``select_pairs.py`` and labelled by hand) and
``handwritten.jsonl`` (hand-written pairs for classes the real corpus lacks). README.md beside
this file documents the labelling principles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

HERE = Path(__file__).resolve().parent
PAIRS_FILE = HERE / "pairs.jsonl"
HANDWRITTEN_FILE = HERE / "handwritten.jsonl"
# A fresh held-out set: real pairs from instructions pairs.jsonl never uses, labelled by hand
# without looking at the engine, measured but never read while tuning (README, "Fresh set").
FRESH_FILE = HERE / "fresh.jsonl"
# A second fresh set, from instructions neither file above uses, labelled once the engine of
# the third pass was frozen: measured, never read.
FRESH2_FILE = HERE / "fresh2.jsonl"
# A second, independent labelling of the fresh set (the labeller saw neither the first labels
# nor the engine): how far two careful labellers agree bounds what a figure can mean.
SECOND_LABELS_FILE = HERE / "fresh_second_labels.jsonl"
# Single outputs labelled for one question each (does it refuse? is it degenerate?): 2,187
# real AlpacaEval outputs of every model, from instructions outside the unread pairs (README,
# "Fourth pass"). A third of them (``split: test``) was never read while tuning.
OUTPUTS_FILE = HERE / "outputs.jsonl"
# A second, blind labelling of part of the single outputs' test split: how far two labellers
# agree on "does it refuse?" and "is it degenerate?".
OUTPUTS_SECOND_FILE = HERE / "outputs_second_labels.jsonl"
# Pairs shaped like a new user's app (support bots, extraction, SMS, agents, exams, ...),
# sixty per writer, written and labelled by writers who saw neither the engine nor its tests
# (README, "Fifth pass"). Each set was measured once before anyone read it; the sets in
# APPS_READ were then read while fixing, those in APPS_UNREAD never.
APPS_FILE = HERE / "apps.jsonl"
APPS_READ = (
    "hw-appa-",
    "hw-appb-",
    "hw-appc-",
    "hw-appe-",
    "hw-appf-",
    "hw-appg-",
    # sixth pass
    "hw-appl-",
    "hw-appm-",
    "hw-appn-",
    "hw-appo-",
    "hw-appq-",
    "hw-appr-",
    "hw-apps-",
    # seventh pass
    "hw-appu-",
    "hw-appv-",
    # eighth pass
    "hw-appy-",
    "hw-appz-",
    "hw-appac-",
    # ninth pass
    "hw-appae-",
    "hw-appaf-",
    "hw-appai-",
    "hw-appaj-",
    "hw-appam-",
    "hw-appan-",
    "hw-appaq-",
    "hw-appar-",
    "hw-appau-",
    "hw-appav-",
    # tenth pass
    "hw-appay-",
    "hw-appba-",
    "hw-appbc-",
    "hw-appbe-",
    "hw-appbg-",
    "hw-appbi-",
    "hw-appbk-",
)
APPS_UNREAD = (
    "hw-appd-",
    "hw-apph-",
    "hw-appi-",
    "hw-appj-",
    "hw-appk-",
    "hw-appp-",
    "hw-appt-",
    # seventh pass
    "hw-appw-",
    "hw-appx-",
    # eighth pass
    "hw-appaa-",
    "hw-appab-",
    "hw-appad-",
    # ninth pass
    "hw-appag-",
    "hw-appah-",
    "hw-appak-",
    "hw-appal-",
    "hw-appao-",
    "hw-appap-",
    "hw-appas-",
    "hw-appat-",
    "hw-appaw-",
    "hw-appax-",
    # tenth pass
    "hw-appaz-",
    "hw-appbb-",
    "hw-appbd-",
    "hw-appbf-",
    "hw-appbh-",
    "hw-appbj-",
    "hw-appbl-",
)

Verdict = Literal["COMPATIBLE", "CHANGED", "BREAKING"]
Aspect = Literal[
    "free_text",
    "step_by_step",
    "list_format",
    "table",
    "code_fence",
    "json",
    "refusal",
    "language",
    "yes_no",
    "number",
    "short_answer",
    "length_constraint",
    "format_marker",
    "truncation",
    "degenerate",
]
Family = Literal["gpt-3.5", "gpt-4", "claude", "llama", "mistral", "qwen", "handwritten"]
FinishReason = Literal["stop", "length"]

VERDICTS: tuple[str, ...] = get_args(Verdict)
ASPECTS: tuple[str, ...] = get_args(Aspect)
FAMILIES: tuple[str, ...] = get_args(Family)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expected(_Strict):
    verdict: Verdict
    rules: list[str]
    """Rule ids (promptcompat's catalog) a correct engine fires on this pair, with the
    record's contract applied; [] when none should."""
    reason: str = Field(min_length=10)


class SourceRef(_Strict):
    file: str = Field(pattern=r"^[\w.\-]+\.json$")
    index: int = Field(ge=0)


class AlpacaSource(_Strict):
    dataset: Literal["alpaca_eval"]
    subset: str
    baseline: SourceRef
    candidate: SourceRef


class FinishReasons(_Strict):
    baseline: FinishReason
    candidate: FinishReason


class Pair(_Strict):
    id: str = Field(pattern=r"^(ae|hw)-[\w.\-]+$")
    source: AlpacaSource | Literal["handwritten"]
    family: Family
    pair: str = Field(min_length=3)
    instruction: str = Field(min_length=1)
    baseline: str
    candidate: str
    aspect: Aspect
    contract: dict[str, Any] | None
    """promptcompat ``Contract`` fields, derived only from what the instruction asks."""
    expected: Expected
    finish_reason: FinishReasons | None = None
    """Per side, for hand-written pairs (``length``: cut off at the token limit)."""


class CorpusError(ValueError):
    """A corpus line that does not parse or does not fit the schema; names file and line."""


M = TypeVar("M", bound=BaseModel)


def _records(path: Path, model: type[M]) -> list[M]:
    """Every non-blank line of ``path`` as a ``model``; a bad one names file and line."""
    records = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(model.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0:3]
            raise CorpusError(f"{path.name}:{number}: {' '.join(first)}") from exc
    return records


def load(path: Path) -> list[Pair]:
    return _records(path, Pair)


class SecondLabel(_Strict):
    id: str
    expected: Expected


def load_second_labels() -> dict[str, Expected]:
    labels: dict[str, Expected] = {}
    for number, line in enumerate(SECOND_LABELS_FILE.read_text("utf-8").splitlines(), start=1):
        try:
            label = SecondLabel.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise CorpusError(f"{SECOND_LABELS_FILE.name}:{number}: {exc}") from exc
        labels[label.id] = label.expected
    return labels


Question = Literal["refusal", "degenerate"]
OutputVerdict = Literal["refusal", "answer", "degenerate", "sound", "unsure"]
Degeneration = Literal["loop", "unrelated_tail", "cut", "garbage"]
POSITIVE = frozenset({"refusal", "degenerate"})
"""The labels that say yes to the question."""
_ANSWERS: dict[str, frozenset[str]] = {
    "refusal": frozenset({"refusal", "answer", "unsure"}),
    "degenerate": frozenset({"degenerate", "sound", "unsure"}),
}


def _check_answer(question: str, label: str, kind: str | None) -> None:
    if label not in _ANSWERS[question]:
        raise ValueError(f"label {label!r} does not answer {question!r}")
    if (kind is not None) != (label == "degenerate"):
        raise ValueError("kind goes with label 'degenerate' and only with it")


class OutputLabel(_Strict):
    """One real output, labelled by hand for one question."""

    id: str = Field(pattern=r"^[\w.\-]+#\d+$")
    question: Question
    source: SourceRef
    instruction: str = Field(min_length=1)
    output: str
    label: OutputVerdict
    kind: Degeneration | None
    """How it degenerates, for ``label: degenerate``; else None."""
    why: str = Field(min_length=3)
    split: Literal["dev", "test"]
    """``test``: ``sha256(id)[0] % 3 == 0``, never read while tuning."""

    @model_validator(mode="after")
    def _consistent(self) -> OutputLabel:
        _check_answer(self.question, self.label, self.kind)
        return self

    @property
    def positive(self) -> bool:
        return self.label in POSITIVE


def load_outputs() -> list[OutputLabel]:
    return _records(OUTPUTS_FILE, OutputLabel)


class SecondOutputLabel(_Strict):
    """An independent second label for one output of ``outputs.jsonl``."""

    id: str
    question: Question
    label: OutputVerdict
    kind: Degeneration | None
    why: str = Field(min_length=3)

    @model_validator(mode="after")
    def _consistent(self) -> SecondOutputLabel:
        _check_answer(self.question, self.label, self.kind)
        return self


def load_second_outputs() -> list[SecondOutputLabel]:
    return _records(OUTPUTS_SECOND_FILE, SecondOutputLabel)


def load_all() -> list[Pair]:
    return [*load(PAIRS_FILE), *load(HANDWRITTEN_FILE)]

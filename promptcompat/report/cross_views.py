"""The report's cross-comparison views: the compatibility matrix (prompt versions x model
versions), reference accuracy per target, and the noise floor measured by A/A comparisons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from promptcompat.report.model import (
    CaseView,
    CellDirection,
    ComparisonView,
    MatrixCell,
    NoiseFloor,
    NoiseRule,
    PromptMatrix,
    TargetAccuracy,
)
from promptcompat.rules import CATALOG
from promptcompat.rules.catalog import Verdict
from promptcompat.store.tables.core import REFERENCE_KEY, CaseResult
from promptcompat.store.tables.run_spec import SideSpec

VERDICTS: tuple[Verdict, ...] = ("COMPATIBLE", "CHANGED", "BREAKING", "ERROR")


def natural_key(name: str) -> tuple[Any, ...]:
    """``v2 < v10``, as the suite orders versions."""
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(re.split(r"(\d+)", name)))


def matrix(comparisons: Sequence[ComparisonView]) -> dict[str, PromptMatrix]:
    """Per prompt: its versions (rows), targets (columns) and the cells that were run.

    A cell is one prompt version on one target. ``baseline_for`` counts the comparisons that
    used it as their baseline; ``directions`` says, per direction in which it was the
    candidate, whether it holds (no BREAKING or ERROR case in any of those comparisons), the
    verdict counts behind that, and what it was compared against. A/A comparisons appear as
    direction ``AA``: the noise floor of the cell.
    """
    grids: dict[str, _Grid] = {}
    for c in comparisons:
        grid = grids.setdefault(c.prompt, _Grid())
        base_cell = grid.cell(c.baseline)
        base_cell["baseline_for"] += 1
        if base_cell["accuracy"] is None and c.accuracy:
            base_cell["accuracy"] = c.accuracy.baseline
        cand_cell = grid.cell(c.candidate)
        if cand_cell["accuracy"] is None and c.accuracy and not c.candidate.resample:
            cand_cell["accuracy"] = c.accuracy.candidate
        entry = cand_cell["directions"].setdefault(
            c.direction,
            {
                "holds": True,
                "enforced": False,
                "verdicts": dict.fromkeys(VERDICTS, 0),
                "against": [],
                "comparisons": [],
            },
        )
        entry["holds"] = entry["holds"] and c.holds
        entry["enforced"] = entry["enforced"] or c.enforced
        for verdict, n in c.verdicts.items():
            entry["verdicts"][verdict] += n
        entry["against"].append(f"{c.baseline.version} @ {c.baseline.target}")
        entry["comparisons"].append(c.index)
    return {prompt: grid.done() for prompt, grid in grids.items()}


class _Grid:
    """A prompt's matrix while it is gathered; :meth:`done` makes it a model."""

    def __init__(self) -> None:
        self.versions: list[str] = []
        self.targets: list[str] = []
        self.cells: dict[tuple[str, str], dict[str, Any]] = {}

    def cell(self, side: SideSpec) -> dict[str, Any]:
        if side.version not in self.versions:
            self.versions.append(side.version)
        if side.target not in self.targets:
            self.targets.append(side.target)
        cell = self.cells.setdefault(
            (side.version, side.target),
            {
                "version": side.version,
                "target": side.target,
                "baseline_for": 0,
                "accepted_only": False,
                "directions": {},
                "accuracy": None,
            },
        )
        cell["accepted_only"] = cell["accepted_only"] or side.accepted_only
        return cell

    def done(self) -> PromptMatrix:
        cells = sorted(
            self.cells.values(),
            key=lambda cell: (natural_key(cell["version"]), self.targets.index(cell["target"])),
        )
        return PromptMatrix(
            versions=sorted(self.versions, key=natural_key),
            targets=self.targets,
            cells=[
                MatrixCell(
                    **{
                        **cell,
                        "directions": {
                            d: CellDirection(**entry) for d, entry in cell["directions"].items()
                        },
                    }
                )
                for cell in cells
            ],
        )


def accuracy_by_target(
    comparisons: Sequence[ComparisonView], results: Sequence[CaseResult]
) -> list[TargetAccuracy]:
    """Reference accuracy per (prompt, version, target): samples that matched their case's
    reference answer, each case counted once however many comparisons it appears in."""
    seen: dict[tuple[str, str, str], dict[str, list[int]]] = {}
    for r in results:
        score = r.structural_diff.get(REFERENCE_KEY)
        if score is None:
            continue
        spec = comparisons[r.comparison]
        for name, side in (("baseline", spec.baseline), ("candidate", spec.candidate)):
            if side.resample:
                continue  # fresh samples of the baseline's own cell: counted there
            key = (r.prompt, side.version, side.target)
            seen.setdefault(key, {}).setdefault(r.case_id, score[name])
    out: list[TargetAccuracy] = []
    for (prompt, version, target), by_case in seen.items():
        matched = sum(m for m, _ in by_case.values())
        samples = sum(n for _, n in by_case.values())
        out.append(
            TargetAccuracy(
                prompt=prompt,
                version=version,
                target=target,
                cases=len(by_case),
                matched=matched,
                samples=samples,
                rate=round(matched / samples, 4) if samples else None,
            )
        )
    out.sort(key=lambda a: (a.prompt, natural_key(a.version), a.target))
    return out


def noise_floor(
    comparisons: Sequence[ComparisonView], cases: Sequence[CaseView]
) -> list[NoiseFloor]:
    """Per A/A comparison: how often a cell's output differs from fresh samples of itself,
    and which rules fire (budget rules included) at what rates."""
    out = []
    for c in comparisons:
        if c.direction != "AA":
            continue
        rows = [case for case in cases if case.comparison == c.index]
        rules: dict[str, dict[str, int]] = {}
        for case in rows:
            for f in case.findings:
                entry = rules.setdefault(f.rule, {"cases": 0, "hits": 0, "samples": 0})
                entry["cases"] += 1
                entry["hits"] += f.hits
                entry["samples"] += f.samples
        # Outputs that differ; budgets (latency above all) vary between calls on their own.
        differing = sum(
            1 for case in rows if any(CATALOG[f.rule].subject == "output" for f in case.findings)
        )
        out.append(
            NoiseFloor(
                comparison=c.index,
                prompt=c.prompt,
                version=c.baseline.version,
                target=c.baseline.target,
                cases=len(rows),
                differing=differing,
                rate=round(differing / len(rows), 4) if rows else None,
                verdicts=c.verdicts,
                rules={
                    rule: NoiseRule(**entry, rate=f"{entry['hits']}/{entry['samples']}")
                    for rule, entry in sorted(rules.items())
                },
            )
        )
    return out

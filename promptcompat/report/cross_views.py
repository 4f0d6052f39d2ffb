"""The report's cross-comparison views: the compatibility matrix (prompt versions x model
versions), reference accuracy per target, and the noise floor measured by A/A comparisons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from promptcompat.rules import CATALOG
from promptcompat.store.tables.core import REFERENCE_KEY, CaseResult

VERDICTS = ("COMPATIBLE", "CHANGED", "BREAKING", "ERROR")


def natural_key(name: str) -> tuple[Any, ...]:
    """``v2 < v10``, as the suite orders versions."""
    return tuple(int(p) if i % 2 else p.lower() for i, p in enumerate(re.split(r"(\d+)", name)))


def matrix(comparisons: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per prompt: its versions (rows), targets (columns) and the cells that were run.

    A cell is one prompt version on one target. ``baseline_for`` counts the comparisons that
    used it as their baseline; ``directions`` says, per direction in which it was the
    candidate, whether it holds (no BREAKING or ERROR case in any of those comparisons), the
    verdict counts behind that, and what it was compared against. A/A comparisons appear as
    direction ``AA``: the noise floor of the cell.
    """
    out: dict[str, dict[str, Any]] = {}
    for c in comparisons:
        grid = out.setdefault(c["prompt"], {"versions": [], "targets": [], "cells": {}})
        base, cand = c["baseline"], c["candidate"]
        base_cell = _cell(grid, base)
        base_cell["baseline_for"] += 1
        if base_cell["accuracy"] is None and c.get("accuracy"):
            base_cell["accuracy"] = c["accuracy"]["baseline"]
        cand_cell = _cell(grid, cand)
        if cand_cell["accuracy"] is None and c.get("accuracy") and not cand.get("resample"):
            cand_cell["accuracy"] = c["accuracy"]["candidate"]
        entry = cand_cell["directions"].setdefault(
            c["direction"],
            {
                "holds": True,
                "enforced": False,
                "verdicts": dict.fromkeys(VERDICTS, 0),
                "against": [],
                "comparisons": [],
            },
        )
        entry["holds"] = entry["holds"] and c["holds"]
        entry["enforced"] = entry["enforced"] or c["enforced"]
        for verdict, n in c["verdicts"].items():
            entry["verdicts"][verdict] += n
        entry["against"].append(f"{base['version']} @ {base['target']}")
        entry["comparisons"].append(c["index"])
    for grid in out.values():
        grid["versions"].sort(key=natural_key)
        grid["cells"] = sorted(
            grid["cells"].values(),
            key=lambda cell: (
                natural_key(cell["version"]),
                grid["targets"].index(cell["target"]),
            ),
        )
    return out


def _cell(grid: dict[str, Any], side: dict[str, Any]) -> dict[str, Any]:
    version, target = side["version"], side["target"]
    if version not in grid["versions"]:
        grid["versions"].append(version)
    if target not in grid["targets"]:
        grid["targets"].append(target)
    cell: dict[str, Any] = grid["cells"].setdefault(
        (version, target),
        {
            "version": version,
            "target": target,
            "baseline_for": 0,
            "accepted_only": False,
            "directions": {},
            "accuracy": None,
        },
    )
    cell["accepted_only"] = cell["accepted_only"] or bool(side.get("accepted_only"))
    return cell


def accuracy_by_target(
    comparisons: Sequence[dict[str, Any]], results: Sequence[CaseResult]
) -> list[dict[str, Any]]:
    """Reference accuracy per (prompt, version, target): samples that matched their case's
    reference answer, each case counted once however many comparisons it appears in."""
    seen: dict[tuple[str, str, str], dict[str, list[int]]] = {}
    for r in results:
        score = r.structural_diff.get(REFERENCE_KEY)
        if score is None:
            continue
        spec = comparisons[r.comparison]
        for side in ("baseline", "candidate"):
            if spec[side].get("resample"):
                continue  # fresh samples of the baseline's own cell: counted there
            key = (r.prompt, spec[side]["version"], spec[side]["target"])
            seen.setdefault(key, {}).setdefault(r.case_id, score[side])
    out: list[dict[str, Any]] = []
    for (prompt, version, target), by_case in seen.items():
        matched = sum(m for m, _ in by_case.values())
        samples = sum(n for _, n in by_case.values())
        out.append(
            {
                "prompt": prompt,
                "version": version,
                "target": target,
                "cases": len(by_case),
                "matched": matched,
                "samples": samples,
                "rate": round(matched / samples, 4) if samples else None,
            }
        )
    out.sort(key=lambda a: (a["prompt"], natural_key(a["version"]), a["target"]))
    return out


def noise_floor(
    comparisons: Sequence[dict[str, Any]], cases: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per A/A comparison: how often a cell's output differs from fresh samples of itself,
    and which rules fire (budget rules included) at what rates."""
    out = []
    for c in comparisons:
        if c["direction"] != "AA":
            continue
        rows = [case for case in cases if case["comparison"] == c["index"]]
        rules: dict[str, dict[str, Any]] = {}
        for case in rows:
            for f in case["findings"]:
                entry = rules.setdefault(f["rule"], {"cases": 0, "hits": 0, "samples": 0})
                entry["cases"] += 1
                entry["hits"] += f["hits"]
                entry["samples"] += f["samples"]
        # Outputs that differ; budgets (latency above all) vary between calls on their own.
        differing = sum(
            1
            for case in rows
            if any(CATALOG[f["rule"]].subject == "output" for f in case["findings"])
        )
        out.append(
            {
                "comparison": c["index"],
                "prompt": c["prompt"],
                "version": c["baseline"]["version"],
                "target": c["baseline"]["target"],
                "cases": len(rows),
                "differing": differing,
                "rate": round(differing / len(rows), 4) if rows else None,
                "verdicts": c["verdicts"],
                "rules": {
                    rule: {**entry, "rate": f"{entry['hits']}/{entry['samples']}"}
                    for rule, entry in sorted(rules.items())
                },
            }
        )
    return out

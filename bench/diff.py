"""Diff benchmark: classify 10,000 baseline/candidate pairs of ~2 KB JSON outputs.

Each pair goes through ``compare_case`` exactly as a run does (structural diff, contract,
drift detectors, budgets, verdict). Half the pairs are unchanged; the other half carry one
drift each, in turn: a renamed field, a retyped field, a new enum value, a changed nested
value, an appended array item. Prints pairs per second, the verdict counts and the peak RSS
of this process, and the time as a ratio of the bar: 10,000 pairs in under 3 s on one core
(the process pins itself to one CPU where the platform allows it).

    .venv/bin/python bench/diff.py                # no contract (zero-config)
    .venv/bin/python bench/diff.py --schema       # with format: json and a JSON Schema
    .venv/bin/python bench/diff.py --reformat     # "unchanged" pairs re-indented, not identical
    .venv/bin/python bench/diff.py --samples 5    # K samples per side (10,000 cases)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.suite.contract import Contract

PAIRS = 10_000
TARGET_S = 3.0
"""The bar: 10,000 pairs in under this many seconds on one core."""
SCHEMA = {
    "type": "object",
    "required": ["id", "name", "email", "age", "label", "items"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "age": {"type": "integer"},
        "label": {"enum": ["billing", "technical", "account"]},
        "confidence": {"type": "number"},
        "items": {"type": "array", "items": {"type": "object"}},
    },
}


def document(i: int) -> dict[str, Any]:
    """A ~2 KB JSON answer: a record with a nested object and a list of line items."""
    return {
        "id": i,
        "name": "Jane Doe",
        "email": f"jane{i}@example.com",
        "age": 30 + i % 40,
        "label": ["billing", "technical", "account"][i % 3],
        "confidence": 0.9,
        "address": {"street": "1 Main Street", "city": "Berlin", "zip": "10115"},
        "items": [
            {
                "sku": f"SKU-{i}-{j}",
                "qty": j + 1,
                "price": round(9.99 * (j + 1), 2),
                "note": "standard item",
            }
            for j in range(24)
        ],
    }


def drifted(doc: dict[str, Any], i: int) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    kind = i % 5
    if kind == 0:
        doc["email_address"] = doc.pop("email")
    elif kind == 1:
        doc["age"] = str(doc["age"])
    elif kind == 2:
        doc["label"] = "payments"
    elif kind == 3:
        doc["items"][5]["qty"] += 1
    else:
        doc["items"].append({"sku": "extra", "qty": 1, "price": 1.0, "note": "x"})
    return doc


def pairs(samples: int, reformat: bool) -> list[tuple[list[Sample], list[Sample]]]:
    out = []
    for i in range(PAIRS):
        base = json.dumps(document(i))
        if i % 2:
            cand = json.dumps(drifted(document(i), i // 2))
        else:
            cand = json.dumps(document(i), indent=2) if reformat else base
        tokens = len(base) // 4
        out.append(
            (
                [Sample(base, output_tokens=tokens, latency_ms=800.0) for _ in range(samples)],
                [Sample(cand, output_tokens=tokens, latency_ms=800.0) for _ in range(samples)],
            )
        )
    return out


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", action="store_true", help="declare format: json + schema")
    parser.add_argument("--reformat", action="store_true", help="re-indent the unchanged half")
    parser.add_argument("--samples", type=int, default=1, help="samples per side (K)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):  # the bar is for one core
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    contract = Contract(format="json", schema=SCHEMA) if args.schema else Contract()
    work = pairs(args.samples, args.reformat)
    size = sum(len(b[0].text or "") for b, _ in work) / len(work)
    compare_case(baseline=work[1][0], candidate=work[1][1], contract=contract)  # warm-up
    verdicts: dict[str, int] = {}
    start = time.perf_counter()
    for base, cand in work:
        verdict = compare_case(baseline=base, candidate=cand, contract=contract).verdict
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    elapsed = time.perf_counter() - start
    label = "schema" if args.schema else "no contract"
    print(
        f"{PAIRS:,} pairs of {size / 1024:.1f} KB JSON ({label}, K={args.samples}"
        f"{', reformatted' if args.reformat else ''}): {elapsed:.2f} s, "
        f"{PAIRS / elapsed:,.0f} pairs/s, peak RSS {peak_rss_mb():.0f} MB"
    )
    print(
        f"target: {PAIRS:,} pairs in {TARGET_S:g} s on one core; "
        f"ratio {elapsed / TARGET_S:.2f} of the target "
        f"({'met' if elapsed < TARGET_S else 'MISSED'})"
    )
    print(f"verdicts: {dict(sorted(verdicts.items()))}")


if __name__ == "__main__":
    main()

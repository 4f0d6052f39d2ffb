"""Timing for the benchmark bar: 10,000 compare_case calls on ~2 KB JSON pairs, half drifted.

Run: .venv/bin/python tests/diff/bench_compare.py [--schema] [--reformat]
(--reformat: the "equal" half is the same JSON re-indented instead of the identical text)
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

from promptcompat.contract import Contract
from promptcompat.diff import Sample, compare_case


def document(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "name": "Jane Doe",
        "email": f"jane{i}@example.com",
        "age": 30 + i % 40,
        "label": ["billing", "technical", "account"][i % 3],
        "confidence": 0.9,
        "address": {"street": "1 Main Street", "city": "Berlin", "zip": "10115"},
        "items": [
            {"sku": f"SKU-{i}-{j}", "qty": j + 1, "price": 9.99 * (j + 1), "note": "standard item"}
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


def main() -> None:
    random.seed(0)
    contract = Contract(format="json", schema=SCHEMA) if "--schema" in sys.argv else Contract()
    pairs = []
    for i in range(10_000):
        base = json.dumps(document(i))
        if i % 2:
            cand = json.dumps(drifted(document(i), i // 2))
        else:
            cand = json.dumps(document(i), indent=2) if "--reformat" in sys.argv else base
        pairs.append(([Sample(base)], [Sample(cand)]))
    print(f"mean JSON size: {sum(len(b[0].text or '') for b, _ in pairs) / len(pairs):.0f} chars")
    compare_case(baseline=pairs[1][0], candidate=pairs[1][1], contract=contract)  # warm-up
    start = time.perf_counter()
    verdicts: dict[str, int] = {}
    for base, cand in pairs:
        verdict = compare_case(baseline=base, candidate=cand, contract=contract).verdict
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    elapsed = time.perf_counter() - start
    print(f"10,000 compare_case calls: {elapsed:.2f} s  {verdicts}")


if __name__ == "__main__":
    main()

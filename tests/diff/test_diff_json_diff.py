"""diff.json_diff is a fast path to deepdiff's report: check it against DeepDiff itself on
seeded random documents and the mutations LLM outputs show (field renamed, removed, added,
retyped, value changed, items appended, removed or inserted)."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from deepdiff import DeepDiff

from promptcompat.compat.diff import Sample, compare_case, json_diff
from promptcompat.suite.contract import Contract


def _leaf(rng: random.Random) -> Any:
    return rng.choice(
        [
            rng.randint(-5, 1000),
            round(rng.uniform(0, 1), 2),
            rng.choice(["billing", "Jane Doe", "jane@example.com", "Berlin", ""]),
            rng.choice([True, False]),
            None,
        ]
    )


def _doc(rng: random.Random, depth: int = 0) -> Any:
    if depth >= 3 or rng.random() < 0.3:
        return _leaf(rng)
    if rng.random() < 0.65:
        return {f"k{i}": _doc(rng, depth + 1) for i in range(rng.randint(1, 6))}
    if rng.random() < 0.5:
        return [{"id": i, "v": _doc(rng, depth + 2)} for i in range(rng.randint(1, 5))]
    return [_leaf(rng) for _ in range(rng.randint(1, 5))]


def _containers(doc: Any) -> list[Any]:
    found = [doc] if isinstance(doc, dict | list) and doc else []
    children = doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else []
    for child in children:
        found.extend(_containers(child))
    return found


def _mutate(rng: random.Random, doc: Any) -> None:
    containers = _containers(doc)
    if not containers:
        return
    target = rng.choice(containers)
    if isinstance(target, dict):
        key = rng.choice(list(target))
        op = rng.choice(["value", "type", "remove", "add", "rename", "bool_int"])
        if op == "value":
            target[key] = _leaf(rng)
        elif op == "type":
            target[key] = str(target[key]) if not isinstance(target[key], str) else 7
        elif op == "remove":
            del target[key]
        elif op == "add":
            target[f"new_{rng.randint(0, 99)}"] = _leaf(rng)
        elif op == "rename":
            target[f"{key}_value"] = target.pop(key)
        else:
            target[key] = 1 if target[key] is True else True
    else:
        op = rng.choice(
            ["append", "truncate", "set"] + (["insert", "drop"] if _dicts(target) else [])
        )
        if op == "append":
            target.append(copy.deepcopy(target[-1]))
        elif op == "truncate":
            target.pop()
        elif op == "set":
            target[rng.randrange(len(target))] = _leaf(rng)
        elif op == "insert":
            target.insert(rng.randrange(len(target)), {"id": -1, "v": "inserted"})
        elif len(target) > 1:
            del target[rng.randrange(len(target) - 1)]


def _dicts(items: list[Any]) -> bool:
    return all(isinstance(x, dict) for x in items)


def _reference(a: Any, b: Any) -> set[tuple[str, tuple[Any, ...]]]:
    tree = DeepDiff(
        a, b, ignore_order=False, verbose_level=2, view="tree", threshold_to_diff_deeper=0
    )
    out = set()
    for report, levels in tree.items():
        for level in levels:
            t1, t2 = level.t1, level.t2
            numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (t1, t2))
            if report == "type_changes" and numeric and t1 == t2:
                continue  # 1 vs 1.0: equal in JSON, deliberately not reported
            out.add((report, tuple(level.path(output_format="list"))))
    return out


@pytest.mark.parametrize("seed", range(300))
def test_json_diff_matches_deepdiff(seed: int) -> None:
    rng = random.Random(seed)
    a = _doc(rng)
    if not _containers(a):
        a = {"root": a}
    b = copy.deepcopy(a)
    for _ in range(rng.randint(1, 3)):
        _mutate(rng, b)
    mine = {(report, path) for report, path, _, _ in json_diff(a, b)}
    assert mine == _reference(a, b), (a, b)


def test_equal_documents_have_no_items() -> None:
    doc = {"a": [1, {"b": True}], "c": None}
    assert json_diff(doc, copy.deepcopy(doc)) == []
    assert json_diff({"n": 1}, {"n": 1.0}) == []
    assert json_diff({"b": [True]}, {"b": [1]}) == [("type_changes", ("b", 0), True, 1)]


def test_the_same_listed_options_in_another_order_are_one_order_change() -> None:
    ask = (
        'Return JSON only: {"sentiment": "positive" | "negative", "aspects": [strings from: '
        '"price", "delivery", "quality"]}'
    )
    base = '{"sentiment": "negative", "aspects": ["price", "delivery"]}'

    def diff(candidate: str) -> list[tuple[str, str, str | None]]:
        found = compare_case(
            baseline=[Sample(base)],
            candidate=[Sample(candidate)],
            contract=Contract(),
            instructions=ask,
        ).findings
        return [(f.rule, f.severity, f.path) for f in found if f.severity != "INFO"]

    moved = diff('{"sentiment": "negative", "aspects": ["delivery", "price"]}')
    assert moved == [("json.value_changed", "WARN", "$.aspects")]
    other = diff('{"sentiment": "negative", "aspects": ["quality", "delivery"]}')
    assert ("json.decision_changed", "ERR", "$.aspects[0]") in other


def test_a_capitalised_option_the_instructions_quote_is_a_decision() -> None:
    ask = (
        'Return only JSON with "category" (one of "Groceries", "Dining", "Transport") and '
        '"merchant" (the cleaned-up name).\n\nSQ *BLUE BOTTLE COFFEE'
    )
    base = '{"category": "Dining", "merchant": "Blue Bottle Coffee"}'
    found = compare_case(
        baseline=[Sample(base)],
        candidate=[Sample('{"category": "Groceries", "merchant": "Blue Bottle"}')],
        contract=Contract(),
        instructions=ask,
    ).findings
    rules = {(f.rule, f.path): f.severity for f in found}
    assert rules[("json.decision_changed", "$.category")] == "ERR"
    assert rules[("json.value_changed", "$.merchant")] == "WARN"

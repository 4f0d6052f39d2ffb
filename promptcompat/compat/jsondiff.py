"""The structural diff of two parsed JSON documents, with deepdiff's report semantics.

``json_diff`` gives what ``DeepDiff(a, b, ignore_order=False, verbose_level=2)`` reports, at a
fraction of the cost; ``raw_changes`` folds that report into the changes the rules classify
(removed, added, retyped, changed values, array lengths).
"""

from __future__ import annotations

from typing import Any

from promptcompat.compat.contract_checks import json_equal, json_get
from promptcompat.suite.json_path import PathPart

DiffItem = tuple[str, tuple[PathPart, ...], Any, Any]
"""(deepdiff report type, path, old value, new value)."""
RawKey = tuple[str, tuple[PathPart, ...]]
"""(change kind: removed/added/type/value/array, path)."""


def json_diff(a: Any, b: Any, *, strict: bool = True) -> list[DiffItem]:
    """deepdiff's report for ``DeepDiff(a, b, ignore_order=False, verbose_level=2)``, fast.

    DeepDiff costs ~3 ms per 2 KB document, mostly walking what is equal. So equal subtrees
    are skipped with ``==`` (C speed; ``strict`` adds the walk that tells ``true`` from
    ``1``, which Python conflates), added/removed keys and changed leaves are reported
    directly under deepdiff's report keys, and deepdiff runs only on lists whose items must be
    aligned (other lengths, not a plain append or truncation). Numbers of equal value
    (``1`` vs ``1.0``) are equal in JSON and not reported. tests/diff checks the result
    against DeepDiff itself.
    """
    items: list[DiffItem] = []
    lists: list[tuple[tuple[PathPart, ...], list[Any], list[Any]]] = []
    _walk(a, b, strict, (), items, lists)
    if lists:
        # Imported on first need: deepdiff loads numpy, 60-90 ms a process pays only then.
        from deepdiff import DeepDiff
    for path, la, lb in lists:
        # threshold 0: report per key even when two dicts share few keys (a renamed field in
        # a two-field object must read as removed + added, not as a replaced object)
        tree = DeepDiff(
            la, lb, ignore_order=False, verbose_level=2, view="tree", threshold_to_diff_deeper=0
        )
        for report, levels in tree.items():
            for level in levels:
                sub = (*path, *level.path(output_format="list"))
                old = None if report.endswith("_added") else level.t1
                new = None if report.endswith("_removed") else level.t2
                items.append((report, sub, old, new))
    return items


def _walk(
    a: Any,
    b: Any,
    strict: bool,
    path: tuple[PathPart, ...],
    items: list[DiffItem],
    lists: list[tuple[tuple[PathPart, ...], list[Any], list[Any]]],
) -> None:
    if a == b and (not strict or json_equal(a, b, strict=True)):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key, va in a.items():
            if key in b:
                _walk(va, b[key], strict, (*path, key), items, lists)
            else:
                items.append(("dictionary_item_removed", (*path, key), va, None))
        items.extend(
            ("dictionary_item_added", (*path, key), None, vb)
            for key, vb in b.items()
            if key not in a
        )
    elif isinstance(a, list) and isinstance(b, list):
        n = min(len(a), len(b))
        if len(a) == len(b):
            for i in range(n):
                _walk(a[i], b[i], strict, (*path, i), items, lists)
        elif a[:n] == b[:n] and (not strict or json_equal(a[:n], b[:n], strict=True)):
            items.extend(("iterable_item_added", (*path, i), None, b[i]) for i in range(n, len(b)))
            items.extend(
                ("iterable_item_removed", (*path, i), a[i], None) for i in range(n, len(a))
            )
        else:
            lists.append((path, a, b))
    elif not json_equal(a, b):
        report = "type_changes" if type(a) is not type(b) else "values_changed"
        items.append((report, path, a, b))


# Strings that stand for "no value" where the schema's null would: "N/A", "", "unknown".
_PLACEHOLDERS = frozenset(
    {"", "n/a", "na", "none", "null", "nil", "unknown", "-", "not mentioned", "not specified",
     "not provided", "not available"}
)  # fmt: skip


def _placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.strip().casefold() in _PLACEHOLDERS


def raw_changes(a: Any, b: Any, items: list[DiffItem]) -> dict[RawKey, tuple[Any, Any]]:
    changes: dict[RawKey, tuple[Any, Any]] = {}
    for report, path, old, new in items:
        if report == "dictionary_item_removed":
            changes["removed", path] = (old, None)
        elif report == "dictionary_item_added":
            changes["added", path] = (None, new)
        elif report in ("iterable_item_added", "iterable_item_removed"):
            parent = path[:-1]
            changes["array", parent] = (
                len(json_get(a, parent) or ()),
                len(json_get(b, parent) or ()),
            )
        elif report in ("values_changed", "type_changes"):
            if json_equal(old, new):
                continue  # 1 -> 1.0: a reformatting, not a change
            numeric = all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new)
            )
            # null -> a value is data that appeared; null -> "N/A" is a placeholder for null
            # that a null check no longer sees: a type change.
            placeholder = (old is None and _placeholder(new)) or (new is None and _placeholder(old))
            if (
                report == "values_changed"
                or numeric
                or ((old is None or new is None) and not placeholder)
            ):
                changes["value", path] = (old, new)
            else:
                changes["type", path] = (old, new)
    return changes

"""Rendering a task's answer as text, cleanly or with one drift applied.

The drift kinds are the ones promptcompat's detectors look for (PRODUCT.md section 4); each
applies to some tasks only (docs/simulator-protocol.md, "Drift kinds"). The "new" models pick
one per request from a sha256 bucket, so a drift is stable for a prompt but spread across a
suite.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from promptcompat.simulator import answers
from promptcompat.simulator.tasks import Answer, Classification, Code, Extraction, Task

DRIFT_KINDS: tuple[str, ...] = (
    "paraphrase",
    "field_renamed",
    "field_removed",
    "type_changed",
    "new_enum_value",
    "json_fenced",
    "json_in_prose",
    "code_fenced",
    "refusal",
    "format_ignored",
    "verbose",
    "language_switched",
)

REFUSAL = "I'm sorry, but I can't help with that request."
RENAMES = {
    "email": "email_address",
    "phone": "phone_number",
    "name": "full_name",
    "company": "organization",
}


@dataclass(frozen=True)
class Style:
    """The sampling choices: which wording variant, which confidence."""

    variant: int = 0
    confidence: float = 0.9


CLEAN = Style()


def applies(kind: str, task: Task) -> bool:
    """Whether drift ``kind`` changes this task's answer."""
    if kind == "paraphrase":
        return True
    if isinstance(task, Extraction):
        if kind in ("field_renamed", "json_fenced", "json_in_prose"):
            return bool(task.fields)
        if kind == "field_removed":
            return any(value is not None for _, value in task.values)
        if kind == "type_changed":
            return _retyped_field(task) is not None
        return False
    if isinstance(task, Classification):
        if kind == "new_enum_value":
            return True
        return task.as_json and kind in ("type_changed", "json_fenced", "json_in_prose")
    if isinstance(task, Code):
        return kind in ("code_fenced", "refusal")
    if kind == "format_ignored":
        return task.marker
    return kind in ("refusal", "verbose", "language_switched")


def new_model_drift(family: str, canonical: str, task: Task) -> str | None:
    """The "new" models' mix: sha256(family + request) -> bucket 0..99 -> drift or None.

    Buckets 0-49 alternate no change (even) and paraphrase (odd); 50-99 are split evenly
    across the breaking kinds that apply to this request.
    """
    digest = hashlib.sha256((family + canonical).encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    if bucket < 50:
        return "paraphrase" if bucket % 2 else None
    kinds = [k for k in DRIFT_KINDS if k != "paraphrase" and applies(k, task)]
    if not kinds:
        return None
    return kinds[(bucket - 50) * len(kinds) // 50]


def render(task: Task, kind: str | None = None, style: Style = CLEAN) -> str:
    """The answer text; ``kind`` is ignored where it does not apply."""
    if kind is not None and not applies(kind, task):
        kind = None
    if isinstance(task, Extraction):
        return _extraction(task, kind)
    if isinstance(task, Classification):
        return _classification(task, kind, style)
    if isinstance(task, Code):
        return _code(task, kind)
    return _answer(task, kind, style)


def _json(obj: dict[str, Any], kind: str | None) -> str:
    if kind == "paraphrase":
        # Same values, other key order and whitespace: a harmless change a parser absorbs.
        return json.dumps(dict(reversed(list(obj.items()))), indent=2, ensure_ascii=False)
    text = json.dumps(obj, ensure_ascii=False)
    if kind == "json_fenced":
        return f"```json\n{text}\n```"
    if kind == "json_in_prose":
        return (
            f"Sure! Here is the JSON you asked for:\n{text}\nLet me know if you need anything else."
        )
    return text


def _retyped_field(task: Extraction) -> str | None:
    """The field type_changed retypes: an integer age, else the first non-null value."""
    for field, value in task.values:
        if field.lower() == "age" and isinstance(value, int):
            return field
    return next((f for f, v in task.values if isinstance(v, int | str)), None)


def _extraction(task: Extraction, kind: str | None) -> str:
    obj = dict(task.values)
    if kind == "field_renamed":
        field = next((f for f in RENAMES if f in obj), task.fields[0])
        new = RENAMES.get(field, f"{field}_value")
        if new in obj:
            new = f"{field}_value"
        obj = {(new if key == field else key): value for key, value in obj.items()}
    elif kind == "field_removed":
        dropped = [f for f, value in task.values if value is not None][-1]
        del obj[dropped]
    elif kind == "type_changed":
        retyped = _retyped_field(task)
        if retyped is not None:
            value = obj[retyped]
            # int -> string ("34"), as models do when they quote numbers; else a string
            # becomes a one-element array, as when a model starts listing values.
            obj[retyped] = str(value) if isinstance(value, int) else [value]
    return _json(obj, kind)


def _classification(task: Classification, kind: str | None, style: Style) -> str:
    label = task.label
    if kind == "new_enum_value":
        declared = {lab.lower() for lab in task.labels}
        wanted = ["payments"] if label.lower() == "billing" else []
        label = next(c for c in [*wanted, "uncategorized", "unknown_label"] if c not in declared)
    if not task.as_json:
        return label
    confidence: float | str = "high" if kind == "type_changed" else style.confidence
    return _json({"label": label, "confidence": confidence}, kind)


def _code(task: Code, kind: str | None) -> str:
    if kind == "refusal":
        return REFUSAL
    recipe = task.recipe
    header = f"def {task.name}({recipe.params}):"
    source = f"{header}\n{recipe.body}"
    if kind == "paraphrase":
        doc = _fit(recipe.doc, int(0.6 * len(source)) - len('    """"""\n'))
        source = f'{header}\n    """{doc}"""\n{recipe.body}'
    if kind == "code_fenced":
        return f"```python\n{source}\n```"
    return source


def _fit(doc: str, budget: int) -> str:
    """``doc`` cut at a word to ``budget`` characters: a harmless paraphrase must stay well
    inside the verbosity band, and a long docstring could double a one-line function."""
    if len(doc) <= budget:
        return doc
    words: list[str] = []
    for word in doc.rstrip(".").split():
        if len(" ".join([*words, word])) + 1 > budget:
            break
        words.append(word)
    return " ".join(words) + "." if len(words) >= 2 else "Helper."


def _answer(task: Answer, kind: str | None, style: Style) -> str:
    if kind == "refusal":
        return REFUSAL
    variant = style.variant + (1 if kind == "paraphrase" else 0)
    parts = (
        answers.spanish(task) if kind == "language_switched" else answers.sentences(task, variant)
    )
    marker = f" [{'Yes' if task.yes else 'No'}]" if task.marker else ""
    if kind == "verbose":
        parts = answers.verbose(task, parts, 2 * len(" ".join(parts) + marker))
    if kind == "format_ignored":
        marker = ""
    return " ".join(parts) + marker

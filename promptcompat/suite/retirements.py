"""Retirements declared in ``prompts/targets.yaml``: which targets retire, when, and successors.

Every problem is a ``SuiteError`` naming ``file:line``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from promptcompat.config import Settings
from promptcompat.errors import ConfigError, SuiteError
from promptcompat.suite.files import YamlFile
from promptcompat.suite.targets import Target, parse_target
from promptcompat.suite.types import Suite

TARGETS_FILE = "targets.yaml"


@dataclass(frozen=True)
class Deprecation:
    target: Target
    retires: dt.date
    successor: Target
    where: str

    def days_left(self, today: dt.date) -> int:
        return (self.retires - today).days


def load_deprecations(root: Path) -> list[Deprecation]:
    """Retirements declared in ``<prompts>/targets.yaml`` (none when the file is absent)."""
    path = Path(root) / TARGETS_FILE
    if not path.is_file():
        return []
    where = f"{Path(root).resolve().name}/{TARGETS_FILE}"
    doc = YamlFile(path, where)
    doc.check_keys(doc.data, {"deprecations"})
    rows = doc.data.get("deprecations") or []
    if not isinstance(rows, list):
        raise SuiteError("deprecations: must be a list", where=doc.at("deprecations"))
    out: list[Deprecation] = []
    for i, row in enumerate(rows):
        at = doc.at("deprecations", i)
        if not isinstance(row, dict):
            raise SuiteError("each deprecation is a mapping", where=at)
        doc.check_keys(row, {"target", "retires", "successor"}, "deprecations", i)
        retires = row.get("retires")
        if isinstance(retires, str):
            try:
                retires = dt.date.fromisoformat(retires)
            except ValueError:
                retires = None
        if not isinstance(retires, dt.date):
            raise SuiteError("retires: must be a date (YYYY-MM-DD)", where=at)
        try:
            target = parse_target(str(row.get("target") or ""))
            successor = parse_target(str(row.get("successor") or ""))
        except ConfigError as exc:
            raise SuiteError(f"{exc.message} ({exc.where})", where=at) from None
        out.append(Deprecation(target, retires, successor, at))
    return out


def deprecation_for(target: Target, deprecations: list[Deprecation]) -> Deprecation | None:
    """The retirement that concerns ``target`` (same provider and model; parameters aside)."""
    for dep in deprecations:
        if (dep.target.provider, dep.target.model) == (target.provider, target.model):
            return dep
    return None


def deprecation_warnings(
    suite: Suite, settings: Settings, *, today: dt.date | None = None
) -> list[dict[str, object]]:
    """One warning per prompt pinned to a target retiring within the lead time (or past it)."""
    today = today or dt.date.today()
    deps = load_deprecations(suite.root)
    out: list[dict[str, object]] = []
    for prompt in suite.prompts.values():
        dep = deprecation_for(parse_target(prompt.pinned), deps)
        if dep is None or dep.days_left(today) > settings.deprecation_lead_days:
            continue
        left = dep.days_left(today)
        when = f"in {left} days" if left > 0 else ("today" if left == 0 else f"{-left} days ago")
        out.append(
            {
                "prompt": prompt.name,
                "target": dep.target.label,
                "retires": dep.retires.isoformat(),
                "days_left": left,
                "successor": dep.successor.label,
                "message": f"{prompt.name} is pinned to {dep.target.model}, which retires "
                f"{when} ({dep.retires.isoformat()}); successor: {dep.successor.model}",
            }
        )
    return out

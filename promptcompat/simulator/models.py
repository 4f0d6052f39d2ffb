"""The simulator's model catalogue: shipped models from ``models.yaml``, plus runtime additions.

A model id resolves to a :class:`ModelSpec`; an alias resolves to its target's spec, so the
response carries the target's served id (``gpt-sim-latest`` answers as ``gpt-sim-2025-06-01``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import yaml

from promptcompat.errors import SimulatorError
from promptcompat.simulator.drifts import DRIFT_KINDS
from promptcompat.simulator.tool_calls import TOOL_DRIFT_KINDS

BEHAVIOURS = frozenset(
    {"old", "new", "huge", "reasoning"}
    | {f"drift:{kind}" for kind in (*DRIFT_KINDS, *TOOL_DRIFT_KINDS)}
)
_DATE_IN_ID = re.compile(r"(20\d\d)-?(\d\d)-?(\d\d)")


@dataclass(frozen=True)
class ModelSpec:
    id: str
    family: str
    behaviour: str
    created: int
    """Unix seconds; Anthropic's list is ordered newest first by it."""
    owned_by: str
    display_name: str
    served_as: str
    """The model id responses carry."""


@dataclass(frozen=True)
class Listed:
    """One row of a model list."""

    id: str
    created: int
    owned_by: str
    display_name: str
    is_alias: bool


class Catalogue:
    def __init__(self, models: list[ModelSpec], aliases: dict[str, str]) -> None:
        self._models: dict[str, ModelSpec] = {m.id: m for m in models}
        self._aliases: dict[str, str] = {}
        for alias, target in aliases.items():
            self.set_alias(alias, target)

    @classmethod
    def shipped(cls) -> Catalogue:
        text = resources.files("promptcompat.simulator").joinpath("models.yaml").read_text("utf-8")
        return cls.from_yaml(text, "promptcompat/simulator/models.yaml")

    @classmethod
    def from_yaml(cls, text: str, where: str) -> Catalogue:
        data = yaml.safe_load(text)
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise SimulatorError("expected a mapping with a 'models' list", where=where)
        models = [_spec_from_row(row, where) for row in data["models"]]
        aliases = data.get("aliases") or {}
        if not isinstance(aliases, dict):
            raise SimulatorError("'aliases' must map alias -> model id", where=where)
        return cls(models, {str(k): str(v) for k, v in aliases.items()})

    def resolve(self, model_id: str) -> ModelSpec | None:
        """The spec a request for ``model_id`` is answered with, or None if unknown."""
        spec = self._models.get(model_id)
        if spec is not None:
            return spec
        target = self._aliases.get(model_id)
        return self._models.get(target) if target is not None else None

    def add_model(
        self, model_id: str, *, behaves_like: str, served_as: str | None = None
    ) -> ModelSpec:
        """Add (or replace) a model that answers like an existing one: a new release."""
        base = self.resolve(behaves_like)
        if base is None:
            raise KeyError(behaves_like)
        if model_id in self._aliases:
            raise ValueError(f"{model_id!r} is an alias")
        spec = replace(
            base,
            id=model_id,
            created=_created_from_id(model_id),
            display_name=model_id,
            served_as=served_as or model_id,
        )
        self._models[model_id] = spec
        return spec

    def set_alias(self, alias: str, target: str) -> None:
        """Point ``alias`` at a concrete model (an alias of an alias is resolved now)."""
        concrete = self.resolve(target)
        if concrete is None:
            raise KeyError(target)
        if alias in self._models:
            raise ValueError(f"{alias!r} is a model, not an alias")
        self._aliases[alias] = concrete.id

    def listing(self) -> list[Listed]:
        """Concrete models in catalogue order, then aliases (dated like their targets)."""
        rows = [
            Listed(m.id, m.created, m.owned_by, m.display_name, is_alias=False)
            for m in self._models.values()
        ]
        for alias, target in self._aliases.items():
            spec = self._models[target]
            rows.append(Listed(alias, spec.created, spec.owned_by, alias, is_alias=True))
        return rows

    def get_listed(self, model_id: str) -> Listed | None:
        return next((row for row in self.listing() if row.id == model_id), None)


def _spec_from_row(row: Any, where: str) -> ModelSpec:
    if not isinstance(row, dict) or not isinstance(row.get("id"), str):
        raise SimulatorError(f"each model needs an 'id': {row!r}", where=where)
    model_id: str = row["id"]
    behaviour = str(row.get("behaviour", "old"))
    if behaviour not in BEHAVIOURS:
        raise SimulatorError(f"{model_id}: unknown behaviour {behaviour!r}", where=where)
    created = row.get("created")
    return ModelSpec(
        id=model_id,
        family=str(row.get("family", model_id)),
        behaviour=behaviour,
        created=_epoch(created) if isinstance(created, dt.date) else _created_from_id(model_id),
        owned_by=str(row.get("owned_by", "promptcompat-sim")),
        display_name=str(row.get("display_name", model_id)),
        served_as=str(row.get("served_as", model_id)),
    )


def _epoch(day: dt.date) -> int:
    return calendar.timegm((day.year, day.month, day.day, 0, 0, 0))


def _created_from_id(model_id: str) -> int:
    """A dated id (``...-2025-09-01`` or ``...-20250901``) is released that day; else now."""
    match = _DATE_IN_ID.search(model_id)
    if match:
        try:
            return _epoch(dt.date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            pass
    return int(time.time())

"""Cost of a call from the shipped price table, optionally overridden by a user file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from promptcompat.errors import ConfigError

PriceTable = dict[str, dict[str, dict[str, float]]]
SHIPPED = Path(__file__).with_name("data") / "prices.yaml"


def _read(text: str, where: str) -> PriceTable:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"price table is not valid YAML: {exc}", where=where) from None
    table: PriceTable = {}
    if not isinstance(data, dict):
        raise ConfigError("price table must map provider -> model prefix -> prices", where=where)
    for provider, models in data.items():
        if not isinstance(models, dict):
            raise ConfigError(f"{provider}: expected a mapping of models", where=where)
        for prefix, price in models.items():
            if not (isinstance(price, dict) and {"input", "output"} <= price.keys()):
                raise ConfigError(f"{provider}.{prefix}: needs input and output", where=where)
            table.setdefault(str(provider), {})[str(prefix)] = {
                "input": float(price["input"]),
                "output": float(price["output"]),
            }
    return table


@lru_cache(maxsize=8)
def load_prices(override: Path | None = None) -> PriceTable:
    shipped = SHIPPED.read_text("utf-8")
    table = _read(shipped, "promptcompat/replay/data/prices.yaml")
    if override is not None:
        try:
            text = override.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read price table: {exc.strerror}", where=str(override)
            ) from None
        for provider, models in _read(text, str(override)).items():
            table.setdefault(provider, {}).update(models)
    return table


def cost_usd(
    table: PriceTable, provider: str, model: str, input_tokens: int, output_tokens: int
) -> float | None:
    """Cost in USD, or None when no price is known for the model."""
    models = table.get(provider, {})
    matches = [prefix for prefix in models if model.startswith(prefix)]
    if not matches:
        return None
    price = models[max(matches, key=len)]
    return (input_tokens * price["input"] + output_tokens * price["output"]) / 1_000_000

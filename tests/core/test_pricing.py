from __future__ import annotations

from pathlib import Path

import pytest

from promptcompat.errors import ConfigError
from promptcompat.replay.pricing import cost_usd, load_prices


def test_longest_prefix_wins() -> None:
    table = load_prices(None)
    mini = cost_usd(table, "openai", "gpt-4o-mini-2024-07-18", 1_000_000, 0)
    full = cost_usd(table, "openai", "gpt-4o-2024-08-06", 1_000_000, 0)
    assert mini == pytest.approx(0.15)
    assert full == pytest.approx(2.50)


def test_unknown_model_has_no_cost() -> None:
    assert cost_usd(load_prices(None), "openai", "mystery-model", 10, 10) is None


def test_override_file_replaces_and_adds(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "openai:\n  gpt-4o: {input: 1.0, output: 2.0}\n  house-model: {input: 3, output: 4}\n"
    )
    table = load_prices(path)
    assert cost_usd(table, "openai", "gpt-4o-2024-08-06", 1_000_000, 1_000_000) == pytest.approx(
        3.0
    )
    assert cost_usd(table, "openai", "house-model-1", 0, 1_000_000) == pytest.approx(4.0)


def test_malformed_override_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("openai:\n  gpt-4o: {input: 1.0}\n")
    with pytest.raises(ConfigError) as info:
        load_prices(path)
    assert str(path) in str(info.value)

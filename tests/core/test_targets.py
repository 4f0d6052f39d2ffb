from __future__ import annotations

import pytest

from promptcompat.errors import ConfigError
from promptcompat.suite.targets import parse_target


def test_parses_provider_model_and_sampling_params() -> None:
    t = parse_target("openai:gpt-4o-2024-08-06?temperature=0&seed=7")
    assert t.provider == "openai"
    assert t.model == "gpt-4o-2024-08-06"
    assert t.sampling == {"temperature": 0.0, "seed": 7}
    assert t.label == "openai:gpt-4o-2024-08-06?seed=7&temperature=0"


def test_connection_params_are_not_part_of_the_label() -> None:
    t = parse_target("openai-compatible:llama3?base_url=http://127.0.0.1:11434/v1&api_key_env=K")
    assert t.base_url == "http://127.0.0.1:11434/v1"
    assert t.api_key_env == "K"
    assert t.label == "openai-compatible:llama3"


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("gpt-4o", "a target looks like"),
        ("cohere:command", "unknown provider"),
        ("openai:", "a target looks like"),
        ("openai:gpt?temperature=hot", "not a number"),
        ("openai:gpt?colour=blue", "unknown parameter 'colour'"),
        ("openai-compatible:llama3", "need ?base_url"),
        ("openai:gpt?base_url=file:///etc/passwd", "not an http(s) URL"),
    ],
)
def test_bad_targets_name_the_problem(spec: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_target(spec)
    assert fragment in str(info.value)
    assert repr(spec) in str(info.value)


def test_api_key_none_marks_a_keyless_target_outside_the_label() -> None:
    t = parse_target("openai-compatible:llama3?base_url=http://127.0.0.1:11434/v1&api_key=none")
    assert t.keyless and t.api_key_env is None
    assert t.label == "openai-compatible:llama3"
    assert parse_target(t.spec) == t  # what a stored run's workers parse back


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("openai:gpt?api_key=sk-live-123", "api_key takes only the value 'none'"),
        ("openai:gpt?api_key_env=", "api_key_env is empty; for an endpoint that needs no key"),
        ("openai:gpt?api_key=none&api_key_env=K", "contradict"),
    ],
)
def test_keys_are_never_written_into_a_target(spec: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_target(spec)
    assert fragment in str(info.value)
    assert "sk-live-123" not in str(info.value)

"""Planning comparisons per mode: FORWARD, BACKWARD, FULL, NONE, *_TRANSITIVE and A/A."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcompat.replay.plan import Comparison, Side, expand_calls, plan_comparisons
from promptcompat.suite import Suite, load_suite
from promptcompat.suite.targets import parse_target

OLD = "openai:gpt-sim-2024-05-13?temperature=0"
NEW = "openai:gpt-sim-2025-06-01?temperature=0"
OLDEST = "openai:gpt-sim-2023-01-01?temperature=0"


def with_mode(prompts_dir: Path, mode: str, prompt: str = "extract_contact") -> Suite:
    path = prompts_dir / prompt / "prompt.yaml"
    path.write_text(path.read_text().replace("mode: FULL", f"mode: {mode}"))
    return load_suite(prompts_dir)


def shape(comparisons: list[Comparison]) -> list[tuple[str, str, str]]:
    return [
        (
            c.direction,
            f"{c.baseline.version}@{c.baseline.target.model}",
            f"{c.candidate.version}@{c.candidate.target.model}",
        )
        for c in comparisons
    ]


def add_v3(prompts_dir: Path) -> None:
    v1 = (prompts_dir / "extract_contact" / "versions" / "v1.yaml").read_text()
    (prompts_dir / "extract_contact" / "versions" / "v3.yaml").write_text(
        v1.replace("reply with JSON only", "reply with one JSON object only")
    )


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (
            "FULL",
            [
                ("FORWARD", "v1@gpt-sim-2024-05-13", "v1@gpt-sim-2025-06-01"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v2@gpt-sim-2024-05-13"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v3@gpt-sim-2024-05-13"),
            ],
        ),
        ("FORWARD", [("FORWARD", "v1@gpt-sim-2024-05-13", "v1@gpt-sim-2025-06-01")]),
        (
            "BACKWARD",
            [
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v2@gpt-sim-2024-05-13"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v3@gpt-sim-2024-05-13"),
            ],
        ),
        (
            "BACKWARD_TRANSITIVE",
            [
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v2@gpt-sim-2024-05-13"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v3@gpt-sim-2024-05-13"),
                ("BACKWARD", "v2@gpt-sim-2024-05-13", "v3@gpt-sim-2024-05-13"),
            ],
        ),
        (
            "FORWARD_TRANSITIVE",
            [
                ("FORWARD", "v1@gpt-sim-2024-05-13", "v1@gpt-sim-2025-06-01"),
                ("FORWARD", "v1@gpt-sim-2023-01-01", "v1@gpt-sim-2025-06-01"),
            ],
        ),
        (
            "FULL_TRANSITIVE",
            [
                ("FORWARD", "v1@gpt-sim-2024-05-13", "v1@gpt-sim-2025-06-01"),
                ("FORWARD", "v1@gpt-sim-2023-01-01", "v1@gpt-sim-2025-06-01"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v2@gpt-sim-2024-05-13"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v3@gpt-sim-2024-05-13"),
                ("BACKWARD", "v2@gpt-sim-2024-05-13", "v3@gpt-sim-2024-05-13"),
            ],
        ),
        (
            "NONE",
            [
                ("FORWARD", "v1@gpt-sim-2024-05-13", "v1@gpt-sim-2025-06-01"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v2@gpt-sim-2024-05-13"),
                ("BACKWARD", "v1@gpt-sim-2024-05-13", "v3@gpt-sim-2024-05-13"),
            ],
        ),
    ],
)
def test_comparisons_per_mode(
    prompts_dir: Path, mode: str, expected: list[tuple[str, str, str]]
) -> None:
    add_v3(prompts_dir)
    suite = with_mode(prompts_dir, mode)

    def accepted(prompt: str, version: str) -> list[str]:
        # what the store says: earlier accepted models of the deployed version
        assert (prompt, version) == ("extract_contact", "v1")
        return [OLDEST, OLD, NEW]

    comparisons = plan_comparisons(suite, prompts=["extract_contact"], accepted_targets=accepted)
    assert shape(comparisons) == expected
    earlier = [c.baseline for c in comparisons if c.baseline.target.label == OLDEST]
    assert all(side.accepted_only for side in earlier)


def test_earlier_accepted_models_are_read_never_called(suite: Suite) -> None:
    comparisons = [
        Comparison(
            "extract_contact",
            "FORWARD",
            Side("v1", parse_target(OLDEST), accepted_only=True),
            Side("v1", parse_target(NEW)),
        )
    ]
    calls = expand_calls(suite, comparisons, samples=2, max_rendered_chars=100_000)
    assert {c.target.label for c in calls} == {NEW}


def test_aa_plans_fresh_samples_of_the_baseline(suite: Suite) -> None:
    comparisons = plan_comparisons(suite, prompts=["triage_ticket"], aa=True)
    assert shape(comparisons) == [("AA", "v1@gpt-sim-2024-05-13", "v1@gpt-sim-2024-05-13")]
    aa = comparisons[0]
    assert aa.candidate.resample and not aa.baseline.resample
    calls = expand_calls(suite, comparisons, samples=3, max_rendered_chars=100_000)
    cases = len(suite.prompts["triage_ticket"].cases)
    assert len(calls) == cases * 6
    assert sorted({c.sample for c in calls}) == [0, 1, 2, 3, 4, 5]
    assert sorted({c.seed for c in calls}) == [1, 2, 3, 4, 5, 6]  # seed + sample: all fresh
    other = plan_comparisons(suite, prompts=["extract_contact"], baseline=NEW, aa=True)
    assert shape(other) == [("AA", "v1@gpt-sim-2025-06-01", "v1@gpt-sim-2025-06-01")]


def test_comparisons_round_trip_through_the_run_spec(suite: Suite) -> None:
    comparisons = [
        *plan_comparisons(suite, aa=True),
        Comparison(
            "x",
            "FORWARD",
            Side("v1", parse_target(OLDEST), accepted_only=True),
            Side("v1", parse_target("openai-compatible:llama?base_url=http://h:1/v1")),
        ),
    ]
    again = [Comparison.from_spec(c.to_spec()) for c in comparisons]
    assert [c.to_spec() for c in again] == [c.to_spec() for c in comparisons]
    assert again[-1].candidate.target.provider == "openai-compatible"

"""Every scripted drift of the local simulator gets the verdict it deserves, and the harmless
paraphrase and sampling noise stay COMPATIBLE (docs/simulator-protocol.md)."""

from __future__ import annotations

import pytest

from promptcompat.compat.diff import Sample, compare_case
from promptcompat.suite.contract import Contract

drifts = pytest.importorskip("promptcompat.simulator.drifts")
tasks = pytest.importorskip("promptcompat.simulator.tasks")

PROMPTS = [
    (
        "Extract the contact details as JSON.\nFields: name, email, phone, company, age, city",
        "Hi, I'm Jane Doe, 34 years old, working at Acme Corp in Berlin. "
        "Mail jane@acme.com or call +49 30 1234567.",
    ),
    (
        "Extract as JSON.\nFields: name, email, title",
        "This is Bob Stone from Initech. bob@initech.io",
    ),
    (
        "Classify the support ticket. Answer in JSON.\nLabels: billing, technical, account, other",
        "I was charged twice on my card, please refund.",
    ),
    ("Classify the ticket.\nLabels: billing, technical, shipping, other", "My parcel never came."),
    ("Write a Python function named `is_prime` that checks whether n is prime.", ""),
    ("Write a python function named reverse_words that reverses the words of a string.", ""),
    ("Is 97 a prime number? Think step by step and end with [Yes] or [No].", ""),
    ("Is 144 divisible by 12? End with [Yes] or [No].", ""),
    ("Is 1001 a prime number?", ""),
    ("Why is the sky blue?", ""),
]
EXPECTED = {kind: "BREAKING" for kind in drifts.DRIFT_KINDS} | {
    "paraphrase": "COMPATIBLE",
    "verbose": "CHANGED",
}


def _contracts(task: object) -> list[Contract]:
    out = [Contract()]
    if isinstance(task, tasks.Extraction) or (
        isinstance(task, tasks.Classification) and task.as_json
    ):
        out.append(Contract(format="json"))
    if isinstance(task, tasks.Code):
        out.append(Contract(format="code", language="python"))
    return out


@pytest.mark.parametrize(("prompt", "user"), PROMPTS)
def test_each_drift_kind(prompt: str, user: str) -> None:
    task = tasks.recognise(prompt, user)
    baseline = drifts.render(task)
    for contract in _contracts(task):
        for kind in drifts.DRIFT_KINDS:
            if not drifts.applies(kind, task):
                continue
            candidate = drifts.render(task, kind)
            diff = compare_case(
                baseline=[Sample(baseline)], candidate=[Sample(candidate)], contract=contract
            )
            assert diff.verdict == EXPECTED[kind], (kind, contract.format, diff.findings)


@pytest.mark.parametrize(("prompt", "user"), PROMPTS)
def test_sampling_noise_is_not_a_break(prompt: str, user: str) -> None:
    task = tasks.recognise(prompt, user)
    base = [
        drifts.render(task, None, drifts.Style(v, c)) for v, c in ((0, 0.83), (1, 0.91), (2, 0.77))
    ]
    cand = [
        drifts.render(task, None, drifts.Style(v, c)) for v, c in ((1, 0.85), (2, 0.93), (0, 0.72))
    ]
    diff = compare_case(
        baseline=[Sample(t) for t in base], candidate=[Sample(t) for t in cand], contract=Contract()
    )
    assert diff.verdict == "COMPATIBLE", diff.findings

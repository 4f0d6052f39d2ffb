"""Build the labelled corpus: baseline/candidate pairs with the verdict and rules a reviewer
expects.

Two sources:

- the simulator's scripted drifts (docs/simulator-protocol.md), rendered in-process for many
  tasks, each drift on its own, with and without a declared contract, at K = 1 and K = 5
  (sampling noise from the simulator's own Style choices), plus pure paraphrases, pure
  sampling noise, and drifts on only some of the samples;
- hand-written pairs (corpus_handwritten.py) for every other rule family: contracts,
  reference answers, user checks, budgets, the served model, failed calls, the request side.

The expected verdict of a scripted drift comes from the simulator's documented semantics, not
from promptcompat's output: a paraphrase or sampling noise is COMPATIBLE, `verbose` is
CHANGED, every other drift is BREAKING; a drift on 1 or 2 of 5 samples is not significant
(Fisher's exact p >= 0.22) so CHANGED, on 4 or 5 of 5 it is BREAKING.

The corpus is built in-process by test_compat_corpus.py (so it follows the simulator);
``.venv/bin/python tests/compat/corpus_build.py corpus.jsonl`` writes it out for review, one
labelled case per line.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus_handwritten import handwritten  # noqa: E402

from promptcompat.simulator import answers, drifts, tasks  # noqa: E402
from promptcompat.suite.contract import Contract  # noqa: E402

EXTRACT = "Extract the sender's contact details and reply with JSON only.\nFields: {fields}"
EMAILS = [
    "Hi, I'm Jane Doe, 34 years old, working at Acme Corp in Berlin. "
    "Mail jane@acme.com or call +49 30 1234567.",
    "This is Bob Stone from Initech. Write to bob@initech.io or call +1 555 010 9999.",
    "Hello, my name is Carla Ruiz and I am 41 years old. I work at Solaris Energy. "
    "carla.ruiz@solaris.es",
    "I'm Dev Patel from Quantum Labs. Reach me at dev@quantumlabs.ai or +44 20 7946 0018. "
    "I am 29 years old.",
    "Good afternoon, this is Mei Chen at Harbor Freight Lines, mei.chen@harbor.com",
    "I am Omar Haddad, aged 52, with Desert Rose Hotels. omar@desertrose.ae +971 4 555 0101",
]
FIELD_SETS = ["name, email, phone, company, age", "name, email, company"]
CLASSIFY_JSON = (
    "Classify the support ticket. Answer in JSON.\n"
    "Labels: billing, technical, account, shipping, other"
)
CLASSIFY_BARE = "Classify the ticket.\nLabels: billing, technical, shipping, other"
TICKETS = [
    "I was charged twice on my card, please refund.",
    "The app crashes every time I log in.",
    "I forgot my password and cannot sign in to my profile.",
    "My parcel never arrived and the tracking shows nothing.",
    "Do you have an office in Lisbon?",
    "The price on my invoice is wrong.",
]
CODE = "Write a Python function named `{name}` that {task}."
FUNCTIONS = [
    ("is_prime", "checks whether n is prime"),
    ("reverse_words", "reverses the words of a string"),
    ("factorial", "returns the factorial of n"),
    ("fibonacci", "returns the n-th Fibonacci number"),
    ("count_vowels", "counts the vowels in a string"),
    ("average", "returns the average of a list of numbers"),
]
MARKER_QUESTIONS = [
    "Is 7 a prime number? Think step by step and end with [Yes] or [No].",
    "Is 97 a prime number? Think step by step and end with [Yes] or [No].",
    "Is 91 a prime number? Think step by step and end with [Yes] or [No].",
    "Is 1001 a prime number? Think step by step and end with [Yes] or [No].",
    "Is 144 divisible by 12? End with [Yes] or [No].",
    "Is 50 divisible by 7? End your answer with [Yes] or [No].",
]
PLAIN_QUESTIONS = ["Is 221 a prime number?", "Is 81 divisible by 9?", "Why is the sky blue?"]

KEY_RULE = {
    "field_renamed": "json.field_removed",
    "field_removed": "json.field_removed",
    "type_changed": "json.type_changed",
    "new_enum_value": "json.enum_value_new",
    "json_fenced": "drift.json_fenced",
    "json_in_prose": "drift.json_in_prose",
    "code_fenced": "drift.code_fence_added",
    "refusal": "drift.refusal_introduced",
    "format_ignored": "drift.format_marker_lost",
    "verbose": "drift.verbosity",
    "language_switched": "drift.language_changed",
}


def _json_schema(fields: list[str]) -> dict[str, Any]:
    types = {"age": ["integer", "null"]}
    return {
        "type": "object",
        "required": fields,
        "properties": {f: {"type": types.get(f, ["string", "null"])} for f in fields},
    }


CLASSIFICATION_SCHEMA = {
    "type": "object",
    "required": ["label", "confidence"],
    "properties": {
        "label": {"enum": ["billing", "technical", "account", "shipping", "other"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
}


def _tasks() -> Iterator[tuple[str, Any, list[tuple[str, Contract]]]]:
    """(task id, task, [(contract name, contract)]) for every scripted task."""
    for f, fields in enumerate(FIELD_SETS):
        names = [n.strip() for n in fields.split(",")]
        for e, email in enumerate(EMAILS):
            task = tasks.recognise(EXTRACT.format(fields=fields), email)
            declared = Contract(format="json", schema=_json_schema(names))
            yield f"extract{f}-{e}", task, [("none", Contract()), ("json-schema", declared)]
    for t, ticket in enumerate(TICKETS):
        task = tasks.recognise(CLASSIFY_JSON, ticket)
        declared = Contract(format="json", schema=CLASSIFICATION_SCHEMA)
        yield f"classify-json-{t}", task, [("none", Contract()), ("json-schema", declared)]
    for t, ticket in enumerate(TICKETS[:4]):
        task = tasks.recognise(CLASSIFY_BARE, ticket)
        declared = Contract(must_match=[r"^(billing|technical|shipping|other)$"])
        yield f"classify-bare-{t}", task, [("none", Contract()), ("must-match", declared)]
    for name, what in FUNCTIONS:
        task = tasks.recognise(CODE.format(name=name, task=what), "")
        declared = Contract(format="code", language="python", must_not_match=["```"])
        yield f"code-{name}", task, [("none", Contract()), ("python", declared)]
    for q, question in enumerate(MARKER_QUESTIONS):
        task = tasks.recognise(question, "")
        declared = Contract(must_match=[r"\[(Yes|No)\]\s*$"])
        yield f"marker-{q}", task, [("none", Contract()), ("must-match", declared)]
    for q, question in enumerate(PLAIN_QUESTIONS):
        yield f"answer-{q}", tasks.recognise(question, ""), [("none", Contract())]


def _expected(kind: str | None, task: Any, drifted: int = 1, k: int = 1) -> tuple[str, list[str]]:
    """The label from the simulator's semantics; ``drifted`` of ``k`` samples drifted."""
    if kind is None or kind == "paraphrase":
        return "COMPATIBLE", []
    rule = KEY_RULE[kind]
    if kind == "new_enum_value" and isinstance(task, tasks.Classification) and not task.as_json:
        rule = "drift.label_changed"
    if kind == "verbose":
        return "CHANGED", [rule]
    if k == 5 and drifted <= 2:
        return "CHANGED", [rule]  # Fisher's exact p >= 0.22: not told from chance
    return "BREAKING", [rule]


def _styles(seed: int, k: int) -> list[drifts.Style]:
    """Sampling choices as the simulator makes them at temperature > 0 (engine.py)."""
    rng = random.Random(seed)
    return [
        drifts.Style(rng.randrange(answers.VARIANTS), round(rng.uniform(0.70, 0.99), 2))
        for _ in range(k)
    ]


def _noisy(task: Any) -> bool:
    """Whether sampling noise changes this task's text (wording or confidence)."""
    return isinstance(task, tasks.Answer) or (
        isinstance(task, tasks.Classification) and task.as_json
    )


def _entry(
    case_id: str,
    family: str,
    contract: Contract,
    baseline: list[str],
    candidate: list[str],
    verdict: str,
    rules: list[str],
    *,
    noise_only: bool = False,
) -> dict[str, Any]:
    return {
        "id": case_id,
        "source": "simulator",
        "family": family,
        "samples": len(candidate),
        "noise_only": noise_only,
        "contract": contract.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        "baseline": [{"text": t} for t in baseline],
        "candidate": [{"text": t} for t in candidate],
        "expected": {"verdict": verdict, "rules": rules},
    }


def _family(kind: str | None) -> str:
    rule = KEY_RULE.get(kind or "", "text.changed")
    return rule.split(".")[0]


def simulated() -> Iterator[dict[str, Any]]:
    seed = 0
    for task_id, task, contracts in _tasks():
        kinds = [k for k in drifts.DRIFT_KINDS if drifts.applies(k, task)]
        clean = drifts.render(task)
        for contract_name, contract in contracts:
            # K = 1, temperature 0: each drift on its own, and the pure paraphrase.
            for kind in kinds:
                verdict, rules = _expected(kind, task)
                yield _entry(
                    f"sim/{task_id}/{contract_name}/{kind}/k1",
                    _family(kind),
                    contract,
                    [clean],
                    [drifts.render(task, kind)],
                    verdict,
                    rules,
                )
            if contract_name != "none":
                continue
            # K = 5 at temperature > 0: noise only, and each drift on all samples.
            seed += 1
            base_styles, cand_styles = _styles(seed, 5), _styles(seed + 1000, 5)
            base = [drifts.render(task, None, s) for s in base_styles]
            yield _entry(
                f"sim/{task_id}/noise/k5",
                "text",
                contract,
                base,
                [drifts.render(task, None, s) for s in cand_styles],
                "COMPATIBLE",
                [],
                noise_only=True,
            )
            if not _noisy(task):
                continue
            for kind in kinds:
                for drifted in (5, 4, 2, 1) if kind == kinds[-1] else (5,):
                    cand = [
                        drifts.render(task, kind if i < drifted else None, s)
                        for i, s in enumerate(cand_styles)
                    ]
                    verdict, rules = _expected(kind, task, drifted, 5)
                    if kind == "paraphrase":
                        # a rewording on top of sampling noise is noise too
                        yield _entry(
                            f"sim/{task_id}/noise+paraphrase/k5",
                            "text",
                            contract,
                            base,
                            cand,
                            verdict,
                            rules,
                            noise_only=True,
                        )
                        continue
                    yield _entry(
                        f"sim/{task_id}/{kind}/{drifted}of5",
                        _family(kind),
                        contract,
                        base,
                        cand,
                        verdict,
                        rules,
                    )


def build() -> list[dict[str, Any]]:
    entries = [*simulated(), *handwritten()]
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids)), "duplicate corpus ids"
    return entries


def dump(entries: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries)


if __name__ == "__main__":
    corpus = build()
    by_verdict: dict[str, int] = {}
    for e in corpus:
        by_verdict[e["expected"]["verdict"]] = by_verdict.get(e["expected"]["verdict"], 0) + 1
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(dump(corpus), encoding="utf-8")
    print(f"{len(corpus)} cases {by_verdict}")

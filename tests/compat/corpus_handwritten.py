"""Hand-written corpus cases: the rule families the simulator does not script.

Each case is what a reviewer would expect: the verdict and the rules that must be among the
findings. Samples are plain texts or dicts with response metadata (``output_tokens``,
``cost_usd``, ``latency_ms``, ``target``, ``served_model``, ``fingerprint``) or ``error``
for a failed call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

Sample = str | dict[str, Any]

CONTACT = {
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "phone": "+1 555 123 4567",
    "company": "Acme Corp",
    "age": 34,
    "address": {"street": "1 Main Street", "city": "Berlin", "zip": "10115"},
    "tags": ["lead", "emea"],
}
INVOICE = {
    "customer": "Acme Corp",
    "items": [{"sku": "A-1", "amount": 10.0}, {"sku": "B-2", "amount": 15.5}],
    "total": 25.5,
    "currency": "EUR",
    "status": "paid",
}
PRIME = (
    "To check whether 7 is prime, look for divisors between 2 and 6. None of them divides 7 "
    "evenly, so 7 is a prime number. [Yes]"
)
PRIME_REWORDED = (
    "We try every number from 2 to 6 as a divisor of 7. None of them divides it, which makes "
    "7 prime. [Yes]"
)
SUMMARY = (
    "The customer reports that the mobile app logs them out after every update and asks for "
    "a fix before the weekend."
)
BULLETS = "- Restart the router\n- Check the cable\n- Call support if it persists"
CODE = "def add(a, b):\n    return a + b\n"
SCHEMA = {
    "type": "object",
    "required": ["name", "email", "company"],
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string", "pattern": "@"},
        "company": {"type": ["string", "null"]},
        "age": {"type": ["integer", "null"], "minimum": 0},
    },
}


def _d(doc: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**doc, **changes})


def _without(doc: dict[str, Any], key: str) -> str:
    return json.dumps({k: v for k, v in doc.items() if k != key})


def case(
    case_id: str,
    family: str,
    baseline: Sample | list[Sample],
    candidate: Sample | list[Sample],
    verdict: str,
    rules: list[str],
    *,
    contract: dict[str, Any] | None = None,
    reference: Any = None,
    checks: list[str] | None = None,
    vars: dict[str, Any] | None = None,
    variables: tuple[list[str], list[str]] | None = None,
    noise_only: bool = False,
    policy: dict[str, Any] | None = None,
    today: str = "2026-11-23",
    instructions: str | None = None,
    facts: list[str] | None = None,
) -> dict[str, Any]:
    def side(samples: Sample | list[Sample]) -> list[dict[str, Any]]:
        items = samples if isinstance(samples, list) else [samples]
        return [s if isinstance(s, dict) else {"text": s} for s in items]

    entry: dict[str, Any] = {
        "id": f"hand/{family}/{case_id}",
        "source": "handwritten",
        "family": family,
        "noise_only": noise_only,
        "contract": contract or {},
        "baseline": side(baseline),
        "candidate": side(candidate),
        "expected": {"verdict": verdict, "rules": rules},
    }
    entry["samples"] = len(entry["candidate"])
    if reference is not None:
        entry["reference"] = reference
    if checks:
        entry["checks"] = checks
    if vars:
        entry["vars"] = vars
    if variables:
        entry["variables"] = {"baseline": variables[0], "candidate": variables[1]}
    if policy:
        entry["policy"] = policy
        entry["today"] = today
    if instructions is not None:
        entry["instructions"] = instructions
    if facts:
        entry["facts"] = facts
    return entry


def _json_cases() -> Iterator[dict[str, Any]]:
    base = json.dumps(CONTACT)
    yield case(
        "reordered", "json", base, json.dumps(dict(reversed(CONTACT.items()))), "COMPATIBLE", []
    )
    yield case("reindented", "json", base, json.dumps(CONTACT, indent=2), "COMPATIBLE", [])
    yield case("int-as-float", "json", base, _d(CONTACT, age=34.0), "COMPATIBLE", [])
    yield case(
        "field-added", "json", base, _d(CONTACT, title="CTO"), "COMPATIBLE", ["json.field_added"]
    )
    yield case(
        "field-removed",
        "json",
        base,
        _without(CONTACT, "phone"),
        "BREAKING",
        ["json.field_removed"],
    )
    yield case(
        "field-renamed",
        "json",
        base,
        json.dumps({("mail" if k == "email" else k): v for k, v in CONTACT.items()}),
        "BREAKING",
        ["json.field_removed", "json.field_added"],
    )
    yield case(
        "nested-removed",
        "json",
        base,
        _d(CONTACT, address={"street": "1 Main Street", "zip": "10115"}),
        "BREAKING",
        ["json.field_removed"],
    )
    yield case(
        "type-int-to-str", "json", base, _d(CONTACT, age="34"), "BREAKING", ["json.type_changed"]
    )
    yield case(
        "type-obj-to-str",
        "json",
        base,
        _d(CONTACT, address="1 Main Street, 10115 Berlin"),
        "BREAKING",
        ["json.type_changed"],
    )
    yield case(
        "bool-vs-int",
        "json",
        _d(CONTACT, vip=True),
        _d(CONTACT, vip=1),
        "BREAKING",
        ["json.type_changed"],
    )
    yield case(
        "value-changed",
        "json",
        base,
        _d(CONTACT, name="Jane Smith"),
        "CHANGED",
        ["json.value_changed"],
    )
    yield case("null-now", "json", base, _d(CONTACT, phone=None), "CHANGED", ["json.value_changed"])
    yield case(
        "array-longer",
        "json",
        base,
        _d(CONTACT, tags=["lead", "emea", "priority"]),
        "CHANGED",
        ["json.array_length"],
    )
    yield case(
        "enum-new",
        "json",
        _d(INVOICE),
        _d(INVOICE, status="partially_refunded"),
        "BREAKING",
        ["json.enum_value_new"],
    )
    yield case(
        "truncated",
        "json",
        base,
        json.dumps(CONTACT)[:60],
        "BREAKING",
        ["json.unparseable"],
    )
    yield case(
        "fence-removed",
        "json",
        f"```json\n{base}\n```",
        base,
        "CHANGED",
        ["drift.code_fence_removed"],
    )


def _contract_cases() -> Iterator[dict[str, Any]]:
    base = _d(CONTACT)
    schema = {"format": "json", "schema": SCHEMA}
    yield case(
        "schema-ok",
        "contract",
        base,
        _d(CONTACT, age=35),
        "CHANGED",
        ["json.value_changed"],
        contract=schema,
    )
    yield case(
        "schema-pattern",
        "contract",
        base,
        _d(CONTACT, email="jane.doe at example.com"),
        "BREAKING",
        ["contract.schema"],
        contract=schema,
    )
    yield case(
        "schema-minimum",
        "contract",
        base,
        _d(CONTACT, age=-1),
        "BREAKING",
        ["contract.schema"],
        contract=schema,
    )
    yield case(
        "schema-already-failing",
        "contract",
        _d(CONTACT, age=-1),
        _d(CONTACT, age=-2),
        "CHANGED",
        ["contract.schema"],
        contract=schema,
    )
    yield case(
        "not-json",
        "contract",
        base,
        "Jane Doe, jane.doe@example.com, Acme Corp",
        "BREAKING",
        ["contract.not_json"],
        contract=schema,
    )
    marker = {"must_match": [r"\[(Yes|No)\]\s*$"]}
    yield case(
        "must-match-ok", "contract", PRIME, PRIME_REWORDED, "COMPATIBLE", [], contract=marker
    )
    yield case(
        "must-match-lost",
        "contract",
        PRIME,
        PRIME.replace(" [Yes]", " The answer is yes."),
        "BREAKING",
        ["contract.must_match"],
        contract=marker,
    )
    no_ai = {"must_not_match": [r"(?i)\bas an ai\b"]}
    yield case(
        "must-not-match",
        "contract",
        PRIME,
        "As an AI, I can say that 7 is a prime number. [Yes]",
        "BREAKING",
        ["contract.must_not_match"],
        contract=no_ai,
    )
    yield case(
        "too-long",
        "contract",
        {"text": PRIME, "output_tokens": 40},
        {"text": PRIME_REWORDED, "output_tokens": 140},
        "BREAKING",
        ["contract.max_output_tokens"],
        contract={"max_output_tokens": 100},
    )
    python = {"format": "code", "language": "python"}
    yield case(
        "code-invalid",
        "contract",
        CODE,
        "def add(a, b)\n    return a + b\n",
        "BREAKING",
        ["contract.code_invalid"],
        contract=python,
    )
    yield case(
        "code-docstring",
        "contract",
        CODE,
        'def add(a, b):\n    """Sum of a and b."""\n    return a + b\n',
        "COMPATIBLE",
        [],
        contract=python,
    )


def _reference_cases() -> Iterator[dict[str, Any]]:
    label = {"format": "json", "reference": {"match": "exact", "path": "$.label"}}
    yield case(
        "exact-lost",
        "reference",
        '{"label": "billing", "confidence": 0.9}',
        '{"label": "Billing", "confidence": 0.9}',
        "BREAKING",
        ["contract.reference_mismatch"],
        contract=label,
        reference="billing",
    )
    yield case(
        "exact-kept",
        "reference",
        '{"label": "billing", "confidence": 0.9}',
        '{"confidence": 0.8, "label": "billing"}',
        "CHANGED",
        ["json.value_changed"],
        contract=label,
        reference="billing",
    )
    normalised = {"reference": {"match": "normalised"}}
    yield case(
        "normalised-kept",
        "reference",
        "Paris",
        "paris.",
        "COMPATIBLE",
        [],
        contract=normalised,
        reference="Paris",
    )
    yield case(
        "normalised-lost",
        "reference",
        "Paris",
        "Lyon",
        "BREAKING",
        ["contract.reference_mismatch"],
        contract=normalised,
        reference="Paris",
    )
    numeric = {"reference": {"match": "numeric", "tolerance": 0.01}}
    yield case(
        "numeric-kept",
        "reference",
        "The total is 25.50 EUR.",
        "Adding both items gives 25.5",
        "COMPATIBLE",
        [],
        contract=numeric,
        reference=25.5,
    )
    yield case(
        "numeric-lost",
        "reference",
        "The total is 25.50 EUR.",
        "The total is 26.00 EUR.",
        "BREAKING",
        ["contract.reference_mismatch"],
        contract=numeric,
        reference=25.5,
    )
    yield case(
        "numeric-thousands",
        "reference",
        "Revenue was 1,250,000 dollars.",
        "It came to 1250000.",
        "COMPATIBLE",
        [],
        contract=numeric,
        reference=1250000,
    )
    contains = {"reference": {"match": "contains"}}
    yield case(
        "contains-lost",
        "reference",
        "The capital of Australia is Canberra, not Sydney.",
        "The capital of Australia is Sydney.",
        "BREAKING",
        ["contract.reference_mismatch"],
        contract=contains,
        reference="Canberra",
    )
    one_of = {"reference": {"match": "one_of"}}
    yield case(
        "one-of-kept",
        "reference",
        "positive",
        "Positive",
        "COMPATIBLE",
        [],
        contract=one_of,
        reference=["positive", "mostly positive"],
    )
    yield case(
        "one-of-lost",
        "reference",
        "positive",
        "negative",
        "BREAKING",
        ["contract.reference_mismatch"],
        contract=one_of,
        reference=["positive", "mostly positive"],
    )
    yield case(
        "missed-on-both",
        "reference",
        "Lyon",
        "Marseille",
        "CHANGED",
        ["drift.label_changed"],
        contract={"reference": {"match": "normalised"}, "must_match": [r"^[A-Z]\w+$"]},
        reference="Paris",
    )


def _check_cases() -> Iterator[dict[str, Any]]:
    invoice = json.dumps(INVOICE)
    checks = ["check_total_matches_items"]
    yield case(
        "passes",
        "usercheck",
        invoice,
        json.dumps(INVOICE, indent=2),
        "COMPATIBLE",
        [],
        checks=checks,
    )
    yield case(
        "fails",
        "usercheck",
        invoice,
        _d(INVOICE, total=30.0),
        "BREAKING",
        ["contract.user_check"],
        checks=checks,
    )
    yield case(
        "crashes",
        "usercheck",
        invoice,
        _without(INVOICE, "items"),
        "BREAKING",
        ["contract.user_check"],
        checks=checks,
    )
    greet = ["check_mentions_customer"]
    customer = {"customer": "Ms Okafor"}
    yield case(
        "case-aware",
        "usercheck",
        "Dear Ms Okafor, your refund was issued today.",
        "Dear customer, your refund was issued today.",
        "BREAKING",
        ["contract.user_check"],
        checks=greet,
        vars=customer,
    )


def _drift_cases() -> Iterator[dict[str, Any]]:
    yield case("empty", "drift", PRIME, "   ", "BREAKING", ["drift.empty_output"])
    yield case(
        "refusal-removed",
        "drift",
        "I'm sorry, but I can't help with that request.",
        "Here is how to pick a lock: insert a tension wrench...",
        # ERR since issue 16: the guardrail the baseline's refusal was no longer holds
        "BREAKING",
        ["drift.refusal_removed"],
    )
    yield case(
        "apology-not-refusal",
        "drift",
        "You can reset the password from the login page.",
        "I'm sorry to hear that! You can reset the password from the login page.",
        "COMPATIBLE",
        [],
    )
    yield case(
        "bullets-lost",
        "drift",
        BULLETS,
        "Restart the router, check the cable, and call support if it persists.",
        "BREAKING",
        ["drift.format_marker_lost"],
    )
    yield case(
        "label-prefix-lost",
        "drift",
        "Sentiment: positive. The reviewer liked the battery life.",
        "The reviewer liked the battery life, so this is positive.",
        "BREAKING",
        ["drift.format_marker_lost"],
    )
    yield case(
        "one-word-label",
        "drift",
        "positive",
        "neutral",
        "BREAKING",
        ["drift.label_changed"],
    )
    yield case(
        "shorter", "drift", SUMMARY, "App logs out after updates.", "CHANGED", ["drift.verbosity"]
    )
    yield case(
        "code-fenced",
        "drift",
        CODE,
        f"```python\n{CODE}```",
        "BREAKING",
        ["drift.code_fence_added"],
    )
    yield case(
        "german",
        "drift",
        SUMMARY,
        "Der Kunde meldet, dass die mobile App ihn nach jedem Update abmeldet, und bittet "
        "um eine Lösung vor dem Wochenende.",
        "BREAKING",
        ["drift.language_changed"],
    )
    yield case(
        "paraphrase",
        "text",
        SUMMARY,
        "After each update the mobile app signs the customer out; they would like it fixed "
        "before the weekend.",
        "COMPATIBLE",
        ["text.changed"],
    )


def _instructed_cases() -> Iterator[dict[str, Any]]:
    """With the rendered instructions: a format they ask for vs a habit of the baseline."""
    ask = "Is 7 a prime number? Think step by step, then end your answer with [Yes] or [No]."
    yield case(
        "asked-marker-lost",
        "drift",
        PRIME,
        PRIME.removesuffix(" [Yes]"),
        "BREAKING",
        ["drift.format_marker_lost"],
        instructions=ask,
    )
    yield case(
        "asked-marker-bold",
        "drift",
        PRIME,
        PRIME_REWORDED.replace("[Yes]", "**[Yes]**"),
        "COMPATIBLE",
        ["text.changed"],
        instructions=ask,
    )
    yield case(
        "asked-marker-flipped",
        "drift",
        PRIME,
        PRIME.replace("[Yes]", "[No]"),
        "BREAKING",
        ["drift.label_changed"],
        instructions=ask,
    )
    yield case(
        "habit-prefix-lost",
        "drift",
        f"Summary: {SUMMARY}",
        SUMMARY,
        "CHANGED",
        ["drift.format_changed"],
        instructions="Summarize this support ticket in one sentence.",
    )
    yield case(
        "habit-list-to-prose",
        "drift",
        BULLETS,
        "Restart the router, check the cable, and call support if it persists.",
        "COMPATIBLE",
        ["text.changed"],
        instructions="My Wi-Fi keeps dropping. What should I do?",
    )
    yield case(
        "back-to-the-instructions-language",
        "drift",
        "Der Kunde meldet, dass die mobile App ihn nach jedem Update abmeldet, und bittet "
        "um eine Lösung vor dem Wochenende.",
        SUMMARY,
        "COMPATIBLE",
        ["text.changed"],
        instructions="Summarize the customer's message below in one sentence.",
    )


def _decision_cases() -> Iterator[dict[str, Any]]:
    ask = (
        "Read the customer message and respond ONLY with a JSON object of the form "
        '{"reply": <short reply>, "escalate": <true if a human agent must take over>}.'
    )
    base = {"reply": "Sorry about the double charge; billing will reverse it.", "escalate": True}
    yield case(
        "escalate-flipped",
        "json",
        json.dumps(base),
        _d(base, escalate=False),
        "BREAKING",
        ["json.decision_changed"],
        instructions=ask,
    )
    yield case(
        "reply-reworded",
        "json",
        json.dumps(base),
        _d(base, reply="Sorry for the duplicate charge! Billing will refund it."),
        "CHANGED",
        ["json.value_changed"],
        instructions=ask,
    )
    yield case(
        "urgency-other-option",
        "json",
        json.dumps({"category": "billing", "urgency": "low"}),
        json.dumps({"category": "billing", "urgency": "medium"}),
        "BREAKING",
        ["json.decision_changed"],
        instructions='Classify the ticket. Respond only with JSON: {"category": "billing" | '
        '"technical" | "other", "urgency": "low" | "medium" | "high"}.',
    )
    yield case(
        "escalate-override-at-path",
        "json",
        json.dumps(base),
        _d(base, reply="Billing will refund the duplicate payment."),
        "BREAKING",
        ["json.value_changed"],
        instructions=ask,
        policy={"rules": {"json.value_changed at $.reply": "ERR"}},
    )


def _cut_and_degenerate_cases() -> Iterator[dict[str, Any]]:
    ask = "List five tips for improving sleep."
    tips = (
        "Here are five tips for better sleep:\n\n1. Keep a consistent schedule.\n"
        "2. Avoid caffeine after 2 p.m.\n3. Keep your bedroom cool, dark and quiet.\n"
        "4. Put screens away before bed.\n5. Get daylight and exercise during the day."
    )
    cut = "Here are five tips for better sleep:\n\n1. Go to bed at the same time.\n2. Limit"
    yield case(
        "truncated",
        "drift",
        {"text": tips, "finish_reason": "stop"},
        {"text": cut, "finish_reason": "length"},
        "BREAKING",
        ["drift.truncated"],
        instructions=ask,
    )
    yield case(
        "truncated-on-both-sides",
        "drift",
        {"text": cut, "finish_reason": "max_tokens"},
        {"text": cut.replace("Limit", "Cut"), "finish_reason": "max_tokens"},
        "COMPATIBLE",
        ["text.changed"],
        instructions=ask,
    )
    yield case(
        "repetition-loop",
        "drift",
        tips,
        tips + "\n\n" + "Fall Final " * 60,
        "BREAKING",
        ["drift.degenerate_output"],
        instructions=ask,
    )
    yield case(
        "template-residue-at-the-end",
        "drift",
        tips,
        tips + "\n\nDear [Recipient],\n\nInsert[Optional][Optional][Optional][Optional][Optional]",
        "BREAKING",
        ["drift.degenerate_output"],
        instructions=ask,
    )
    yield case(
        "fewer-items-than-asked",
        "drift",
        tips,
        "Here are some tips for better sleep:\n\n1. Keep a consistent schedule.\n"
        "2. Avoid caffeine after 2 p.m.\n3. Keep your bedroom cool, dark and quiet.",
        "BREAKING",
        ["drift.count_unmet"],
        instructions=ask,
    )
    haiku = "Crimson leaves drifting\nwhispers of the cooling wind\nthe year exhales slow"
    yield case(
        "talk-around-an-answer-asked-alone",
        "drift",
        haiku,
        f"Here's a haiku about autumn:\n\n{haiku}\n\nI hope you enjoy it!",
        "BREAKING",
        ["drift.answer_wrapped"],
        instructions="Write a haiku about autumn. Output only the haiku.",
    )
    brief = "Water evaporates, condenses into clouds, falls as rain, and flows back to the sea."
    yield case(
        "word-limit-exceeded",
        "drift",
        brief,
        " ".join([brief, brief.replace("Water", "Then water"), brief.lower()]),
        "BREAKING",
        ["drift.length_limit_exceeded"],
        instructions="Describe the water cycle in under 25 words.",
    )
    yield case(
        "format-the-instructions-forbid",
        "drift",
        brief,
        "**The water cycle:**\n\n- Evaporation\n- Condensation\n- Precipitation",
        "BREAKING",
        ["drift.forbidden_format"],
        instructions="Describe the water cycle for a voice app. Do not use markdown or lists.",
    )


def _budget_model_call_cases() -> Iterator[dict[str, Any]]:
    yield case(
        "tokens-tripled",
        "budget",
        {"text": SUMMARY, "output_tokens": 30, "cost_usd": 0.0003},
        {"text": SUMMARY + " " + SUMMARY.lower(), "output_tokens": 95, "cost_usd": 0.0005},
        "CHANGED",
        ["budget.output_tokens"],
    )
    yield case(
        "same-text-triple-cost",
        "budget",
        {"text": SUMMARY, "cost_usd": 0.001},
        {"text": SUMMARY, "cost_usd": 0.0031},
        "CHANGED",
        ["budget.cost"],
    )
    yield case(
        "slower",
        "budget",
        {"text": SUMMARY, "latency_ms": 200},
        {"text": SUMMARY, "latency_ms": 900},
        "COMPATIBLE",
        ["budget.latency"],
    )
    target = "openai:gpt-sim-latest?temperature=0"
    yield case(
        "alias-moved",
        "model",
        {"text": SUMMARY, "target": target, "served_model": "gpt-sim-2024-05-13"},
        {"text": SUMMARY, "target": target, "served_model": "gpt-sim-2025-06-01"},
        "COMPATIBLE",
        ["model.served_changed"],
    )
    yield case(
        "fingerprint",
        "model",
        {"text": SUMMARY, "target": target, "served_model": "x", "fingerprint": "fp_1"},
        {"text": SUMMARY, "target": target, "served_model": "x", "fingerprint": "fp_2"},
        "COMPATIBLE",
        ["model.fingerprint_changed"],
    )
    yield case(
        "other-model-on-purpose",
        "model",
        {"text": SUMMARY, "target": "openai:a", "served_model": "a"},
        {"text": SUMMARY, "target": "openai:b", "served_model": "b"},
        "COMPATIBLE",
        [],
    )
    yield case(
        "candidate-failed",
        "call",
        SUMMARY,
        {"error": "rate_limited: HTTP 429 after 4 attempts"},
        "ERROR",
        ["call.error"],
    )
    yield case(
        "one-of-five-failed",
        "call",
        [SUMMARY] * 5,
        [SUMMARY] * 4 + [{"error": "timeout: no answer in 60 s"}],
        "ERROR",
        ["call.error"],
    )
    yield case(
        "variable-added",
        "request",
        SUMMARY,
        SUMMARY,
        "BREAKING",
        ["request.variable_added"],
        variables=(["ticket"], ["ticket", "tone"]),
    )
    yield case(
        "variable-removed",
        "request",
        SUMMARY,
        SUMMARY,
        "COMPATIBLE",
        ["request.variable_removed"],
        variables=(["ticket", "tone"], ["ticket"]),
    )


def _noise_cases() -> Iterator[dict[str, Any]]:
    """K = 5 at temperature > 0: the baseline samples already vary; so does the candidate."""
    summaries = [
        f'{{"ticket": 7, "label": "technical", "summary": "{s}"}}'
        for s in (
            "App logs the user out after updates.",
            "User is signed out after every update.",
            "Logged out after each app update.",
            "The app signs the customer out when it updates.",
            "Every update logs the user out of the app.",
            "Customer gets logged out after updating.",
            "Updates sign the user out.",
        )
    ]
    yield case(
        "free-text-field",
        "noise",
        summaries[:5],
        summaries[2:7],
        "COMPATIBLE",
        [],
        noise_only=True,
    )
    lists = [
        json.dumps({"keywords": kw})
        for kw in (
            ["refund", "card"],
            ["refund", "card", "charge"],
            ["card", "refund"],
            ["charge", "refund"],
            ["refund"],
            ["refund", "duplicate", "card"],
        )
    ]
    yield case("list-items", "noise", lists[:5], lists[1:6], "COMPATIBLE", [], noise_only=True)
    scores = [json.dumps({"label": "billing", "score": s}) for s in (0.81, 0.9, 0.77, 0.86, 0.93)]
    yield case(
        "scores",
        "noise",
        scores,
        [json.dumps({"label": "billing", "score": s}) for s in (0.79, 0.88, 0.91, 0.84, 0.95)],
        "COMPATIBLE",
        [],
        noise_only=True,
    )
    # a real break on top of the same noise still breaks
    yield case(
        "scores-with-renamed-field",
        "json",
        scores,
        [json.dumps({"category": "billing", "score": s}) for s in (0.79, 0.88, 0.91, 0.84, 0.95)],
        "BREAKING",
        ["json.field_removed"],
    )


def _policy_cases() -> Iterator[dict[str, Any]]:
    """Severity overrides and waivers from prompt.yaml (``today`` is the run's date)."""
    base = json.dumps(CONTACT)
    phone = {"rule": "json.field_removed", "path": "$.phone", "reason": "CRM-231"}
    yield case(
        "waived-at-path",
        "waiver",
        base,
        _without(CONTACT, "phone"),
        "COMPATIBLE",
        ["json.field_removed"],
        policy={"waivers": [{**phone, "expires": "2027-01-31"}]},
    )
    yield case(
        "waiver-other-path",
        "waiver",
        base,
        _without(CONTACT, "email"),
        "BREAKING",
        ["json.field_removed"],
        policy={"waivers": [{**phone, "expires": "2027-01-31"}]},
    )
    yield case(
        "waiver-expired",
        "waiver",
        base,
        _without(CONTACT, "phone"),
        "BREAKING",
        ["json.field_removed", "waiver.expired"],
        policy={"waivers": [{**phone, "expires": "2026-10-31"}]},
    )
    yield case(
        "override-up",
        "waiver",
        base,
        _d(CONTACT, title="CTO"),
        "CHANGED",
        ["json.field_added"],
        policy={"rules": {"json.field_added": "WARN"}},
    )
    yield case(
        "override-down",
        "waiver",
        PRIME,
        PRIME.replace(" [Yes]", ""),
        "CHANGED",
        ["drift.format_marker_lost"],
        policy={"rules": {"drift.format_marker_lost": "WARN"}},
    )


def _privacy_cases() -> Iterator[dict[str, Any]]:
    # Outputs as the store holds them: redacted to placeholders (promptcompat/privacy/redact.py).
    yield case(
        "email-echoed",
        "privacy",
        "Thanks for reaching out, we will reply shortly.",
        "Thanks for reaching out, we will reply to <EMAIL_1> shortly.",
        "BREAKING",
        ["privacy.pii_introduced"],
    )
    yield case(
        "same-email-both-sides",
        "privacy",
        "We will reply to <EMAIL_1> shortly.",
        "We will answer <EMAIL_1> soon.",
        "COMPATIBLE",
        ["text.changed"],
    )


_INCIDENT = (
    "The rollback succeeded and no customer data was lost. Traffic was moved to 3 regions "
    "between 13-15 May. The root cause was an expired TLS certificate on the EU gateway."
)


def _fact_cases() -> Iterator[dict[str, Any]]:
    """The fact diff on free text (promptcompat/compat/facts.py): a reworded summary keeps
    its facts; a flipped, renumbered, redated, renamed, shortened or embellished one does not."""
    yield case(
        "reworded",
        "facts",
        _INCIDENT,
        "No customer data was lost, and the rollback succeeded. Between May 13 and 15, traffic "
        "was moved to three regions. The root cause was an expired TLS certificate on the EU "
        "gateway.",
        "COMPATIBLE",
        ["text.changed"],
    )
    yield case(
        "rollback-failed",
        "facts",
        _INCIDENT,
        _INCIDENT.replace("succeeded and no", "failed and some"),
        "CHANGED",
        ["facts.polarity_flipped"],
    )
    yield case(
        "regions-changed",
        "facts",
        _INCIDENT,
        _INCIDENT.replace("3 regions", "2 regions"),
        "CHANGED",
        ["facts.number_changed"],
    )
    yield case(
        "dates-changed",
        "facts",
        _INCIDENT,
        _INCIDENT.replace("13-15 May", "3-5 May"),
        "CHANGED",
        ["facts.date_changed"],
    )
    yield case(
        "gateway-renamed",
        "facts",
        _INCIDENT,
        _INCIDENT.replace("EU gateway", "APAC gateway"),
        "CHANGED",
        ["facts.entity_changed"],
    )
    yield case(
        "root-cause-dropped",
        "facts",
        _INCIDENT,
        _INCIDENT.split(" The root cause")[0],
        "CHANGED",
        ["facts.fact_dropped"],
    )
    yield case(
        "fact-invented",
        "facts",
        _INCIDENT,
        _INCIDENT + " The on-call engineer, Marco Rossi, was paged 4 times.",
        "CHANGED",
        ["facts.fact_added"],
    )
    yield case(
        "key-fact-contradicted",
        "facts",
        _INCIDENT,
        "The rollback failed. Traffic was moved to 3 regions between 13-15 May. The root cause "
        "was an expired TLS certificate on the EU gateway.",
        "BREAKING",
        ["facts.key_fact_missing", "facts.polarity_flipped"],
        facts=["rollback succeeded", "13 May"],
    )


def handwritten() -> list[dict[str, Any]]:
    return [
        *_fact_cases(),
        *_privacy_cases(),
        *_policy_cases(),
        *_json_cases(),
        *_contract_cases(),
        *_reference_cases(),
        *_check_cases(),
        *_drift_cases(),
        *_instructed_cases(),
        *_cut_and_degenerate_cases(),
        *_decision_cases(),
        *_budget_model_call_cases(),
        *_noise_cases(),
    ]

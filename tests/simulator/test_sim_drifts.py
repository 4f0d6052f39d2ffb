"""Every drift kind, forced by its sim-drift-<kind> model, through both SDKs."""

from __future__ import annotations

import ast
import json

import anthropic
import openai
import py3langid
import pytest
from sim_helpers import (
    CLASSIFY_BARE_SYSTEM,
    CLASSIFY_SYSTEM,
    CODE_SYSTEM,
    EXTRACT_SYSTEM,
    EXTRACT_USER,
    PRIME_USER,
    ask,
)

pytestmark = pytest.mark.anyio
Client = openai.AsyncOpenAI | anthropic.AsyncAnthropic

OLD = "gpt-sim-2024-05-13"
BILLING = "I was charged twice on my card for the same invoice, please refund me."
TECHNICAL = "The app crashes with an error on login."
CODE_USER = "Write a Python function named `fib` that returns the n-th fibonacci number."
REFUSAL = "I'm sorry, but I can't help with that request."
CLEAN_EXTRACTION = {
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "phone": "+1 415-555-0132",
    "company": "Acme Corp",
    "age": 34,
    "city": "San Francisco",
    "title": "senior data engineer",
    "favourite_color": None,
}


async def extraction(client: Client, kind: str) -> str:
    return (await ask(client, f"sim-drift-{kind}", EXTRACT_USER, system=EXTRACT_SYSTEM)).text


async def test_field_renamed(client: Client) -> None:
    data = json.loads(await extraction(client, "field_renamed"))
    assert "email" not in data and data["email_address"] == "jane.doe@example.com"
    assert len(data) == len(CLEAN_EXTRACTION)


async def test_field_removed(client: Client) -> None:
    data = json.loads(await extraction(client, "field_removed"))
    (removed,) = set(CLEAN_EXTRACTION) - set(data)
    assert CLEAN_EXTRACTION[removed] is not None
    assert all(data[k] == CLEAN_EXTRACTION[k] for k in data)


async def test_type_changed(client: Client) -> None:
    data = json.loads(await extraction(client, "type_changed"))
    assert data["age"] == "34"
    reply = await ask(client, "sim-drift-type_changed", BILLING, system=CLASSIFY_SYSTEM)
    assert json.loads(reply.text) == {"label": "billing", "confidence": "high"}


async def test_type_changed_without_an_age_retypes_the_first_value(client: Client) -> None:
    system = "Extract the contact as JSON.\nFields: name, email"
    reply = await ask(client, "sim-drift-type_changed", EXTRACT_USER, system=system)
    assert json.loads(reply.text) == {"name": ["Jane Doe"], "email": "jane.doe@example.com"}


async def test_new_enum_value(client: Client) -> None:
    reply = await ask(client, "sim-drift-new_enum_value", BILLING, system=CLASSIFY_SYSTEM)
    assert json.loads(reply.text)["label"] == "payments"
    bare = await ask(client, "sim-drift-new_enum_value", TECHNICAL, system=CLASSIFY_BARE_SYSTEM)
    assert bare.text == "uncategorized"


async def test_json_fenced(client: Client) -> None:
    text = await extraction(client, "json_fenced")
    assert text.startswith("```json\n") and text.endswith("\n```")
    assert json.loads(text.removeprefix("```json\n").removesuffix("\n```")) == CLEAN_EXTRACTION
    reply = await ask(client, "sim-drift-json_fenced", BILLING, system=CLASSIFY_SYSTEM)
    assert reply.text.startswith("```json\n")


async def test_json_in_prose(client: Client) -> None:
    text = await extraction(client, "json_in_prose")
    first, middle, last = text.split("\n")
    assert first == "Sure! Here is the JSON you asked for:"
    assert last == "Let me know if you need anything else."
    assert json.loads(middle) == CLEAN_EXTRACTION
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_code_fenced(client: Client) -> None:
    reply = await ask(client, "sim-drift-code_fenced", CODE_USER, system=CODE_SYSTEM)
    assert reply.text.startswith("```python\n") and reply.text.endswith("\n```")
    ast.parse(reply.text.removeprefix("```python\n").removesuffix("\n```"))
    with pytest.raises(SyntaxError):
        ast.parse(reply.text)


async def test_refusal(client: Client) -> None:
    assert (await ask(client, "sim-drift-refusal", PRIME_USER)).text == REFUSAL
    code = await ask(client, "sim-drift-refusal", CODE_USER, system=CODE_SYSTEM)
    assert code.text == REFUSAL
    # Where a drift does not apply, the model behaves like the old one.
    assert json.loads(await extraction(client, "refusal")) == CLEAN_EXTRACTION


async def test_format_ignored(client: Client) -> None:
    clean = (await ask(client, OLD, PRIME_USER)).text
    drifted = (await ask(client, "sim-drift-format_ignored", PRIME_USER)).text
    assert clean.endswith(" [No]")
    assert drifted == clean.removesuffix(" [No]")


async def test_verbose(client: Client) -> None:
    for user in (PRIME_USER, "Is 84 divisible by 5?", "Why is the sky blue?"):
        clean = (await ask(client, OLD, user)).text
        verbose = (await ask(client, "sim-drift-verbose", user)).text
        assert len(verbose) >= 2 * len(clean)
        assert verbose.startswith(clean.removesuffix(" [No]").removesuffix(" [Yes]"))
        if clean.endswith("]"):
            assert verbose.endswith(clean[-5:])  # the marker stays last


async def test_language_switched(client: Client) -> None:
    english = (await ask(client, OLD, PRIME_USER)).text
    spanish = (await ask(client, "sim-drift-language_switched", PRIME_USER)).text
    assert py3langid.classify(english)[0] == "en"
    assert py3langid.classify(spanish)[0] == "es"
    assert "91" in spanish and "13" in spanish and spanish.endswith("[No]")
    generic = (await ask(client, "sim-drift-language_switched", "Why is the sky blue?")).text
    assert py3langid.classify(generic)[0] == "es"


@pytest.mark.parametrize("model", ["sim-paraphrase", "sim-drift-paraphrase"])
async def test_paraphrase_is_harmless(client: Client, model: str) -> None:
    text = (await ask(client, model, EXTRACT_USER, system=EXTRACT_SYSTEM)).text
    assert json.loads(text) == CLEAN_EXTRACTION
    assert text != json.dumps(CLEAN_EXTRACTION)
    code = (await ask(client, model, CODE_USER, system=CODE_SYSTEM)).text
    function = ast.parse(code).body[0]
    assert isinstance(function, ast.FunctionDef) and ast.get_docstring(function)
    short_task = "Write a Python function named `sort_items` that sorts a list."
    clean_code = (await ask(client, OLD, short_task)).text
    para_code = (await ask(client, model, short_task)).text
    assert len(clean_code) < len(para_code) <= 1.6 * len(clean_code)  # inside any length band
    clean = (await ask(client, OLD, PRIME_USER)).text
    para = (await ask(client, model, PRIME_USER)).text
    assert para != clean and para.endswith("[No]") and "7" in para and "13" in para

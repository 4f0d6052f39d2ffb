"""Task recognition and clean answers, through both SDKs over HTTP."""

from __future__ import annotations

import ast
import json
from typing import Any

import anthropic
import openai
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

from promptcompat.simulator import codelib, tasks

pytestmark = pytest.mark.anyio

OLD = {"openai": "gpt-sim-2024-05-13", "anthropic": "claude-sim-3-5-20241022"}
Client = openai.AsyncOpenAI | anthropic.AsyncAnthropic


@pytest.fixture(params=["openai", "anthropic"])
def client_and_model(
    request: pytest.FixtureRequest, oai: openai.AsyncOpenAI, ant: anthropic.AsyncAnthropic
) -> tuple[Client, str]:
    if request.param == "openai":
        return oai, OLD["openai"]
    return ant, OLD["anthropic"]


async def test_extraction_returns_exactly_the_declared_fields(
    client_and_model: tuple[Client, str],
) -> None:
    client, model = client_and_model
    reply = await ask(client, model, EXTRACT_USER, system=EXTRACT_SYSTEM)
    assert json.loads(reply.text) == {
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "phone": "+1 415-555-0132",
        "company": "Acme Corp",
        "age": 34,
        "city": "San Francisco",
        "title": "senior data engineer",
        "favourite_color": None,
    }
    assert reply.model == model
    assert reply.finish in ("stop", "end_turn")


async def test_classification_json_and_bare_label(client_and_model: tuple[Client, str]) -> None:
    client, model = client_and_model
    ticket = "I was charged twice on my card for the same invoice, please refund me."
    reply = await ask(client, model, ticket, system=CLASSIFY_SYSTEM)
    assert json.loads(reply.text) == {"label": "billing", "confidence": 0.9}
    bare = await ask(
        client, model, "The app crashes with an error on login.", system=CLASSIFY_BARE_SYSTEM
    )
    assert bare.text == "technical"
    nothing = await ask(client, model, "Hello there.", system=CLASSIFY_BARE_SYSTEM)
    assert nothing.text == "other"  # no hit: the last declared label


async def test_code_is_raw_valid_python_with_the_requested_name(
    client_and_model: tuple[Client, str],
) -> None:
    client, model = client_and_model
    user = "Write a Python function named `is_palindrome` that checks if a string is a palindrome."
    reply = await ask(client, model, user, system=CODE_SYSTEM)
    assert not reply.text.startswith("```")
    namespace: dict[str, Any] = {}
    exec(compile(ast.parse(reply.text), "<sim>", "exec"), namespace)
    assert namespace["is_palindrome"]("A man, a plan, a canal: Panama") is True
    assert namespace["is_palindrome"]("promptcompat") is False


async def test_answers_compute_the_facts_and_end_with_the_marker(
    client_and_model: tuple[Client, str],
) -> None:
    client, model = client_and_model
    composite = await ask(client, model, PRIME_USER)
    assert composite.text.endswith("[No]")
    assert "7" in composite.text and "13" in composite.text
    prime = await ask(client, model, "Is 97 a prime number? Answer [Yes] or [No] at the end.")
    assert prime.text.endswith("[Yes]")
    divisible = await ask(client, model, "Is 84 divisible by 7? End with [Yes] or [No].")
    assert divisible.text.endswith("[Yes]") and "12" in divisible.text
    not_divisible = await ask(client, model, "Is 84 divisible by 5? End with [Yes] or [No].")
    assert not_divisible.text.endswith("[No]")
    plain = await ask(client, model, "Is 84 divisible by 5? Explain briefly.")
    assert "[" not in plain.text and 1 <= plain.text.count(". ") + 1 <= 3


async def test_unrecognised_questions_get_a_short_answer_echoing_the_subject(
    client_and_model: tuple[Client, str],
) -> None:
    client, model = client_and_model
    reply = await ask(client, model, "What is the tallest mountain in Europe?")
    assert "tallest mountain in Europe" in reply.text
    assert len(reply.text) < 400


def test_extraction_heuristics() -> None:
    text = (
        "This is Marie-Claire Dubois from Globex, aged 41, living in New York. "
        "Phone: 020 7946 0958. I am a product manager for the search team."
    )
    values = {f: tasks.extract_field(f, text) for f in ("name", "company", "age", "city", "phone")}
    assert values == {
        "name": "Marie-Claire Dubois",
        "company": "Globex",
        "age": 41,
        "city": "New York",
        "phone": "020 7946 0958",
    }
    assert tasks.extract_field("role", text) == "product manager"
    assert tasks.extract_field("email", text) is None
    assert tasks.extract_field("shoe_size", text) is None
    assert tasks.extract_field("name", "Contact: Bob Stone, bob@x.org") == "Bob Stone"


def test_classification_ties_go_to_the_first_declared_label() -> None:
    labels = ("shipping", "billing", "other")
    assert tasks.classify("my parcel and my refund", labels) == "shipping"
    assert tasks.classify("my refund, my payment and my parcel", labels) == "billing"


@pytest.mark.parametrize(
    ("description", "call", "expected"),
    [
        ("returns the factorial of n", (5,), 120),
        ("returns the n-th fibonacci number", (10,), 55),
        ("checks whether n is prime", (97,), True),
        ("reverses a string", ("abc",), "cba"),
        ("counts the vowels in a string", ("simulator",), 4),
        ("returns the largest number in a list", ([3, 9, 2],), 9),
        ("returns the smallest number in a list", ([3, 9, 2],), 2),
        ("computes the average of a list", ([1, 2, 3],), 2.0),
        ("removes duplicates from a list", ([1, 2, 1, 3],), [1, 2, 3]),
        ("flattens a list of lists", ([[1], [2, 3]],), [1, 2, 3]),
        ("converts celsius to fahrenheit", (100,), 212.0),
        ("converts fahrenheit to celsius", (212,), 100.0),
        ("returns the sum of even numbers in a list", ([1, 2, 4],), 6),
        ("counts the words in a sentence", ("a b c",), 3),
        ("capitalizes every word (title case)", ("hello world",), "Hello World"),
        ("sorts a list", ([3, 1, 2],), [1, 2, 3]),
        ("returns the greatest common divisor", (12, 18), 6),
        ("checks whether a year is a leap year", (2000,), True),
        ("checks if two strings are anagrams", ("listen", "silent"), True),
        ("sums a list of numbers", ([1, 2, 3],), 6),
        ("does something nobody scripted", (), NotImplementedError),
    ],
)
def test_code_library(description: str, call: tuple[Any, ...], expected: Any) -> None:
    task = tasks.recognise(
        f"Write a Python function named `solve` that {description}.",
        f"Write a Python function named `solve` that {description}.",
    )
    assert isinstance(task, tasks.Code)
    source = f"def solve({task.recipe.params}):\n{task.recipe.body}"
    namespace: dict[str, Any] = {}
    exec(compile(ast.parse(source), "<recipe>", "exec"), namespace)
    if expected is NotImplementedError:
        with pytest.raises(NotImplementedError):
            namespace["solve"]()
    else:
        assert namespace["solve"](*call) == expected


def test_the_library_has_at_least_twenty_recipes() -> None:
    assert len(codelib.RECIPES) >= 20

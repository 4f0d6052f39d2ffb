"""What the rendered instructions ask of the format: the implicit contract
(promptcompat/compat/format_requirements.py)."""

from __future__ import annotations

import pytest

from promptcompat.compat.format_requirements import Instructions, read_requirements


@pytest.mark.parametrize(
    ("instructions", "described"),
    [
        (
            "Is 7 a prime number? Think step by step, then end your answer with [Yes] or [No].",
            ["ends with [Yes] or [No]"],
        ),
        (
            "Start your reply with [Yes] or [No]: does this contain a complaint?",
            ["starts with [Yes] or [No]"],
        ),
        (
            "¿Es Madrid la capital? Responde brevemente y termina con [Sí] o [No].",
            ["ends with [Sí] or [No]"],
        ),
        (
            "Please only reply in the following formats:\n[ANSWER]: {your answer}\n"
            "[ADDITIONAL_INFORMATION_NEEDED]: {questions}",
            ["carries [ANSWER] or [ADDITIONAL_INFORMATION_NEEDED]"],
        ),
        (
            "Which category fits: billing, technical, or account? Reply in the format "
            "'Category: <category>'.",
            ["opens with 'Category:'"],
        ),
        (
            "Start your answer with 'TL;DR:' followed by a one-line summary.",
            ["opens with 'TL;DR:'"],
        ),
        (
            "What is 17 × 23? Reply with the number only.",
            ["the answer alone (one word or value, nothing else)"],
        ),
        (
            "Classify the sentiment as positive, negative or neutral. Answer with one word.",
            [
                "the answer alone (one word or value, nothing else)",
                "one of 'positive', 'negative', 'neutral'",
            ],
        ),
        (
            "Write a Python function `is_even(n)`. Reply with only the code, no explanations.",
            ["only the code (no markdown fence, no prose)"],
        ),
        (
            "Output only the SQL query, nothing else: select all users.",
            ["only the code (no markdown fence, no prose)"],
        ),
        ('Respond ONLY with a JSON object of the form {"reply": ...}.', ["only JSON"]),
        # the whole instruction is a literal to write: that literal alone is the answer
        ('Write "Test"', ["the answer alone (one word or value, nothing else)"]),
        ("Say 'OK'.", ["the answer alone (one word or value, nothing else)"]),
        ('Write a short story titled "Test"', []),
        (
            "Which organ makes insulin? (A) liver (B) pancreas (C) kidney. Reply with the "
            "letter of the correct option only.",
            [
                "the answer alone (one word or value, nothing else)",
                "one of the choices (A), (B), (C)",
            ],
        ),
        (
            "Write a haiku about autumn. Output only the haiku.",
            ["the answer alone (no lead-in or closing remark)"],
        ),
        (
            "Translate this to plain English, no explanation: 'per diem'.",
            ["the answer alone (no lead-in or closing remark)"],
        ),
        ("Describe the water cycle in under 50 words.", ["at most 50 words"]),
        ("Write an SMS reminder. Keep it under 160 characters.", ["at most 160 characters"]),
        ("In one sentence, what does an API gateway do?", ["at most 1 sentences"]),
        ("Write one sentence per item.", []),
        (
            "Start your reply with 'Dear customer,' and end it with 'The ParcelGo team'.",
            ["opens with 'Dear customer,'", "ends with 'The ParcelGo team'"],
        ),
        (
            "Answer for a voice assistant. Do not use markdown, lists or emojis.",
            ["no markdown, no lists, no emojis"],
        ),
        ("Reply in plain text.", ["no markdown markup (bold, headings, tables)"]),
        (
            "Output exactly one lowercase word: spam or ham. No punctuation, no explanation.",
            ["the answer alone (one word or value, nothing else)"],
        ),
        (
            'Always end with: "If symptoms get worse, contact a doctor."',
            ["ends with 'If symptoms get worse, contact a doctor.'"],
        ),
        (
            "If the answer is not in the product data, reply exactly: \"I don't have that "
            'information \u2014 please contact support@voltgear.com."',
            [
                '"I don\'t have that information \u2014 please contact support@voltgear.com" '
                "when the answer is not known"
            ],
        ),
        # indirect speech names no literal to give
        ("If the answer is not in the data, say you don't have that information.", []),
        ("Reply in lowercase only, like a chat message.", ["no capitals"]),
        ("WRITE THE HEADLINE IN ALL CAPS.", ["no lowercase"]),
        ("Explain recursion in 100 words or less.", ["at most 100 words"]),
        ("Name the planets as a comma-separated list.", ["a comma-separated list"]),
        ("Summarize the article in two sentences.", ["2 items (sentences)"]),
        ("Explain photosynthesis in 3 bullet points.", ["a list", "3 items (bullet points)"]),
        # a limit per item is no limit on the answer's words; a number of words to aim at in
        # the data is none at all
        ("Write 50 short stories under ten words each.", ["50 items (stories)"]),
        ("What does a 20-word sentence look like?", []),
        (
            "How many primes are below 20? Think step by step and put the answer in curly braces.",
            ["the final answer in curly braces"],
        ),
        (
            "Solve 3x + 7 = 22 and put the final answer in \\boxed{}.",
            ["the final answer in \\boxed{}"],
        ),
        (
            "Rate the ticket's priority inside <answer></answer> tags.",
            ["the final answer in <answer></answer>"],
        ),
        (
            "Use the following format:\n\nQuestion: the question\nThought: what to do\n"
            "Action: one of [Search, Lookup]\n... (this can repeat)\nFinal Answer: the answer",
            ["lines of the format 'Question:', 'Thought:', 'Action:', 'Final Answer:'"],
        ),
        # data in tags and a colon line of the data are no ask
        ("Summarize <doc>The council met.</doc> briefly.", []),
        ("Fix the grammar:\nName: john\nAge: 4", []),
        ("Can you list in bullet points the role of digital health?", ["a list"]),
        ("Translate to French: Hello, how are you?", ["in language 'fr'"]),
        ("Explain inflation. Answer in German.", ["in language 'de'"]),
        # nothing asked: data in brackets, a list as a noun, a question about a language
        (
            "Continue the lyrics:\nOut of the doorway the bullets rip\n[Chorus]\nAnother one bites",
            [],
        ),
        ("Write a Python function that returns the largest number in a list.", []),
        ('How do you say "good evening" in French?', []),
        ("Why is the sky blue?", []),
    ],
)
def test_what_the_instructions_ask(instructions: str, described: list[str]) -> None:
    assert read_requirements(instructions).describe() == described


def test_the_language_an_answer_should_be_in() -> None:
    assert (
        Instructions("Explica en pocas palabras qué es la inflación.").expected_language() == "es"
    )
    assert (
        Instructions("Translate into German: the weather is nice today.").expected_language()
        == "de"
    )
    assert Instructions("ok").expected_language() is None  # too short to tell

"""The code task's keyword library: a task description picks a function body.

Order matters: the first recipe with a matching keyword wins, so specific recipes
("sum of even numbers", "palindrome") come before the general ones they contain ("sum",
"reverse"). Every body is valid Python under any function name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    keywords: tuple[str, ...]
    """Regular expressions, matched case-insensitively against the task description."""
    params: str
    body: str
    """The indented function body."""
    doc: str
    """Docstring the paraphrase drift adds."""


def _r(keywords: tuple[str, ...], params: str, body: str, doc: str) -> Recipe:
    lines = body.strip("\n").splitlines()
    return Recipe(keywords, params, "\n".join("    " + line for line in lines), doc)


RECIPES: tuple[Recipe, ...] = (
    _r(
        (r"palindrome",),
        "text",
        "cleaned = [ch.lower() for ch in text if ch.isalnum()]\nreturn cleaned == cleaned[::-1]",
        "Return True if text reads the same forwards and backwards.",
    ),
    _r(
        (r"anagram",),
        "first, second",
        "def key(s):\n    return sorted(ch.lower() for ch in s if ch.isalnum())\n\n"
        "return key(first) == key(second)",
        "Return True if the two strings are anagrams of each other.",
    ),
    _r(
        (r"vowel",),
        "text",
        'return sum(1 for ch in text.lower() if ch in "aeiou")',
        "Count the vowels in text.",
    ),
    _r(
        (r"word count", r"counts? (?:the )?(?:number of )?words", r"number of words"),
        "text",
        "return len(text.split())",
        "Count the words in text.",
    ),
    _r(
        (r"fibonacci",),
        "n",
        "a, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nreturn a",
        "Return the n-th Fibonacci number (0, 1, 1, 2, ...).",
    ),
    _r(
        (r"factorial",),
        "n",
        'if n < 0:\n    raise ValueError("n must be non-negative")\nresult = 1\n'
        "for i in range(2, n + 1):\n    result *= i\nreturn result",
        "Return n! for a non-negative integer n.",
    ),
    _r(
        (r"prime",),
        "n",
        "if n < 2:\n    return False\ni = 2\nwhile i * i <= n:\n    if n % i == 0:\n"
        "        return False\n    i += 1\nreturn True",
        "Return True if n is a prime number.",
    ),
    _r(
        (r"leap year",),
        "year",
        "return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)",
        "Return True if year is a leap year in the Gregorian calendar.",
    ),
    _r(
        (r"fahrenheit to celsius", r"fahrenheit into celsius"),
        "fahrenheit",
        "return (fahrenheit - 32) * 5 / 9",
        "Convert a temperature from Fahrenheit to Celsius.",
    ),
    _r(
        (r"celsius", r"fahrenheit"),
        "celsius",
        "return celsius * 9 / 5 + 32",
        "Convert a temperature from Celsius to Fahrenheit.",
    ),
    _r(
        (r"greatest common divisor", r"\bgcd\b"),
        "a, b",
        "while b:\n    a, b = b, a % b\nreturn abs(a)",
        "Return the greatest common divisor of a and b.",
    ),
    _r(
        (r"least common multiple", r"\blcm\b"),
        "a, b",
        "if a == 0 or b == 0:\n    return 0\nx, y = a, b\nwhile y:\n    x, y = y, x % y\n"
        "return abs(a * b) // x",
        "Return the least common multiple of a and b.",
    ),
    _r(
        (r"binary search",),
        "items, target",
        "lo, hi = 0, len(items) - 1\nwhile lo <= hi:\n    mid = (lo + hi) // 2\n"
        "    if items[mid] == target:\n        return mid\n    if items[mid] < target:\n"
        "        lo = mid + 1\n    else:\n        hi = mid - 1\nreturn -1",
        "Return the index of target in the sorted list items, or -1.",
    ),
    _r(
        (r"flatten",),
        "nested",
        "result = []\nfor item in nested:\n    if isinstance(item, list):\n"
        "        result.extend(item)\n    else:\n        result.append(item)\nreturn result",
        "Flatten one level of nesting in a list of lists.",
    ),
    _r(
        (r"unique", r"dedup", r"duplicate"),
        "items",
        "return list(dict.fromkeys(items))",
        "Return the items without duplicates, keeping first occurrences in order.",
    ),
    _r(
        (r"chunk", r"split .*into (?:groups|batches|pieces)"),
        "items, size",
        "return [items[i : i + size] for i in range(0, len(items), size)]",
        "Split items into consecutive chunks of the given size.",
    ),
    _r(
        (r"sum of (?:the |all )?even",),
        "numbers",
        "return sum(n for n in numbers if n % 2 == 0)",
        "Return the sum of the even numbers.",
    ),
    _r(
        (r"even numbers from", r"filter .*even", r"only (?:the )?even"),
        "numbers",
        "return [n for n in numbers if n % 2 == 0]",
        "Return the even numbers, in order.",
    ),
    _r(
        (r"\beven\b",),
        "n",
        "return n % 2 == 0",
        "Return True if n is even.",
    ),
    _r(
        (r"\bodd\b",),
        "n",
        "return n % 2 == 1",
        "Return True if n is odd.",
    ),
    _r(
        (r"average", r"\bmean\b"),
        "numbers",
        "if not numbers:\n    return 0.0\nreturn sum(numbers) / len(numbers)",
        "Return the arithmetic mean of numbers (0.0 for an empty list).",
    ),
    _r(
        (r"maximum", r"largest", r"biggest", r"\bmax\b"),
        "numbers",
        "best = numbers[0]\nfor n in numbers[1:]:\n    if n > best:\n        best = n\nreturn best",
        "Return the largest value in a non-empty list.",
    ),
    _r(
        (r"minimum", r"smallest", r"\bmin\b"),
        "numbers",
        "best = numbers[0]\nfor n in numbers[1:]:\n    if n < best:\n        best = n\nreturn best",
        "Return the smallest value in a non-empty list.",
    ),
    _r(
        (r"\bsort",),
        "items",
        "return sorted(items)",
        "Return a new list with the items in ascending order.",
    ),
    _r(
        (r"revers",),
        "value",
        "return value[::-1]",
        "Return value reversed (a string or a list).",
    ),
    _r(
        (r"capitali[sz]e", r"title case"),
        "text",
        'return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))',
        "Capitalize the first letter of every word in text.",
    ),
    _r(
        (r"upper ?case",),
        "text",
        "return text.upper()",
        "Return text in upper case.",
    ),
    _r(
        (r"lower ?case",),
        "text",
        "return text.lower()",
        "Return text in lower case.",
    ),
    _r(
        (r"occurrence", r"frequenc", r"how many times"),
        "items",
        "counts = {}\nfor item in items:\n    counts[item] = counts.get(item, 0) + 1\n"
        "return counts",
        "Return a dict mapping each item to how many times it occurs.",
    ),
    _r(
        (r"merge",),
        "first, second",
        "return sorted(first + second)",
        "Merge two lists into one sorted list.",
    ),
    _r(
        (r"squares?\b",),
        "numbers",
        "return [n * n for n in numbers]",
        "Return the square of every number.",
    ),
    _r(
        (r"\bpower\b", r"exponent"),
        "base, exponent",
        "return base**exponent",
        "Return base raised to exponent.",
    ),
    _r(
        (r"absolute",),
        "n",
        "return n if n >= 0 else -n",
        "Return the absolute value of n.",
    ),
    _r(
        (r"product", r"multipl"),
        "numbers",
        "result = 1\nfor n in numbers:\n    result *= n\nreturn result",
        "Return the product of the numbers.",
    ),
    _r(
        (r"add two", r"two numbers"),
        "a, b",
        "return a + b",
        "Return the sum of a and b.",
    ),
    _r(
        (r"\bsums?\b", r"\badd", r"total"),
        "numbers",
        "total = 0\nfor n in numbers:\n    total += n\nreturn total",
        "Return the sum of the numbers.",
    ),
    _r(
        (r"length", r"\blen\b"),
        "value",
        "return len(value)",
        "Return the length of value.",
    ),
)

STUB = _r(
    (),
    "*args, **kwargs",
    'raise NotImplementedError("this task is not in the simulator\'s library")',
    "Not implemented by the simulator.",
)

_COMPILED = tuple(
    (re.compile("|".join(f"(?:{k})" for k in recipe.keywords), re.IGNORECASE), recipe)
    for recipe in RECIPES
)


def pick(description: str, name: str) -> Recipe:
    """The recipe for a task description; the function name is the fallback clue."""
    for text in (description, name.replace("_", " ")):
        for pattern, recipe in _COMPILED:
            if pattern.search(text):
                return recipe
    return STUB

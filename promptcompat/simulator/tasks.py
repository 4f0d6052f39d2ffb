"""Recognising the four task kinds in a prompt and working out their (clean) answers.

Recognition reads the system + user text case-insensitively; values come from the user
text. The result is structured data: rendering it to text, with or without a drift, is
``drifts.py``'s job, so every drift transforms the same facts.
"""

from __future__ import annotations

import functools
import keyword
import re
from dataclasses import dataclass
from typing import Any, Literal

from promptcompat.simulator import codelib

# --- the task results -------------------------------------------------------------------


@dataclass(frozen=True)
class Extraction:
    fields: tuple[str, ...]
    values: tuple[tuple[str, Any], ...]
    """(field, value) in the declared order; a value not found is None."""


@dataclass(frozen=True)
class Classification:
    labels: tuple[str, ...]
    label: str
    as_json: bool


@dataclass(frozen=True)
class Code:
    name: str
    recipe: codelib.Recipe


@dataclass(frozen=True)
class Answer:
    topic: Literal["prime", "divisible", "generic"]
    numbers: tuple[int, ...]
    """prime: (n, smallest factor or 0); divisible: (n, m)."""
    subject: str
    yes: bool
    marker: bool
    """The prompt asks to end with [Yes] or [No]."""


Task = Extraction | Classification | Code | Answer

# --- recognition ------------------------------------------------------------------------

_FIELDS_LINE = re.compile(r"^[ \t>*-]*fields\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_LABELS_LINE = re.compile(r"^[ \t>*-]*labels\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_NAMED = re.compile(r"named\s+[`'\"]?([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_PRIME_Q = re.compile(r"\bis\s+(\d{1,60})\s+(?:a\s+)?prime\b", re.IGNORECASE)
_DIVISIBLE_Q = re.compile(
    r"\bis\s+(\d{1,60})\s+(?:evenly\s+)?divisible\s+by\s+(\d{1,60})", re.IGNORECASE
)


@functools.lru_cache(maxsize=4096)
def recognise(prompt_text: str, user_text: str) -> Task:
    """The task in a prompt (first match wins: extraction, classification, code, answer)."""
    lowered = prompt_text.lower()
    source = user_text or prompt_text
    fields = _FIELDS_LINE.search(prompt_text)
    if "extract" in lowered and "json" in lowered and fields:
        names = _split_list(fields[1])
        body = _FIELDS_LINE.sub("", source)
        return Extraction(names, tuple((f, extract_field(f, body)) for f in names))
    labels = _LABELS_LINE.search(prompt_text)
    if "classify" in lowered and labels and _split_list(labels[1]):
        declared = _split_list(labels[1])
        body = _LABELS_LINE.sub("", source)
        return Classification(declared, classify(body, declared), "json" in lowered)
    named = _NAMED.search(prompt_text)
    if "python function" in lowered and named:
        name = named[1] + "_" if keyword.iskeyword(named[1]) else named[1]
        return Code(name, codelib.pick(source, name))
    return _answer(source, "[yes]" in lowered and "[no]" in lowered)


def _split_list(raw: str) -> tuple[str, ...]:
    items = (item.strip().strip("`'\"*.").strip() for item in raw.split(","))
    return tuple(dict.fromkeys(item for item in items if item))


# --- extraction -------------------------------------------------------------------------

_WORD = r"[A-Z](?:[a-zà-ÿ]+|'[A-Z][a-zà-ÿ]+)(?:-[A-Z][a-zà-ÿ]+)?"
_PAIR = rf"{_WORD}[ \t]+{_WORD}"
_NAME_AFTER = re.compile(rf"(?i:\bI['\u2019]m|\bI am|\bthis is|\bname is|\bname's)[ \t]+({_PAIR})")
_ANY_PAIR = re.compile(rf"\b({_PAIR})")
_NOT_A_NAME = frozenset(
    {"The", "This", "That", "These", "Those", "Hello", "Hi", "Hey", "Dear", "Please"}
    | {"Extract", "Return", "Fields", "Labels", "Text", "Input", "Output", "Json", "Note"}
    | {"Thanks", "Thank", "Best", "Kind", "Regards", "Sincerely", "Subject", "Message"}
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w@.+])\+?\(?\d[\d \t()-]*\d")
_CAP_RUN = r"([A-Z][\w&'-]*(?:[ \t]+(?:[A-Z][\w&'-]*|&))*)"
_COMPANY = tuple(re.compile(rf"(?i:\s{word})[ \t]+{_CAP_RUN}") for word in ("at", "with", "from"))
_AGE = (
    re.compile(r"\b(\d{1,3})[ \t-]*(?:years?|yrs?)[ \t-]*old\b", re.IGNORECASE),
    re.compile(r"\baged[ \t]+(\d{1,3})\b", re.IGNORECASE),
    re.compile(r"\bage[ \t]*[:=]?[ \t]*(\d{1,3})\b", re.IGNORECASE),
)
_CITY_WORDS = r"([A-Z][a-zà-ÿ]+(?:[ \t-][A-Z][a-zà-ÿ]+)*)"
_CITY = (
    re.compile(rf"(?i:\bbased in|\blive in|\blives in|\bliving in)[ \t]+{_CITY_WORDS}"),
    re.compile(rf"(?i:\bin)[ \t]+{_CITY_WORDS}"),
)
_ROLE = re.compile(
    r"(?i:\bwork(?:ing)? as an?|\bI['\u2019]m an?|\bI am an?)[ \t]+([A-Za-z][A-Za-z \t-]*)"
)
_ROLE_STOP = frozenset(
    {"at", "for", "in", "with", "from", "and", "who", "based", "living", "since", "to", "on"}
    | {"of", "by", "but", "or"}
)


def extract_field(field: str, text: str) -> Any:
    """The value of one known field in text, or None."""
    key = field.lower()
    if key == "name":
        return _name(text)
    if key == "email":
        match = _EMAIL.search(text)
        return match[0] if match else None
    if key == "phone":
        return _phone(text)
    if key == "company":
        return _first_group(_COMPANY, text)
    if key == "age":
        age = _first_group(_AGE, text)
        return int(age) if age is not None else None
    if key == "city":
        return _first_group(_CITY, text)
    if key in ("title", "role"):
        return _role(text)
    return None


def _name(text: str) -> str | None:
    match = _NAME_AFTER.search(text)
    if match:
        return match[1]
    for pair in _ANY_PAIR.finditer(text):
        if pair[1].split()[0] not in _NOT_A_NAME:
            return pair[1]
    return None


def _phone(text: str) -> str | None:
    for match in _PHONE.finditer(_EMAIL.sub(" ", text)):
        candidate = match[0].strip()
        if sum(ch.isdigit() for ch in candidate) >= 7:
            return candidate
    return None


def _first_group(patterns: tuple[re.Pattern[str], ...], text: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match[1].strip()
    return None


def _role(text: str) -> str | None:
    match = _ROLE.search(text)
    if not match:
        return None
    words: list[str] = []
    for word in match[1].split():
        if word.lower() in _ROLE_STOP or len(words) == 5:
            break
        words.append(word)
    return " ".join(words) or None


# --- classification ---------------------------------------------------------------------

SYNONYMS: dict[str, tuple[str, ...]] = {
    "billing": ("invoice", "charge", "charged", "refund", "payment", "card", "price", "bill"),
    "technical": ("error", "crash", "bug", "broken", "login", "loading", "slow", "app"),
    "account": ("password", "username", "delete", "profile", "email address", "sign in"),
    "shipping": ("delivery", "package", "parcel", "shipped", "tracking"),
    "other": (),
    "positive": ("great", "love", "excellent", "happy", "amazing", "wonderful", "good"),
    "negative": ("terrible", "hate", "awful", "bad", "disappointed", "worst", "poor"),
    "neutral": ("okay", "fine", "average", "neither"),
    "spam": ("winner", "prize", "free money", "click here", "lottery", "unsubscribe"),
    "urgent": ("asap", "immediately", "emergency", "critical", "right now"),
}


@functools.lru_cache(maxsize=512)
def _term_pattern(term: str) -> re.Pattern[str]:
    words = r"[\s_-]+".join(re.escape(w) for w in re.split(r"[\s_-]+", term.strip()))
    return re.compile(rf"\b{words}(?:s|es)?\b", re.IGNORECASE)


def classify(text: str, labels: tuple[str, ...]) -> str:
    """The label mentioned most (by name or synonym); ties by declaration order."""
    best, best_hits = labels[-1], 0
    for label in labels:
        terms = (label, *SYNONYMS.get(label.lower(), ()))
        hits = sum(len(_term_pattern(term).findall(text)) for term in terms)
        if hits > best_hits:
            best, best_hits = label, hits
    return best


# --- free-text answers ------------------------------------------------------------------


def _answer(text: str, marker: bool) -> Answer:
    match = _DIVISIBLE_Q.search(text)
    if match:
        n, m = int(match[1]), int(match[2])
        yes = m != 0 and n % m == 0
        return Answer("divisible", (n, m), match[0], yes, marker)
    match = _PRIME_Q.search(text)
    if match:
        n = int(match[1])
        factor = smallest_factor(n)
        return Answer("prime", (n, factor), match[0], n >= 2 and factor == 0, marker)
    subject = _subject(text)
    # No facts to compute: a stable coin flip keeps the marker deterministic.
    yes = sum(subject.encode()) % 2 == 0
    return Answer("generic", (), subject, yes, marker)


def _subject(text: str) -> str:
    questions = re.findall(r"[^.?!\n]*\?", text)
    candidates = [q for q in questions if "[yes]" not in q.lower() and "[no]" not in q.lower()]
    line = (candidates or [ln for ln in text.splitlines() if ln.strip()] or ["your question"])[0]
    subject = re.sub(r"^\s*(?:q(?:uestion)?\s*:)?\s*", "", line, flags=re.IGNORECASE)
    subject = subject.strip().rstrip("?.!").strip()
    return (subject[:117] + "...") if len(subject) > 120 else (subject or "your question")


def smallest_factor(n: int) -> int:
    """The smallest prime factor of n, 0 if n is prime, or 1 for n < 2."""
    if n < 2:
        return 1
    for p in (2, 3, 5, 7, 11, 13):
        if n % p == 0:
            return p if n != p else 0
    if n < 10_000_000_000:
        i = 17  # 6k - 1; with i + 2 this walks every 6k +- 1 candidate
        while i * i <= n:
            if n % i == 0:
                return i
            if n % (i + 2) == 0:
                return i + 2
            i += 6
        return 0
    return 0 if _probably_prime(n) else _small_factor_or_unknown(n)


def _probably_prime(n: int) -> bool:
    # Miller-Rabin with these bases is exact below 3.3e24 and overwhelmingly right above.
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _small_factor_or_unknown(n: int) -> int:
    """A factor below 100,000 if there is one, else -1 (composite, factor not shown)."""
    for i in range(17, 100_000, 2):
        if n % i == 0:
            return i
    return -1

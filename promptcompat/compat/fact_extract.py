"""What a reader acts on in an English free text: numbers with units, dates and times, named
entities and identifiers, list items, and the polarity of each clause.

Regular expressions, on purpose: the libraries that find dates and quantities in running text
(``dateparser.search``, ``quantulum3``) take tens of milliseconds per text, load large
language models or data files, and resolve relative dates against today's clock, so the same
outputs could compare differently tomorrow. What the fact diff needs is narrower — the dates,
numbers and names *as written*, normalised just enough that "13 May" equals "May 13th" and
"five" equals "5" — and must be deterministic and fast on every sample of every run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache

MAX_CHARS = 20_000
"""Only the first part of a very long output is read (a 10 MB answer must not stall a run)."""

# --- words ------------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun",
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
"""Cardinals only: ordinals ("first", "second") mostly order a text, they rarely count."""
_MULTIPLIERS = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9,
                "trillion": 10**12, "k": 1000, "m": 10**6, "bn": 10**9}  # fmt: skip
_UNITS = {
    "%": "%", "percent": "%", "per cent": "%", "percentage points": "pp",
    "km": "km", "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "cm": "cm", "centimeters": "cm", "centimetres": "cm", "mm": "mm", "millimeters": "mm",
    "mi": "mi", "mile": "mi", "miles": "mi", "ft": "ft", "foot": "ft", "feet": "ft",
    "in": "in", "inch": "in", "inches": "in", "yard": "yd", "yards": "yd",
    "kg": "kg", "kilogram": "kg", "kilograms": "kg", "kilo": "kg", "kilos": "kg",
    "g": "g", "gram": "g", "grams": "g", "mg": "mg", "milligrams": "mg",
    "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb", "oz": "oz", "ounce": "oz",
    "ounces": "oz", "l": "l", "liter": "l", "liters": "l", "litre": "l", "litres": "l",
    "ml": "ml", "milliliters": "ml", "cup": "cup", "cups": "cup", "tablespoon": "tbsp",
    "tablespoons": "tbsp", "tbsp": "tbsp", "teaspoon": "tsp", "teaspoons": "tsp", "tsp": "tsp",
    "gallon": "gal", "gallons": "gal",
    "s": "s", "sec": "s", "second": "s", "seconds": "s", "min": "min", "mins": "min",
    "minute": "min", "minutes": "min", "h": "h", "hr": "h", "hrs": "h", "hour": "h",
    "hours": "h", "day": "day", "days": "day", "week": "week", "weeks": "week",
    "month": "month", "months": "month", "year": "year", "years": "year",
    "ms": "ms", "milliseconds": "ms",
    "°c": "°c", "°f": "°f", "degrees": "deg", "degree": "deg", "celsius": "°c",
    "fahrenheit": "°f", "kb": "kb", "mb": "mb", "gb": "gb", "tb": "tb",
    "usd": "usd", "dollars": "usd", "dollar": "usd", "eur": "eur", "euros": "eur",
    "euro": "eur", "gbp": "gbp", "pounds sterling": "gbp", "cents": "cent", "cent": "cent",
    "calories": "kcal", "kcal": "kcal", "mph": "mph", "kph": "kph", "km/h": "kph",
    "x": "x", "times": "x",
}  # fmt: skip
_CURRENCY = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy"}

_NOT_NEGATION = re.compile(
    r"\b(?:not\s+only|not\s+just|no\s+matter|no\s+doubt|not\s+until|nothing\s+but|"
    r"not\s+to\s+mention|no\s+less\s+than|without\s+(?:a\s+)?doubt)\b",
    re.I,
)
"""Phrases with a negation word that negate nothing ("not only ... but also")."""
NEGATIVE_CUES = frozenset(
    {
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor",
        "without", "cannot", "unable", "fail", "fails", "failed", "failing", "failure",
        "failures", "unsuccessful", "unsuccessfully", "impossible", "false", "incorrect",
        "untrue", "invalid", "absent", "disallowed", "forbidden",
        "prohibited", "unsafe", "illegal", "decrease", "decreased", "decreases", "decreasing",
    }
)  # fmt: skip
"""Words that make a clause negative: an odd number of them in a clause is a negative
statement ("the rollback failed", "no data was lost" and "it did not succeed" are negative;
"it did not fail" is positive)."""
POSITIVE_CUES = frozenset(
    {
        "succeed", "succeeded", "succeeds", "success", "successful", "successfully", "some",
        "all", "always", "possible", "true", "correct", "valid", "able", "can", "allowed",
        "permitted", "safe", "legal", "increase", "increased", "increases", "increasing",
        "yes",
        "present", "has", "have", "had", "is", "was", "were", "are", "will", "did", "does",
        "do", "should", "could", "would", "must", "need", "needs",
    }
)  # fmt: skip
"""The positive side of the pairs above: a clause holding one is a statement with a polarity
even without a negative cue, so "data was lost" vs "no data was lost" compares."""
STOPWORDS = frozenset(
    {
        "the", "a", "an", "and", "or", "but", "so", "of", "to", "in", "on", "at", "for",
        "with", "by", "from", "as", "into", "onto", "about", "over", "under", "than", "then",
        "this", "that", "these", "those", "it", "its", "it's", "they", "them", "their", "we",
        "our", "us", "you", "your", "he", "she", "his", "her", "him", "i", "me", "my", "be",
        "been", "being", "do", "done", "doing", "which", "who", "whom", "whose", "what",
        "when", "where", "why", "how", "there", "here", "also", "just", "only", "very",
        "really", "quite", "too", "still", "yet", "even", "both", "each", "any", "such",
        "would", "could", "should", "might", "must", "shall", "may", "if", "because", "while",
        "although", "though", "however", "therefore", "thus", "hence", "well", "like", "get",
        "got", "make", "made", "out", "up", "down", "off", "again", "further", "once", "own",
        "same", "other", "another", "one", "ones", "many", "much", "most", "several", "few",
        "around", "approximately", "roughly", "nearly", "almost", "overall",
        "indeed", "actually", "basically", "generally", "typically", "usually", "often",
        "sure", "certainly", "definitely", "please", "let", "let's", "note", "after", "before",
    }
)  # fmt: skip
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|prof|st|no|approx|inc|ltd)\.",
                            re.I)  # fmt: skip
_NOT_NAMES = frozenset(
    {
        "I", "I'm", "I've", "I'll", "I'd", "OK", "Okay", "AI", "TL", "DR", "TLDR", "FAQ",
        "Note", "Step", "Steps", "Tip", "Tips", "Example", "Examples", "Conclusion",
        "Summary", "Introduction", "Answer", "Question", "Yes", "No", "Sure", "Hi", "Hello",
        "Dear", "Thanks", "Thank", "Best", "Regards", "Sincerely", "Pros", "Cons", "Ingredients",
        "Instructions", "Option", "Options", "Output", "Input", "Title", "Subject", "Mr",
        "Mrs", "Ms", "Dr", "Overall", "Additionally", "Also", "Finally", "First", "Firstly",
        "Second", "Secondly", "Third", "Lastly", "However", "Therefore", "Remember", "Please",
    }
)  # fmt: skip

# --- patterns ---------------------------------------------------------------------------------

_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"((?:1[5-9]|20)\d\d)"
_DASH = r"\s*(?:-|–|—|to|until|through|and)\s*"
_DATE_HINT = re.compile(
    r"\d|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
)
"""A clause with no digit and no month or weekday holds no date: the patterns are skipped."""
_COUNTED = (
    r"(?:calories|words|people|users|items|dollars|feet|miles|meters|kg|km|pounds|square|"
    r"characters|units|copies|times|steps|lines)"
)
"""Words after a four-digit number that make it a count, not a year ("2000 calories")."""
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(rf"\b{_YEAR}-(\d\d)-(\d\d)\b")),
    ("dmy_range", re.compile(
        rf"\b{_DAY}{_DASH}{_DAY}\s+(?:of\s+)?({_MONTH_RE})(?:,?\s+{_YEAR})?\b"
    )),
    ("mdy_range", re.compile(rf"\b({_MONTH_RE})\s+{_DAY}{_DASH}{_DAY}(?:,?\s+{_YEAR})?\b")),
    ("dmy", re.compile(rf"\b{_DAY}\s+(?:of\s+)?({_MONTH_RE})(?:,?\s+{_YEAR})?\b")),
    ("mdy", re.compile(rf"\b({_MONTH_RE})\s+{_DAY}(?!\d|:|\s*(?:%|percent))(?:,?\s+{_YEAR})?\b")),
    ("my", re.compile(rf"\b({_MONTH_RE})\s+(?:of\s+)?{_YEAR}\b")),
    ("numeric", re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{2,4})\b")),
    ("month", re.compile(r"\b(January|February|March|April|June|July|August|September|"
                         r"October|November|December)\b")),
    ("weekday", re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b")),
    ("time", re.compile(r"\b(\d{1,2})(?::(\d\d))?\s*([ap])\.?m\b\.?", re.I)),
    ("clock", re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")),
    ("year", re.compile(rf"(?<![\d$€£.,]){_YEAR}(?!\s*(?:%|[.,]\d|\d))\b(?!\s+{_COUNTED})")),
)  # fmt: skip
_NUMBER = re.compile(
    r"(?P<cur>[$€£¥])?\s?(?<![\w.])(?P<num>\d+\s?[/⁄]\s?\d+(?![/\d])|\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<mult>\s?(?:hundred|thousand|million|billion|trillion|k|bn|m)\b)?"
    r"(?P<unit>\s?(?:%|°\s?[CF]\b|per\s?cent\b|[A-Za-z/]+(?:\s+(?:points|sterling))?))?"
)
_RANGE_END = re.compile(r"\s?(?:-|–|to)\s?[\d.,]+\s?(%|[A-Za-z°]+)")
_NUMBER_WORD = re.compile(
    r"\b(?P<word>" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b"
    r"(?P<mult>\s(?:hundred|thousand|million|billion)\b)?(?P<unit>\s[A-Za-z]+)?",
    re.I,
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)]|[a-zA-Z][.)](?=\s))\s+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"'\]]+[^\s<>()\"'\].,;:!?]")
_CODE = re.compile(
    r"(?<![\w-])(?:[A-Z]{2,}[-_]?\d[\w-]*|[A-Za-z]+\d+[A-Za-z\d-]*|\d+[A-Za-z]+\d[\w-]*|[A-Z]{2,6})"
    r"(?![\w-])"
)
_NAME = re.compile(
    r"(?<![\w'’])(?:[A-Z][^\W_]+(?:['’]s)?|[A-Z]\.)(?:\s+(?:(?:of|de|da|van|von|der|la|le|du|del)"
    r"\s+)?[A-Z][^\W_]+|\s+[A-Z]\.|-[A-Z][^\W_]+)*"
)
_LABEL = re.compile(r"^\s*(?:[^\s.!?:]+\s+){0,3}[^\s.!?:]+:(?=\s|$)")
"""A label opening a line or list item ("Space Travel & Colonization: ..."): its capitals
are a heading's, not names."""
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.!?;:])\s+|\n+|,\s+(?=(?:and|but|so|while|whereas|although|though|because|which|"
    r"yet|or)\b)|\s+(?=(?:but|whereas|although|though|however)\b)|"
    r"\s+(?=and\s+(?:no|not|some|the|a|an|it|they|we|he|she|all|none|this|that|there)\b)"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_TOKEN = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"\d")
_ANSWER_WORD = re.compile(r"^\s*(?:no|yes)\s*[,.!:;-]", re.I)
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_CONTRACTIONS = (
    (re.compile(r"\b(can)['’]?t\b", re.I), r"\1 not"),
    (re.compile(r"\bcannot\b", re.I), "can not"),
    (re.compile(r"\bwon['’]t\b", re.I), "will not"),
    (re.compile(r"\bshan['’]t\b", re.I), "shall not"),
    (re.compile(r"n['’]t\b", re.I), " not"),
)


@dataclass(frozen=True)
class Quantity:
    """A number as written, with its value and unit normalised."""

    value: Decimal
    unit: str
    """A known unit (``km``, ``%``, ``usd``...) or "" when the number stands alone."""
    text: str
    weak: bool = False
    """Spelled out ("three", "second"): compared, never reported as added or dropped."""
    bare: bool = True
    """No word follows it: "13" alone may be the day of a date elsewhere ("13 May")."""

    def matches(self, other: Quantity) -> bool:
        return self.value == other.value and (
            self.unit == other.unit or not self.unit or not other.unit
        )


@dataclass(frozen=True)
class Date:
    """A date or time as written; the parts the text gives, the others None."""

    year: int | None
    month: int | None
    day: int | None
    other: str | None
    """A weekday (``mon``) or a time of day (``t15:30``)."""
    text: str

    def matches(self, other: Date) -> bool:
        if (self.other is None) != (other.other is None):
            return False
        if self.other is not None:
            return self.other == other.other
        shared = [
            (a, b)
            for a, b in ((self.year, other.year), (self.month, other.month), (self.day, other.day))
            if a is not None and b is not None
        ]
        return bool(shared) and all(a == b for a, b in shared)


@dataclass(frozen=True)
class Clause:
    """One statement: a sentence, or a part of one joined by "and", "but", ";"."""

    text: str
    words: frozenset[str]
    """Content words, stemmed (no stop words, numbers, units or polarity cues): for alignment."""
    tokens: frozenset[str]
    """Every word and number, casefolded: breaks ties between equally aligned clauses."""
    polarity: int
    """+1 or -1: the parity of the negative cues."""
    polar: bool
    """The clause holds a polarity cue at all."""
    quantities: tuple[Quantity, ...]
    dates: tuple[Date, ...]
    entities: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    """What a reader acts on in one text."""

    text: str
    clauses: tuple[Clause, ...]
    quantities: tuple[Quantity, ...]
    dates: tuple[Date, ...]
    entities: tuple[str, ...]
    """Names, e-mails, URLs and codes as written (deduplicated, in order)."""
    items: tuple[str, ...]
    """List items (bulleted or numbered lines), as written."""

    @cached_property
    def folded(self) -> str:
        """The text casefolded, with runs of whitespace as one space: for presence checks."""
        return " ".join(normalise(self.text).casefold().split())

    def mentions(self, entity: str) -> bool:
        """Whether the text holds ``entity`` as a word sequence (case-insensitive)."""
        needle = " ".join(entity.casefold().split())
        return re.search(rf"(?<![\w]){re.escape(needle)}(?![\w])", self.folded) is not None

    def has_quantity(self, q: Quantity) -> bool:
        return any(q.matches(o) for o in self.quantities) or any(
            q.bare and q.value == d for d in self._date_numbers
        )

    def has_date(self, d: Date) -> bool:
        return any(d.matches(o) for o in self.dates)

    @cached_property
    def _date_numbers(self) -> frozenset[Decimal]:
        """Days and years of the dates: "13" alone in one text matches "13 May" in another."""
        return frozenset(Decimal(v) for d in self.dates for v in (d.day, d.year) if v is not None)


def normalise(text: str) -> str:
    """Curly quotes straight, contractions spelled out, markdown emphasis dropped."""
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    text = _EMPHASIS.sub("", text)
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A crude English stem, enough to align "regions" with "region" and "rolled" with "roll"."""
    w = word.casefold().strip("'-")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return w


def extract(text: str) -> Facts:
    """The facts of one text (English assumed; the caller checks the language)."""
    text = normalise(text[:MAX_CHARS])
    clauses: list[Clause] = []
    items: list[str] = []
    for line in text.splitlines():
        m = _LIST_MARKER.match(line)
        body = line[m.end() :] if m else line
        if m and body.strip():
            items.append(body.strip())
        heading = _is_heading(line)
        label = _LABEL.match(body)
        if label and not heading:
            clauses.append(_clause(label.group(0).strip(), heading=True, label=True))
            body = body[label.end() :]
        for part in _CLAUSE_SPLIT.split(_ABBREVIATIONS.sub(lambda x: x.group(0)[:-1], body)):
            if part and part.strip():
                clauses.append(_clause(part.strip(), heading=heading))
    return Facts(
        text=text,
        clauses=tuple(clauses),
        quantities=tuple(q for c in clauses for q in c.quantities),
        dates=tuple(d for c in clauses for d in c.dates),
        entities=tuple(dict.fromkeys(e for c in clauses for e in c.entities)),
        items=tuple(items),
    )


def _is_heading(line: str) -> bool:
    """Markdown headings and Title Case lines: their capitals are style, not names."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return True
    words = [w for w in _WORD.findall(stripped) if len(w) > 3]
    return len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _clause(text: str, *, heading: bool, label: bool = False) -> Clause:
    masked = text
    codes = _identifiers(masked)
    for e in codes:
        if any(ch.isdigit() or ch in "@/" for ch in e):
            masked = masked.replace(e, " " * len(e))  # a code's digits are not a date or number
    dates: list[Date] = []
    for kind, pattern in _DATE_PATTERNS if _DATE_HINT.search(masked) else ():
        for m in pattern.finditer(masked):
            found = _date(kind, m)
            if found:
                dates.extend(found)
                masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    entities = list(dict.fromkeys([*codes, *_names(masked, heading=heading)]))
    quantities = [] if label else _quantities(masked)  # "Step 3:" orders, it does not count
    words_masked = _NOT_NEGATION.sub(" ", _DIGITS.sub(" ", masked))
    # A leading "No," or "Yes," answers a question; the statement after it carries its own
    # polarity ("No, it is not possible" says what "It is not possible" says).
    words_masked = _ANSWER_WORD.sub(" ", words_masked)
    tokens = [w.casefold().strip("'-") for w in _WORD.findall(words_masked)]
    negatives = sum(t in NEGATIVE_CUES for t in tokens)
    polar = negatives > 0 or any(t in POSITIVE_CUES for t in tokens)
    words = frozenset(
        stem(t)
        for t in tokens
        if len(t) > 2
        and t not in STOPWORDS
        and t not in NEGATIVE_CUES
        and t not in POSITIVE_CUES
        and t not in _NUMBER_WORDS
        and t not in _UNITS
    )
    return Clause(
        text=text,
        words=words,
        tokens=frozenset(_TOKEN.findall(text.casefold())),
        polarity=-1 if negatives % 2 else 1,
        polar=polar,
        quantities=tuple(quantities),
        dates=tuple(dates),
        entities=tuple(entities),
    )


def _month(name: str) -> int | None:
    return _MONTHS.get(name.rstrip(".").casefold())


def _date(kind: str, m: re.Match[str]) -> list[Date]:
    g = m.groups()
    text = m.group(0)
    if kind == "iso":
        return [Date(int(g[0]), int(g[1]), int(g[2]), None, text)]
    if kind == "dmy_range":
        month, year = _month(g[2]), _int(g[3])
        return [Date(year, month, int(g[0]), None, text), Date(year, month, int(g[1]), None, text)]
    if kind == "mdy_range":
        month, year = _month(g[0]), _int(g[3])
        return [Date(year, month, int(g[1]), None, text), Date(year, month, int(g[2]), None, text)]
    if kind == "dmy":
        if int(g[0]) > 31:
            return []
        return [Date(_int(g[2]), _month(g[1]), int(g[0]), None, text)]
    if kind == "mdy":
        if int(g[1]) > 31:
            return []
        return [Date(_int(g[2]), _month(g[0]), int(g[1]), None, text)]
    if kind == "my":
        return [Date(int(g[1]), _month(g[0]), None, None, text)]
    if kind == "numeric":
        # 05/13/2024 or 13/05/2024: the order is the writer's; compare the parts as written.
        year = int(g[2]) + (2000 if len(g[2]) == 2 else 0)
        return [Date(year, None, None, f"n{int(g[0])}/{int(g[1])}", text)]
    if kind == "month":
        return [Date(None, _month(g[0]), None, None, text)]
    if kind == "weekday":
        return [Date(None, None, None, _WEEKDAYS[g[0].casefold()], text)]
    if kind == "time":
        hour = int(g[0]) % 12 + (12 if g[2].casefold() == "p" else 0)
        return [Date(None, None, None, f"t{hour:02d}:{int(g[1] or 0):02d}", text)]
    if kind == "clock":
        return [Date(None, None, None, f"t{int(g[0]):02d}:{int(g[1]):02d}", text)]
    if kind == "year":
        return [Date(int(g[0]), None, None, None, text)]
    return []


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _unit(raw: str | None) -> str:
    if not raw:
        return ""
    word = " ".join(raw.strip().casefold().split())
    word = word.replace("° ", "°")
    if word in _UNITS:
        return _UNITS[word]
    first = word.split()[0] if word else ""
    return _UNITS.get(first, "")


def _quantities(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for m in _NUMBER.finditer(text):
        num = m.group("num").replace(",", "")
        try:
            if "/" in num or "⁄" in num:  # a fraction: "1/4 teaspoon"
                top, bottom = re.split(r"\s?[/⁄]\s?", num)
                if int(bottom) == 0:
                    continue
                value = Decimal(int(top)) / Decimal(int(bottom))
            else:
                value = Decimal(num)
        except InvalidOperation:  # pragma: no cover - the pattern only matches digits
            continue
        mult = (m.group("mult") or "").strip().casefold()
        unit_raw = m.group("unit")
        if mult in ("m",) and unit_raw and unit_raw.strip():
            mult = ""  # "5 m long": metres, not millions
        if mult:
            value *= _MULTIPLIERS[mult]
        unit = _CURRENCY.get(m.group("cur") or "", "") or _unit(unit_raw)
        if mult == "m" and not unit:
            unit = "m"
            value /= _MULTIPLIERS["m"]
        bare = not (unit_raw and unit_raw.strip()) and not m.group("cur")
        if bare:
            # The first end of a range takes the unit of the second ("12-15 minutes").
            upper = _RANGE_END.match(text, m.end())
            if upper:
                unit = _unit(upper.group(1))
        out.append(Quantity(value.normalize(), unit, m.group(0).strip(), bare=bare))
        taken.append(m.span())
    for m in _NUMBER_WORD.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        word = m.group("word").casefold()
        value = Decimal(str(_NUMBER_WORDS[word]))
        mult = (m.group("mult") or "").strip().casefold()
        if mult:
            value *= _MULTIPLIERS[mult]
        unit_raw = m.group("unit")
        bare = not (unit_raw and unit_raw.strip())
        out.append(Quantity(value.normalize(), _unit(unit_raw), m.group(0).strip(), True, bare))
    return out


def _identifiers(text: str) -> list[str]:
    """E-mails, URLs and codes (``INC-2043``, ``GPT-4``, ``EU``)."""
    found: list[str] = []
    spans: list[tuple[int, int]] = []
    for pattern in (_EMAIL, _URL, _CODE):
        for m in pattern.finditer(text):
            token = m.group(0)
            if any(a <= m.start() < b for a, b in spans):
                continue
            if pattern is _CODE and (token in _NOT_NAMES or _all_digits_and_units(token)):
                continue
            found.append(token)
            spans.append(m.span())
    return found


def _names(text: str, *, heading: bool) -> list[str]:
    """Capitalised names that are not just the first word of a sentence."""
    found: list[str] = []
    if heading:
        return found
    for m in _NAME.finditer(text):
        name = m.group(0).strip()
        start = m.start()
        words = name.split()
        before = text[:start].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\"'(-" or before.endswith("--")
        if sentence_start and (words[0] in _NOT_NAMES or words[0].casefold() in STOPWORDS):
            words = words[1:]  # "The Acme report", "However Paris": the first word is style
            name = " ".join(words)
        elif sentence_start and len(words) < 2:
            continue  # the first word of a sentence is capitalised anyway
        if not words:
            continue
        if (
            name in _NOT_NAMES
            or name.casefold() in STOPWORDS
            or _month(name)
            or (name.casefold() in _WEEKDAYS)
        ):
            continue
        if len(name) < 2 or re.fullmatch(r"(?:[A-Z]\.\s*)+", name):
            continue  # initials alone ("J.") say nothing the full name does not
        found.append(name)
    return found


def _all_digits_and_units(token: str) -> bool:
    """``10km``, ``5pm``, ``3rd``, ``2x``: a quantity written without a space, not a code."""
    m = re.fullmatch(r"(\d+)([A-Za-z]+)", token)
    return m is not None and (
        m.group(2).casefold() in _UNITS
        or m.group(2).casefold() in ("st", "nd", "rd", "th", "am", "pm", "s")
    )

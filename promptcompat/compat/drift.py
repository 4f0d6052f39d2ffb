"""Zero-config drift detectors: what every baseline sample had in common that the candidate lost.

No contract is needed. Each output text is analysed once (:class:`Output`, lazily, so a JSON
case never pays for language detection); :func:`drift_events` compares one output with the
reference outputs (every baseline sample, or the other baseline samples when measuring the
baseline's own rate).
"""

from __future__ import annotations

import ast
import json
import re
import zlib
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import Any, Literal, NamedTuple

from promptcompat.compat.fact_extract import STOPWORDS, stem
from promptcompat.compat.format_requirements import (
    GIVING,
    MONEY,
    PARAGRAPH_BREAK,
    SENSITIVE,
    SENTENCE_BREAK,
    Forbidden,
    Instructions,
    LimitUnit,
    Requirements,
    is_fallback,
    label_line,
    line_format_pattern,
    line_values,
    money,
    paragraphs,
    section_of,
    wrapped_value,
)
from promptcompat.compat.language import MIN_LETTERS, TRAILING_MARKER, languages, letters
from promptcompat.compat.refusals import (
    declines_early,
    declines_somewhere,
    is_refusal,
    opening_kind,
)
from promptcompat.rules import Events

Wrapper = Literal["raw", "fenced", "prose"]
MarkerKind = Literal[
    "trailing_bracket",
    "leading_bracket",
    "leading_label",
    "bulleted_list",
    "numbered_list",
    "leading_token",
    "trailing_token",
    "bare_answer",
    "links",
    "comma_list",
    "table",
    "citations",
    "csv",
]
_LISTS: frozenset[MarkerKind] = frozenset({"bulleted_list", "numbered_list"})
# Lists are structure, not a format, unless asked for: losing one nothing asked is no change.
_STRUCTURE: frozenset[MarkerKind] = _LISTS | {"comma_list", "table", "citations", "csv"}
Kind = Literal["json", "code", "text"]

_FENCE_LINE = re.compile(r"^[ \t]*```", re.M)
_FENCE_BLOCK = re.compile(r"^[ \t]*```[^\n`]*\n(.*?)^[ \t]*```", re.M | re.S)
_JSON_START = re.compile(r"[{\[]")
_MAX_PROSE_TRIES = 16
_DECODER = json.JSONDecoder()

# Format markers (see docs/rules.md): a bracketed word at the end or at the start is one
# family per position, so that "[Yes]" -> "[No]" is an answer change, not a lost marker. It
# still counts when bold, quoted or followed by a full stop (`**[No]**`, `"[Yes]".`).
_LEADING_BRACKET = re.compile(r"\A[\s*_\"'\u201c(#>]*\[([^\W\d][\w\-]{0,40})\](:?)")
_LEADING_LABEL = re.compile(
    r"\A\s*(?:\*\*)?([A-Z][A-Za-z;]*(?: [A-Za-z]+){0,2})(?:\*\*)?:(?:\*\*)?[ \t\n]"
)
# A first line that only leads in to what follows ("Here are 6 flashcards:").
_LEAD_IN_LINE = re.compile(r"\A[^\n:]{3,80}:[ \t]*\n+")
# "You asked: ..." opens a sentence; "Final answer: ..." is a label. Several words count as a
# label only when all are capitalised or the last is a typical label noun.
_LABEL_NOUNS = frozenset(
    "answer summary result category label sentiment translation output reason reasoning "  # noqa: SIM905
    "explanation verdict score rating title response conclusion classification".split()
)
# A lead-in word is no label: "Sure: here is...", "Great: ..." paraphrase freely.
_INTERJECTIONS = frozenset(
    "sure great certainly absolutely okay ok yes no well alright right fine perfect "  # noqa: SIM905
    "hello hi hey thanks note".split()
)
_BULLET = re.compile(r"^[ \t]*[-*\u2022+][ \t]+\S", re.M)
_NUMBERED = re.compile(r"^[ \t]*\d{1,3}[.)][ \t]+\S", re.M)
_FIXED_TOKEN = re.compile(r"[^\w\s`]{2,}|<{1,2}[\w-]+>{1,2}|[A-Z][A-Z0-9_]+(?: [A-Z][A-Z0-9_]+)*")
_URL = re.compile(r"https?://[^\s)>\]]+")
# A link written as a bare domain ("amaranwosu.com", "www.example.org/help") holds links asked
# for (as a habit of the baseline a bare domain is no URL).
_DOMAIN = re.compile(
    r"(?<![\w@.-])(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|ai|app|co|gov|edu|info)"
    r"(?:/[^\s)>\]]*)?(?![\w-])",
    re.I,
)
# Three or more short items on one line, separated by a comma and a space ("Tokyo, Delhi,
# Shanghai"): "1,250,000 dollars" has no space after its commas.
_COMMA_LIST = re.compile(r"[^,\n]{1,40}(?:,[ \t]+(?:and[ \t]+|or[ \t]+)?[^,\n]{1,40}){2,}")
# A citation of a numbered source: "[1]", "[2][3]", "[4, 5]".
_CITATION = re.compile(r"\[\d{1,2}(?:\s*[,\u2013-]\s*\d{1,2})*\]")
_CSV_MIN_LINES = 2


def _is_csv(lines: list[str]) -> bool:
    """Two or more lines, no table bars, each with the same number (one or more) of commas."""
    rows = [line for line in lines if line.strip()]
    if len(rows) < _CSV_MIN_LINES or any("|" in row for row in rows):
        return False
    commas = {row.count(",") for row in rows}
    return len(commas) == 1 and commas != {0}


# A table's row: cells separated by "|" ("| Oat milk | £1.85 |", "Shirts | 2 | $10"); a
# header, its rule and one row make a table, with or without the outer bars.
_TABLE_ROW = re.compile(r"^[^\n|]*\S[^\n|]*\|[^\n]*\S.*$|^[ \t]*\|[^\n]*\|[^\n]*\S[^\n]*$", re.M)
_TABLE_MIN_ROWS = 3
_STEPS_MIN = 3
_CAPS_TOKEN = re.compile(r"\[[A-Z][A-Z0-9 _-]{1,30}\]")
_COMPUTATION = re.compile(r"\S\s*[=×÷−+]\s*[\d$€£(]")
_BARE_LABEL = re.compile(r"[A-Za-z][\w-]{0,31}\.?")
_BARE_NUMBER = re.compile(r"[-+]?\$?\d[\d,]*(?:\.\d+)?%?\.?")
# Enum-like values are lowercase or UPPER identifiers: a Capitalised word is more likely a
# proper noun (a city, a company) that an extraction legitimately changes.
_ENUM_LIKE = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")

# Degenerate output: a 400-byte window that zlib squeezes below 12% is a candidate; a unit of
# up to 60 characters repeated 12+ times over 300+ characters there (or 100 words with at
# most 8 distinct ones) confirms it. Prose, code and tables stay far above (0.25 and up).
_LOOP_WINDOW = 400
_LOOP_MAX_RATIO = 0.12
_LOOP_MAX_UNIT = 60
_LOOP = re.compile(rf"(.{{1,{_LOOP_MAX_UNIT}}}?)\1{{11,}}", re.S)
_LOOP_MIN_CHARS = 300
_REPEAT_TAIL_BYTES = 2000
_REPEAT_TAIL_MIN_BYTES = 1500
_REPEAT_TAIL_MAX_RATIO = 0.12
_PADDING = re.compile(r"([ \t\-=_.])\1{3,}")
_TABLE_BARS = 4  # "|" characters that make a text a table
_WORD = re.compile(r"\S+")

# Dataset residue at the end of an answer ("Score: 4", "Label: No", "A: The answer is not
# given in the text."): annotation lines of some other task, leaked into the output.
_ANNOTATION = re.compile(
    r"(?m)^[ \t]*(Score|Label|Annotation|A|Q|Sentence \d)[ \t]*:[ \t]*\S.{0,60}$", re.I
)
_ANNOTATION_TAIL = 400
_ANNOTATION_MIN_CHARS = 600  # a longer answer ending in one: "A: yes" alone is an answer

# A broken ending, short of a loop (docs/rules.md, "degenerate output"):
# - a final prose line of 8+ words that stops without a full stop in an output whose long
#   lines otherwise end with one ("The MWI is often seen as a more "complete"");
# - a token of 4+ characters repeated 5+ times without a break ("[Optional][Optional]...",
#   "ThereThereThere");
# - the same line of 8+ characters 3+ times in a row at the end ("Dear [Recipient],").
_CODE_LINE = re.compile(r"[;{}=<>]|\(\)|^\s*(?:def|class|import|return|from|print)\b")
_PROSE_LINE_WORDS = 8
_PROSE_ENDED = 0.75
_CLOSING_BRACKETS = ")]"
_END_PUNCT = frozenset(".!?:;)]}>|`…。！？\"'\u201d\u2019")
_TRAILING_WRAP = "*_ "  # bold or italics; a closing quote ends a quoted phrase
_TOKEN_RUN = re.compile(r"(\S{4,24}?)\1{4,}")
_TOKEN_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]")
_TAIL_CHARS = 600
_LINE_RUN = 3
_CYCLE_LINES = 9  # the last lines read for a cycle, which may hold
_CYCLE_MAX_DISTINCT = 4  # this many different lines at most,
_CYCLE_MIN_TIMES = 2  # each this many times at least
_WORDY_LINE = re.compile(r"[^\W\d_]{3,}.{5,}")
_TAIL_LINES = 6
_QUOTED_END = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{1,40}[^\W\d_])[\"\u201d]\Z")
_QUOTED_WORDS = 1
_FRAGMENTS = 3  # short lines of junk after a cut ("- - - - historia", ".")
_FRAGMENT_WORDS = 3
_LETTER_WORD = re.compile(r"[^\W\d_]+")
_ITEM_MARK = re.compile(r"(?:[-*\u2022+]|\d{1,3}[.)]|#{1,6})[ \t]")

# An unrelated tail (docs/rules.md): the last paragraphs share almost no content word with
# the instructions, the baseline samples and the answer's own head, which does share many
# ("... 5. Sew the button in place." then a paragraph on a court case). A closing remark
# ("Let me know if ...") is too short to count, or shares the task's words.
# Scripts written without spaces (Chinese, Japanese) have no words to split: left out.
_CONTENT_WORD = re.compile(r"(?:(?![\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff])[^\W\d_]){4,}")
_TAIL_MIN_WORDS = 12
_TAIL_MAX_SHARED = 0.1
_TAIL_HEAD_FACTOR = 4  # the head shares at least 4 times the tail's share with the context
_SHORT_HEAD_WORDS = 5
_SHORT_HEAD_ON_TOPIC = 0.8

# Talk around an answer asked for alone: a lead-in line ("Sure! Here's the SQL query:", "The
# translation is:") or a closing remark ("I hope this helps!", "This query selects ...").
_LEAD_IN = re.compile(
    r"(?:sure|certainly|of course|absolutely|okay|ok|alright|great)\b.{0,150}"
    r"|(?:here(?:'s|’s| is| are)|below (?:is|are)|the following)\b.{0,150}"
    r"|[A-Z][\w'’,]*(?: [\w'’,]+){2,24}:",
    re.I,
)
_CLOSING_REMARK = re.compile(
    r"(?:i hope|hope (?:this|that|you)|let me know|feel free|enjoy|happy \w+ing|note|"
    r"if you (?:need|want|have|would)|this (?:query|code|function|solution|script|program|"
    r"implementation|haiku|poem|translation) (?:will|should|uses|returns|selects|runs|works|"
    r"is|checks|captures|reads))\b",
    re.I,
)
# Special tokens of the chat templates models are served with (ChatML, Llama 3, Llama 2,
# Gemma, Phi): text never has them, a model that runs past its turn writes them out.
_CHAT_TEMPLATE_TOKEN = re.compile(
    r"<\|(?:im_start|im_end|eot_id|start_header_id|end_header_id|endoftext|end_of_text|"
    r"begin_of_text|end|user|assistant|system)\|>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>"
    # the turn headers of instruction-tuning formats (Alpaca, Vicuna), on a line of their own
    r"|^[ \t]*#{2,3}[ \t]*(?:Instruction|Response|Human|Assistant)[ \t]*:[ \t]*$",
    re.M,
)
_PLACEHOLDER = re.compile(r"(?:<|\\\{|\\\[)[^<>{}\[\]]{1,40}?(?:>|\\\}|\\\])")
_DIGIT_MASK = re.compile(r"(?<![A-Za-z])(?:X+\\\.X+|(?<=\$)X+|\\\#+)(?![A-Za-z])")
# An amount a rule may forbid: money, a dose, miles or points ("$150", "200-400 mg", "7,500
# SkyWay Miles" is "7,500 ... Miles" too far apart: the number with its unit only).
_AMOUNT = re.compile(
    r"[$£€]\s?\d[\d,.]*|\b\d[\d,.]*(?:\s?[-\u2013]\s?\d[\d,.]*)?\s?(?:mg|mcg|ml|milligrams?|"
    r"millilit(?:er|re)s?|tablets?|pills?|capsules?|miles|points|USD|EUR|GBP|dollars|euros|pounds)\b"
)
_CHAT_TEMPLATE_MARKS = ("<|", "INST]", "<<SYS>>", "_of_turn>", "###")
# A user turn and then an assistant turn, each on a line of its own, inside an answer.
_INVENTED_TURNS = re.compile(
    r"^[ \t]*(?:User|Human|Guest|Customer)[ \t]*:[^\n]*\n(?:[^\n]*\n){0,6}?[ \t]*"
    r"(?:Assistant|AI|Bot|Agent)[ \t]*:",
    re.M,
)
_DIALOGUE_ASKED = re.compile(
    r"\b(?:dialogues?|conversations?|transcripts?|scripts?|role-?play|exchanges?|chat\s*(?:logs?|bots?))\b",
    re.I,
)
# Token debris: identifiers glued together ("ngOnInitEndpoint", two case changes at least:
# "TechHaven" or "iPhone" are names), a capital run after lowercase ("gradientBLOCK"), a dot
# or an underscore before a word ("ablytyped.Accessor", "_PRIV"), brace and quote runs. (Latin
# glued to Chinese or Japanese is ordinary writing: "使用iPhone手机".)
_DEBRIS_TOKEN = re.compile(
    r"[a-z][A-Z][a-z]*[a-z0-9][A-Z]|[a-z][A-Z]{2,}|(?:^|[A-Za-z])\.[A-Z]|[A-Za-z]_[A-Za-z]|"
    r"[{}<>\"]{2,}|;{2,}"
)
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z]"),
    "arabic": re.compile(r"[\u0600-\u06ff]"),
    "han": re.compile(r"[\u4e00-\u9fff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af]"),
}
_SOUP_MIN_TOKENS = 5
_SOUP_SHARE = 0.4
_SOUP_PARAGRAPHS = 3
_LEAD_IN_MAX_CHARS = 160
_MIN_LIST_ITEMS = 2
_LITERAL_TAIL_LINES = 3
_TERM_STEM_MIN = 3
_MIN_CASE_LETTERS = 2  # "I" alone, or one proper noun, in a lowercase chat is a slip
_SENTENCE_AROUND_WORDS = 2  # "The email address is": "Paris, France" for "Paris" is one word
_WORD_LIMIT_SLACK = 1.1  # word counts differ by tokenisation: 10% over is within the limit
_FORBIDDEN_NAMES: dict[Forbidden, str] = {
    "markdown": "markdown (bold, headings, lists, tables)",
    "markup": "markdown markup (bold, headings, tables)",
    "lists": "lists",
    "emojis": "emojis",
    "capitals": "capital letters (lowercase only)",
    "lowercase": "lowercase letters (all caps)",
}
_MARKDOWN = re.compile(
    r"\*\*[^*\n]+\*\*|__[^_\n]+__|^[ \t]*#{1,6}[ \t]+\S|^[ \t]*\|.*\|[ \t]*$|^[ \t]*```", re.M
)
# The answer's first word a yes or a no, after at most a softener ("Unfortunately, no",
# "I'm afraid not"), and no idiom ("No problem", "No worries", "Yes and no").
_YES_NO_OPENING = re.compile(
    r"[\s*_\"'“]*(?:(?:unfortunately|sadly|good\s+news|great\s+news|short\s+answer|"
    r"i'm\s+afraid|i\s+am\s+afraid)[\s,:!—-]+)?(yes|yep|yeah|no|nope|not)\b"
    r"(?!\s+(?:problem|worries|need|rush|doubt|matter|longer|only|all|one|more|way)\b)"
    r"(?!\s+(?:and|or)\s+(?:no|yes)\b)"
    r"(?=\s*[,.!:;—-]|\s*$|\s+(?:it|you|I|we|they|he|she|your|this|that|there)\b)",
    re.I,
)
_YES_WORDS = frozenset({"yes", "yep", "yeah"})
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\U0001f000-\U0001f2ff]")
_UPPER = re.compile(r"[A-Z]")
_LOWER_RUN = re.compile(r"[a-z]{3,}")
# A hedged answer that is this many times longer than a hedged refusal, by this many
# characters at least, delivers what the other withholds (``Output.hedged_like``).
_SUBSTANCE_FACTOR = 4
_SUBSTANCE_CHARS = 800

_LANG_BASELINE_MIN_P = 0.4
_LANG_CANDIDATE_MIN_P = 0.6
_LANG_CANDIDATE_MAX_P_OLD = 0.02
_LANG_ASKED_CANDIDATE_MIN_P = 0.2
_LANG_ASKED_MAX_P_OLD = 0.1
_LANG_PARAGRAPH_MIN_LETTERS = 80
_LANG_PARAGRAPH_MIN_P = 0.95
_VERBOSITY_MIN_DELTA = 20


def is_enum_like(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 32 and bool(_ENUM_LIKE.fullmatch(value))


def strip_fence(text: str) -> str | None:
    """The body of the first fenced block, or None when there is none."""
    if "```" not in text:
        return None
    m = _FENCE_BLOCK.search(text)
    return m.group(1) if m else None


def _parse_json(text: str) -> tuple[Any, Wrapper] | None:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            value = json.loads(stripped)
        except ValueError:
            pass
        else:
            if isinstance(value, dict | list):
                return value, "raw"
    if "```" in stripped:
        for m in _FENCE_BLOCK.finditer(stripped):
            body = m.group(1).strip()
            if body[:1] in ("{", "["):
                try:
                    value = json.loads(body)
                except ValueError:
                    continue
                if isinstance(value, dict | list):
                    return value, "fenced"
    for tries, m in enumerate(_JSON_START.finditer(stripped)):
        if tries >= _MAX_PROSE_TRIES:
            break
        try:
            value, _ = _DECODER.raw_decode(stripped, m.start())
        except ValueError:
            continue
        # A bare "[1]" inside a sentence is prose, not a wrapped JSON answer.
        if isinstance(value, dict) or (isinstance(value, list) and value and m.start() == 0):
            return value, "prose"
    return None


class Marker(NamedTuple):
    """A format feature of an output that a consumer may rely on (docs/rules.md)."""

    kind: MarkerKind
    detail: str = ""

    def describe(self) -> str:
        return {
            "trailing_bracket": "a trailing bracketed token like [Yes]/[No]",
            "leading_bracket": "a leading bracketed token like [Yes]/[ANSWER]",
            "leading_label": f"the leading label '{self.detail}:'",
            "bulleted_list": "a bulleted list",
            "numbered_list": "a numbered list",
            "leading_token": f"the leading token '{self.detail}'",
            "trailing_token": f"the trailing token '{self.detail}'",
            "bare_answer": "a one-word answer",
            "links": "links (URLs)",
            "comma_list": "a comma-separated list on one line",
            "table": "a table",
            "citations": "citations like [1]",
            "csv": "CSV lines",
        }[self.kind]

    def asked_by(self, req: Requirements) -> bool:
        """Whether the instructions ask for this feature (else it is a habit)."""
        if self.kind == "trailing_bracket":
            return req.asks_bracket("end")
        if self.kind == "leading_bracket":
            return req.asks_bracket("start")
        if self.kind == "leading_label":
            return req.asks_prefix(self.detail)
        if self.kind in _LISTS:
            return req.list_format and (req.numbered or self.kind == "bulleted_list")
        flag = _ASKED_FLAG.get(self.kind)
        if flag is not None:
            return flag(req)
        return self.detail in req.fixed_tokens  # a fixed first or last line


# Markers the instructions ask for by one flag of the requirements.
_ASKED_FLAG: dict[MarkerKind, Callable[[Requirements], bool]] = {
    "bare_answer": lambda req: req.bare_answer,
    "links": lambda req: req.links,
    "comma_list": lambda req: req.comma_list,
    "table": lambda req: req.table,
    "citations": lambda req: req.citations,
    "csv": lambda req: req.csv,
}


class Output:
    """One output text and everything the detectors may ask about it, computed on demand."""

    def __init__(self, text: str, task: str | None = None) -> None:
        self.text = text
        self.task = task
        """The rendered instructions, when known (a refusal may restate the task)."""

    @cached_property
    def json(self) -> tuple[Any, Wrapper] | None:
        """Parsed JSON object/array and how it was wrapped, or None."""
        return _parse_json(self.text)

    @cached_property
    def fenced(self) -> bool:
        return "```" in self.text and _FENCE_LINE.search(self.text) is not None

    @cached_property
    def refusal(self) -> bool:
        if self.json is not None and self.json[1] == "raw":
            return False
        return is_refusal(self.text, self.task)

    @cached_property
    def declines(self) -> bool:
        """The first sentence declines in the speaker's own voice and no answer follows a
        pivot (``refusals.declines_early``)."""
        if self.json is not None and self.json[1] == "raw":
            return False
        return declines_early(self.text, self.task)

    @cached_property
    def declines_later(self) -> bool:
        """A sentence after the opening declines part of the request
        (``refusals.declines_somewhere``): worked out once per sample, not once per
        comparison with it."""
        return declines_somewhere(self.text)

    @cached_property
    def opening(self) -> str | None:
        """What the opening sentence does when it is refusal-like: ``decline``,
        ``missing_input`` or ``limitation`` (``promptcompat.compat.refusals``), else None."""
        if self.json is not None and self.json[1] == "raw":
            return None
        return opening_kind(self.text)

    def hedged_like(self, refusing: Output) -> bool:
        """Whether this output, which does not refuse, opens with the same kind of hedge as
        ``refusing`` does, or ``refusing`` only hedges (missing input, a limitation): then
        the two are the same behaviour, more or less answered, and no flip."""
        if self.opening is None:
            return False
        if (
            self.length >= _SUBSTANCE_FACTOR * refusing.length
            and self.length - refusing.length >= _SUBSTANCE_CHARS
        ):
            # "I don't have a definitive view. However, a few thoughts: ..." and a page of
            # them, against the same hedge and two sentences of filler: an answer, not the
            # same behaviour more or less answered.
            return False
        return refusing.opening != "decline" or self.opening == "decline"

    @cached_property
    def markers(self) -> frozenset[Marker]:
        text = self.text.strip()
        found: set[Marker] = set()
        if TRAILING_MARKER.search(text):
            found.add(Marker("trailing_bracket"))
        if self.leading_bracket is not None:
            found.add(Marker("leading_bracket"))
        # A lead-in line nothing forbade ("Here are 6 flashcards:") does not move the label.
        lead = _LEAD_IN_LINE.match(text)
        m = _LEADING_LABEL.match(text) or (lead and _LEADING_LABEL.match(text[lead.end() :]))
        if m and _is_label(m.group(1)):
            found.add(Marker("leading_label", m.group(1)))
        if len(_BULLET.findall(text)) >= 2:
            found.add(Marker("bulleted_list"))
        if len(_NUMBERED.findall(text)) >= 2:
            found.add(Marker("numbered_list"))
        lines = text.splitlines()
        if len(lines) > 1:  # a one-line answer is its own content, not a marker line
            # Bold or italics around a token keep it the token ("**PASS**" is "PASS").
            first, last = lines[0].strip(_TRAILING_WRAP), lines[-1].strip(_TRAILING_WRAP)
            if _FIXED_TOKEN.fullmatch(first):
                found.add(Marker("leading_token", first))
            if _FIXED_TOKEN.fullmatch(last):
                found.add(Marker("trailing_token", last))
        if self.label is not None or (len(text) <= 24 and _BARE_NUMBER.fullmatch(text)):
            found.add(Marker("bare_answer"))
        if "://" in text and _URL.search(text):
            found.add(Marker("links"))
        if "\n" not in text and _COMMA_LIST.fullmatch(text):
            found.add(Marker("comma_list"))
        if "|" in text and len(_TABLE_ROW.findall(text)) >= _TABLE_MIN_ROWS:
            found.add(Marker("table"))
        if "[" in text and _CITATION.search(text):
            found.add(Marker("citations"))
        if "," in text and _is_csv(lines):
            found.add(Marker("csv"))
        return frozenset(found)

    @cached_property
    def shows_steps(self) -> bool:
        """Working in steps: two computations ("3x = 15. x = 5."), or three lines or three
        sentences ("$77.50; there is no change fee" is the result, not the working). Asked
        only where the instructions ask for the working (``Requirements.steps``)."""
        text = self.text.strip()
        return (
            len(_COMPUTATION.findall(text)) >= _STEPS_MIN - 1
            or sum(bool(line.strip()) for line in text.splitlines()) >= _STEPS_MIN
            or (count_items(text, "sentences") or 0) >= _STEPS_MIN
        )

    @cached_property
    def end_token(self) -> str | None:
        """The bracketed token the output ends with, as written (``No`` of ``[No]``)."""
        m = TRAILING_MARKER.search(self.text.strip())
        return None if m is None else m.group(1)

    @cached_property
    def leading_bracket(self) -> tuple[str, bool] | None:
        """The bracketed word the output opens with, and whether a colon follows (a tag)."""
        m = _LEADING_BRACKET.match(self.text)
        return None if m is None else (m.group(1), bool(m.group(2)))

    @cached_property
    def decision(self) -> str | None:
        """The bracketed verdict the output ends with (``[Yes]`` -> ``yes``), else the one it
        opens with when no colon follows (``[No] The user...``; ``[ANSWER]:`` is a tag)."""
        m = TRAILING_MARKER.search(self.text.strip())
        if m is not None:
            return m.group(1).strip().casefold()
        lead = self.leading_bracket
        if lead is not None and not lead[1]:
            return lead[0].strip().casefold()
        return None

    @cached_property
    def yes_no(self) -> Literal["yes", "no"] | None:
        """The yes or the no the output opens with ("Yes! Your parcel is due...",
        "Unfortunately, no."), else None ("No problem, ...", "Yes and no")."""
        m = _YES_NO_OPENING.match(self.text)
        if m is None:
            return None
        return "yes" if m.group(1).casefold() in _YES_WORDS else "no"

    @cached_property
    def label(self) -> str | None:
        """The answer when it is one label-like word ("billing", "Yes."), else None."""
        text = self.text.strip()
        if len(text) > 33 or not _BARE_LABEL.fullmatch(text):
            return None
        return text.rstrip(".")

    @cached_property
    def length(self) -> int:
        return len(self.text.strip())

    @cached_property
    def talk(self) -> str | None:
        """A lead-in line or closing remark around the answer ("Here is the query:", "I hope
        this helps!"), or None. A one-line output has none: its line is the answer."""
        lines = [line.strip() for line in self.text.strip().splitlines() if line.strip()]
        if len(lines) < 2:
            return None
        first, last = lines[0].strip("*_# "), lines[-1].strip("*_ ")
        if (
            len(first) <= _LEAD_IN_MAX_CHARS
            and _LEAD_IN.fullmatch(first)
            and not _CODE_LINE.search(first)
        ):
            return first
        if _CLOSING_REMARK.match(last):
            return last
        return None

    @cached_property
    def words(self) -> int:
        return len(_WORD.findall(self.text))

    @cached_property
    def list_items(self) -> int:
        """Bulleted and numbered lines: a limit on bullet points and a ban on lists count them."""
        return len(_BULLET.findall(self.text)) + len(_NUMBERED.findall(self.text))

    def size(self, unit: LimitUnit) -> int:
        """The text's length in ``unit``."""
        text = self.text.strip()
        if unit == "words":
            return self.words
        if unit == "characters":
            return len(text)
        if unit == "sentences":
            return count_items(text, "sentences") or 0
        if unit == "bullets":
            return self.list_items
        if unit == "paragraphs":
            return len(paragraphs(text))
        return len([line for line in text.splitlines() if line.strip()])

    def has_literal(self, literal: str, where: Literal["opens", "ends"]) -> bool:
        """Whether the text opens (or ends) with ``literal``: case, markdown emphasis and a
        closing stop aside."""
        text = self.text.strip().strip("*_#> \n")
        # "Dear <customer first name>,": a placeholder stands for any few words.
        pattern = _PLACEHOLDER.sub(r".{1,40}?", re.escape(literal.strip().rstrip(".!")))
        # "Quote: $X.XX": a mask for digits stands for a number.
        pattern = _DIGIT_MASK.sub(r"[\\d.,]+", pattern)
        if where == "opens":
            return re.match(pattern, text, re.I) is not None
        # A sign-off may run over two lines ("Warm regards,\nThe Harbor View Team").
        lines = [line.strip("*_ ") for line in text.splitlines() if line.strip()]
        tail = " ".join(lines[-_LITERAL_TAIL_LINES:]).rstrip(".!")
        spaced = pattern.replace(r"\ ", r"\s+")
        return bool(lines) and re.search(spaced + r"\Z", tail, re.I) is not None

    def uses(self, kind: Forbidden) -> bool:
        """Whether the text uses a format the instructions may forbid."""
        text = self.text
        lists = self.list_items >= _MIN_LIST_ITEMS
        if kind == "markdown":
            return lists or _MARKDOWN.search(text) is not None
        if kind == "markup":
            return _MARKDOWN.search(text) is not None
        if kind == "lists":
            return lists
        if kind == "emojis":
            return _EMOJI.search(text) is not None
        if kind == "capitals":
            return len(_UPPER.findall(text)) >= _MIN_CASE_LETTERS
        return len(_LOWER_RUN.findall(text)) >= _MIN_CASE_LETTERS

    @cached_property
    def code_like(self) -> bool:
        """Parses as Python and is more than one bare expression (a word parses too)."""
        try:
            tree = ast.parse(self.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
        # "Category: billing" parses too (an annotation without a value): not code.
        return any(
            not isinstance(node, ast.Expr)
            and not (isinstance(node, ast.AnnAssign) and node.value is None)
            for node in tree.body
        )

    @cached_property
    def degenerate(self) -> str | None:
        """What the text degenerates into (a repetition loop, a broken ending), or None."""
        return (
            self._template_tokens()
            or self._invented_turns()
            or self._token_soup()
            or self._loop()
            or self._repeating_tail()
            or self._broken_ending()
        )

    def _template_tokens(self) -> str | None:
        """Special tokens of a chat template in the text ("<|im_end|>", "[INST]"): the model
        ran past the end of its turn, often into a turn of its own invention."""
        # Substring tests first: the regex over every output cost the diff benchmark 6%.
        if not any(mark in self.text for mark in _CHAT_TEMPLATE_MARKS):
            return None
        m = _CHAT_TEMPLATE_TOKEN.search(self.text)
        if m is None:
            return None
        return f"chat-template tokens ({m.group(0)!r}): the answer runs past the end of its turn"

    def _invented_turns(self) -> str | None:
        """The answer goes on with turns of a conversation nobody had ("User: Thanks! ...",
        "Assistant: ..."), where the instructions ask for no dialogue."""
        if "User:" not in self.text and "Human:" not in self.text:
            return None
        m = _INVENTED_TURNS.search(self.text)
        if (
            m is None
            or m.start() == 0
            # a dialogue asked for, or turns in the task itself ("User : Hi dear / Agent : helo")
            or (
                self.task is not None
                and (_DIALOGUE_ASKED.search(self.task) or _INVENTED_TURNS.search(self.task))
            )
            or self._in_code_block(m.group(0))
        ):
            return None
        return f"turns of its own invention ({_short(m.group(0), 60)!r}) after the answer"

    def _token_soup(self) -> str | None:
        """A tail of token debris after the answer ("ablytyped.Accessor Reflex
        gradientBLOCK...", identifiers and scripts mixed at random): most of its words are
        code-shaped, and it mixes writing systems, in prose that is no code."""
        if self.fenced or "\n\n" not in self.text.rstrip():
            return None
        head, tail = self.text.rstrip().rsplit("\n\n", 1)
        for _ in range(_SOUP_PARAGRAPHS - 1):
            if "\n\n" not in head:
                break
            before, last = head.rsplit("\n\n", 1)
            if not _soupy(last):
                break
            head, tail = before, f"{last}\n\n{tail}"
        if not _soupy(tail) or _soupy(head):
            return None
        return f"token debris after the answer ({_short(tail.strip(), 60)!r})"

    def _broken_ending(self) -> str | None:
        text = self.text.rstrip()
        if text.count("```") % 2:
            return None  # inside an unclosed code block: truncation's business, if any
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if not lines:
            return None
        # A run inside a closed code block is the code's data ("ATGCTAGCTAGC..."), not a loop.
        unfenced = [line for line in _FENCE_BLOCK.sub("", text).splitlines() if line.strip()]
        tail = "\n".join(unfenced[-_TAIL_LINES:])[-_TAIL_CHARS:]
        for m in _TOKEN_RUN.finditer(tail):
            if _TOKEN_LETTERS.search(m.group(1)):  # words, not a rule of dashes or digits
                return f"{m.group(1)!r} repeated {len(m.group(0)) // len(m.group(1))} times"
        last = lines[-1]
        run = 1
        while run < len(lines) and lines[-1 - run].rstrip(",") == last.rstrip(","):
            run += 1
        # A drawing (an empty board) or an output that is the line repeated (as asked,
        # "print hello five times") is no broken ending: words, after something else.
        if run >= _LINE_RUN and run < len(lines) and _WORDY_LINE.search(last):
            return f"the line {_short(last, 60)!r} {run} times in a row at the end"
        if cycle := _line_cycle(lines):
            return cycle
        prose = [line for line in lines if len(line.split()) >= _PROSE_LINE_WORDS]
        ended = sum(_line_end(line) == "closed" for line in prose)
        if len(prose) < 3 or ended < _PROSE_ENDED * (len(prose) - 1):
            return None
        # The cut line may be followed by a few fragments ("like \"Inter" / "- - historia" /
        # "."): look at the last line, then at the one before such fragments.
        fragments = 0
        while (
            fragments < min(_FRAGMENTS, len(lines) - 1)
            and len(_LETTER_WORD.findall(lines[-1 - fragments])) <= _FRAGMENT_WORDS
        ):
            fragments += 1
        if not _debris(lines[len(lines) - fragments :], lines[-1 - fragments]):
            fragments = 0
        for i, after in (
            (len(lines) - 1, ""),
            (len(lines) - 1 - fragments, " and fragments after it"),
        ):
            cut = lines[i]
            if (
                len(cut.split()) >= _PROSE_LINE_WORDS
                and _line_end(cut) == "open"
                and not _CODE_LINE.search(cut)
                and not _OPEN_BY_DESIGN.search(cut)
                and not _open_list(lines, i)
            ):
                return f"it stops mid-sentence ({_short(cut[-60:], 60)!r}{after})"
        return None

    def _repeating_tail(self) -> str | None:
        """A tail that says the same things over and over with variations too long or too
        loose for ``_loop`` ("let us dance, let us create, ..., as the Bringers of the New
        Dawn, and let us dance, ..."; hashtags cycling through one stem): its last 2,000
        bytes compress to under an eighth. On 16,000 real AlpacaEval outputs (issue 16,
        fourth pass) nothing sound but a drawing in a code block did."""
        if self.json is not None:
            return None  # records of one shape are what a JSON list is; its diff reads it
        raw = self.text.rstrip().encode("utf-8", "replace")[-_REPEAT_TAIL_BYTES:]
        if len(raw) < _REPEAT_TAIL_MIN_BYTES or _packed(raw) > _REPEAT_TAIL_MAX_RATIO:
            return None  # padding only makes a text pack better: no need to remove it
        # a table's padding and rules are no repetition of content
        text = _PADDING.sub(r"\1", self.text.rstrip())
        data = text.encode("utf-8", "replace")[-_REPEAT_TAIL_BYTES:]
        if len(data) < _REPEAT_TAIL_MIN_BYTES:
            return None
        packed = _packed(data)
        if packed > _REPEAT_TAIL_MAX_RATIO:
            return None
        middle = data[len(data) // 4 : -len(data) // 4].decode("utf-8", "ignore")
        if self._in_code_block(middle.strip(), padding_collapsed=True):
            return None  # a drawing or data inside a closed code block
        return f"the last {len(data)} characters repeat themselves (they compress to {packed:.0%})"

    def _loop(self) -> str | None:
        data = self.text.encode("utf-8", "replace")
        if len(data) < _LOOP_MIN_CHARS:
            return None
        # The end is read whatever it compresses to: a loop of 300 characters that the
        # token limit cut ("( ) ( ) ( ) ...") may not fill a window the gate below passes.
        if found := self._periodic_end():
            return found
        step = _LOOP_WINDOW // 2
        for start in range(0, max(1, len(data) - _LOOP_WINDOW + 1), step):
            window = data[start : start + _LOOP_WINDOW]
            if len(zlib.compress(window, 1)) > _LOOP_MAX_RATIO * len(window):
                continue
            around = data[max(0, start - _LOOP_WINDOW) : start + 2 * _LOOP_WINDOW]
            region = around.decode("utf-8", "ignore")
            if found := self._looping(region):
                return found
            if self._in_code_block(region[_LOOP_WINDOW:-_LOOP_WINDOW]):
                continue  # a drawing or data inside a closed code block
            words = _WORD.findall(region)
            for i in range(0, max(0, len(words) - 100) + 1, 25):
                chunk = words[i : i + 100]
                if len(chunk) == 100 and len(set(chunk)) <= 8:
                    shown = " ".join(sorted(set(chunk))[:4])
                    return f"100 words made of {len(set(chunk))} distinct ones ({shown!r}...)"
        return None

    def _periodic_end(self) -> str | None:
        """The last 300 characters repeat one unit of up to 60 (a shift by the unit's length
        leaves them unchanged): a loop the output ends in, however short the rest."""
        text = self.text.rstrip()
        end = text[-_LOOP_MIN_CHARS:]
        for period in range(1, _LOOP_MAX_UNIT + 1):
            if len(text) < _LOOP_MIN_CHARS + period:
                break
            if end != text[-_LOOP_MIN_CHARS - period : -period]:
                continue
            unit = text[-period:]
            if not unit.strip() or (self._table and not unit.strip(" \t\n-=_:|")):
                return None  # padding, a table's rule or empty rows
            start = len(text) - _LOOP_MIN_CHARS
            while start > 0 and text[start - 1] == text[start - 1 + period]:
                start -= 1
            if not text[:start].strip():
                return None  # the whole output is the unit repeated: a drawing, or as asked
            times = (len(text) - start) // period
            return f"{unit.strip()!r} repeated {times} times at the end"
        return None

    def _looping(self, region: str) -> str | None:
        """A unit of up to 60 characters repeated over 300 or more in ``region``."""
        for m in _LOOP.finditer(region):
            if len(m.group(0)) >= _LOOP_MIN_CHARS and not self._deliberate(m):
                unit = m.group(1)
                times = len(m.group(0)) // len(unit)
                return f"{unit.strip() or repr(unit)!r} repeated {times} times"
        return None

    @cached_property
    def _table(self) -> bool:
        return self.text.count("|") >= _TABLE_BARS

    @cached_property
    def _fenced_spans(self) -> tuple[str, ...]:
        return tuple(m.group(1) for m in _FENCE_BLOCK.finditer(self.text))

    def _in_code_block(self, fragment: str, *, padding_collapsed: bool = False) -> bool:
        """Whether ``fragment`` lies inside one closed code block (compared with the blocks'
        padding collapsed too when the fragment's was)."""
        blocks = self._fenced_spans
        if padding_collapsed:
            blocks = tuple(_PADDING.sub(r"\1", block) for block in blocks)
        return any(fragment in block for block in blocks)

    def _deliberate(self, loop: re.Match[str]) -> bool:
        """Whether a repetition is the content's own: padding between a table's cells (spaces
        or a rule of dashes), or rows inside a closed code block (ASCII art, a test string)."""
        if not loop.group(1).strip(" \t-=_:"):
            return self._table  # a table's cells, however wide
        return self._in_code_block(loop.group(0).strip())

    @cached_property
    def annotation_tail(self) -> tuple[str, str] | None:
        """An annotation line near the end of a longer output, and its label, or None."""
        text = self.text.rstrip()
        if len(text) < _ANNOTATION_MIN_CHARS:
            return None
        m = _ANNOTATION.search(text, len(text) - _ANNOTATION_TAIL)
        return None if m is None else (m.group(0).strip(), m.group(1))

    @cached_property
    def paragraph_keys(self) -> tuple[tuple[str, frozenset[str]], ...]:
        """Each paragraph and its content words, stemmed."""
        return tuple((p, content_keys(p)) for p in paragraphs(self.text.strip()))

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset().union(*(k for _, k in self.paragraph_keys))

    def unrelated_tail(self, context: frozenset[str]) -> str | None:
        """The last paragraphs when they share almost nothing with ``context`` (the task and
        the reference outputs' content words) and the rest of this text, though the rest
        shares much with ``context``; else None."""
        parts = self.paragraph_keys
        for k in range(1, len(parts)):
            tail = frozenset().union(*(keys for _, keys in parts[-k:]))
            if len(tail) < _TAIL_MIN_WORDS:
                continue
            head = frozenset().union(*(keys for _, keys in parts[:-k]))
            if not head:
                return None
            shared = len(tail & (context | head)) / len(tail)
            on_topic = len(head & context) / len(head)
            if len(head) < len(tail) and not (
                len(head) >= _SHORT_HEAD_WORDS and on_topic >= _SHORT_HEAD_ON_TOPIC
            ):
                # The tail is no appendix any more but the answer itself; unless the head is
                # a short answer made of the task's own words (a corrected sentence) and the
                # rest is about something else.
                return None
            if shared <= _TAIL_MAX_SHARED and shared * _TAIL_HEAD_FACTOR <= on_topic:
                if _CAVEAT.match(parts[-k][0]) or _CAVEAT_PHRASE.match(parts[-k][0]):
                    return None  # "Note: deleting logs a service holds open frees no space"
                return parts[-k][0]
        return None

    @cached_property
    def letters(self) -> int:
        return letters(self.text)

    @cached_property
    def languages(self) -> dict[str, float]:
        """Top languages with probabilities; empty when the text is too short to tell."""
        return languages(self.text)

    @cached_property
    def paragraph_languages(self) -> tuple[str, ...]:
        """The language of each prose paragraph long enough to tell it for sure (code blocks
        left out): worked out once per sample, not once per comparison with it."""
        found: list[str] = []
        for para in PARAGRAPH_BREAK.split(_FENCE_BLOCK.sub("\n\n", self.text)):
            if letters(para) < _LANG_PARAGRAPH_MIN_LETTERS:
                continue
            lang, p = next(iter(languages(para).items()))
            if p >= _LANG_PARAGRAPH_MIN_P:
                found.append(lang)
        return tuple(found)


# Lines that end without a full stop by design: hashtags, a URL or file name, a field
# ("Due Date: As per the start date"), a stage direction after a closed sentence ("enjoy!
# *bows with a flourish*").
_OPEN_BY_DESIGN = re.compile(
    r"#[^\W\d_][\w-]*\s*\Z"
    r"|(?:https?://|www\.)\S+\Z|\.(?:pdf|html?|com|org|net|io|png|jpe?g|txt|csv|py|js)\Z"
    # a plain field, not a bold or listed heading of a paragraph ("2. **Scalability**: ...")
    r"|\A[A-Z][\w/&-]*(?:\s+[\w/&-]+){0,2}:\s+(?:\S+\s+){0,11}\S+\Z"
    r"|[.!?\u2026]\s*[*_(\[][^*_()\[\]]{1,80}[*_)\]]\s*\Z"
)
# Display maths after a lead-in ("the value of f(2) is" / "\[" / "\boxed{39}" / "\]").
_MATH_LINE = re.compile(r"\A(?:\\[\[\]()]|\$\$|\\(?:boxed|begin|end|frac)\b)")


def _packed(data: bytes) -> float:
    """The share of ``data`` left after compression: low when it repeats itself."""
    return len(zlib.compress(data, 9)) / len(data)


def _line_cycle(lines: list[str]) -> str | None:
    """The last lines going round a few lines with words again and again, after something
    else: a dialogue stuck on one exchange, a list repeating its last items ("- Seductions" /
    "- Seduction's" / ...). A refrain comes back between verses, not in a run at the end."""
    tail = [line.lstrip("-*\u2022+ ").rstrip(",") for line in lines[-_CYCLE_LINES:]]
    distinct = set(tail)
    if (
        len(lines) <= _CYCLE_LINES
        or len(distinct) > _CYCLE_MAX_DISTINCT
        or not all(_WORDY_LINE.search(line) for line in distinct)
        or min(tail.count(line) for line in distinct) < _CYCLE_MIN_TIMES
    ):
        return None
    shown = _short(tail[-1], 40)
    return f"the last {_CYCLE_LINES} lines go round {len(distinct)} lines ({shown!r}...)"


def _open_list(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is a list item and the item before it, of the same list, also ends
    without a full stop: a list written without stops, not a cut one. An item that ends on
    a closing bracket says nothing either way ("- Laura: send the notes (due 23 Feb)" among
    "- Arjun: set up a trial account"): the one before it is asked; when every item before
    it ends on one, none ends with a stop and the list has none."""
    item = _ITEM_MARK.match(lines[i])
    if item is None:
        return False
    mark = item.group()[:1]
    items_before = False
    for line in lines[i - 1 :: -1] if i else []:
        same_list = line[:1] == mark or (mark.isdigit() and line[:1].isdigit())
        if same_list and line.rstrip(_TRAILING_WRAP)[-1:] not in _CLOSING_BRACKETS:
            return _line_end(line) != "closed"
        items_before = items_before or same_list
    return items_before


def _debris(fragments: list[str], before: str) -> bool:
    """Whether short last lines are the debris of a cut: a line without a word (".", "- -")
    or a word on two of them ("historia"), and no items of the list ``before`` is in
    ("- Ends: 11 am" after a longer item). A sign-off ("Best regards," / "Jane") is none."""
    item = _ITEM_MARK.match(before)
    if item and any(line.startswith(item.group()) for line in fragments):
        return False
    if any(_MATH_LINE.match(line) for line in fragments):
        return False
    words = [{w.casefold() for w in _LETTER_WORD.findall(line)} for line in fragments]
    seen: set[str] = set()
    for line_words in words:
        if not line_words or line_words & seen:
            return True
        seen |= line_words
    return False


def _line_end(line: str) -> Literal["closed", "open", "other"]:
    """How a line ends: ``closed`` by a full stop, a closing quote or bracket; ``open`` on a
    letter or one quoted word (`seen as a more "complete"`: a quoted phrase closes it, as
    `"Good evening, friends"` does); else ``other`` (a digit, a comma)."""
    bare = line.rstrip(_TRAILING_WRAP)
    m = _QUOTED_END.search(bare)
    if bare[-1:].isalpha() or (m is not None and len(m.group(1).split()) <= _QUOTED_WORDS):
        return "open"
    return "closed" if bare[-1:] in _END_PUNCT else "other"


# A caveat the answer closes with, in words of its own: a habit of real models, not text
# appended to the answer.
_CAVEAT = re.compile(
    r"[ \t>*_]*(?:note|tip|warning|caution|important|heads[\s-]up|reminder|disclaimer|p\.\s?s)"
    r"[*_]*\s*[:.\-\u2013\u2014]",
    re.I,
)

# A caveat said in words: "Also keep in mind that deleting a log file a process still has open
# won't free the space", "Be aware that ..." ("Note that this implementation ..." is how an
# appended unrelated paragraph often opens: not here).
_CAVEAT_PHRASE = re.compile(
    r"[ \t>*_]*(?:also,?\s+|and\s+|finally,?\s+)?(?:(?:keep|bear)\s+in\s+mind|be\s+aware|"
    r"remember)\s+that\b",
    re.I,
)


def content_keys(text: str) -> frozenset[str]:
    """Words of 4+ letters that are no function words ("that", "with"), stemmed: what a
    text is about."""
    return frozenset(stem(w) for w in _CONTENT_WORD.findall(text) if w.casefold() not in STOPWORDS)


def _is_label(words: str) -> bool:
    parts = words.split()
    if len(parts) == 1:
        return parts[0].casefold() not in _INTERJECTIONS
    return parts[-1].lower() in _LABEL_NOUNS or all(p[0].isupper() for p in parts)


def output_kind(declared: str, baseline: Sequence[Output]) -> Kind:
    """How to compare: the contract's format, else what every baseline sample looks like."""
    if declared == "json":
        return "json"
    if declared == "code":
        return "code"
    if baseline and all(o.json is not None and o.json[1] != "prose" for o in baseline):
        return "json"
    if baseline and all(o.code_like or (o.fenced and _fenced_code(o)) for o in baseline):
        return "code"
    return "text"


def _fenced_code(output: Output) -> bool:
    body = strip_fence(output.text)
    return body is not None and Output(body).code_like


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def drift_events(
    refs: Sequence[Output],
    out: Output,
    kind: Kind,
    instructions: Instructions | None = None,
    *,
    json_declared: bool = False,
) -> Events:
    """Drift of ``out`` against what every output in ``refs`` had in common.

    ``instructions``: the case's rendered instructions. They tell a format that was asked for
    (its loss is ``drift.format_marker_lost``) from a habit of the baseline
    (``drift.format_changed``); None when unknown, and then every format the baseline
    samples share counts as asked. ``json_declared``: the contract says `format: json`, so
    the JSON wrappers count as asked whatever the instructions say.
    """
    events: Events = {}
    if not refs:
        return events
    # An empty answer or a refusal explains every other symptom (lost markers, length,
    # language): report it alone.
    if not out.length:
        if all(r.length for r in refs):
            events["drift.empty_output", None, ""] = "the output is empty"
        return events
    req = instructions.requirements if instructions is not None else None

    def refuses(o: Output) -> bool:
        # Giving the answer the instructions name for a declined or unknown question is
        # declining too: against a decline in other words, no flip.
        return o.refusal or (
            req is not None
            and req.fallback is not None
            and is_fallback(o.text, req.fallback, referral=req.referral)
        )

    # A flip needs a side that answers without a hedge: two hedged openings ("I do not
    # have enough context...", then more or less of an answer) are the same behaviour.
    if out.refusal and not any(
        refuses(r) or r.hedged_like(out) or r.declines or r.declines_later for r in refs
    ):
        events["drift.refusal_introduced", None, ""] = (
            f"the candidate refuses: {_short(out.text.strip(), 80)!r}"
        )
        return events
    if (
        all(r.refusal and not out.hedged_like(r) for r in refs)
        and not refuses(out)
        and not out.declines
    ):
        events["drift.refusal_removed", None, ""] = "every baseline sample refused; this answers"
        return events
    if refuses(out) and any(refuses(r) for r in refs):
        return events  # two declines, one in the words the instructions give
    if out.refusal or (out.opening is not None and any(r.refusal for r in refs)):
        # Two refusals in other words, or a refusal against a hedge that is no flip (above):
        # the format a non-answer has or lacks is no contract.
        return events
    if out.degenerate is not None and not any(r.degenerate for r in refs):
        events["drift.degenerate_output", None, ""] = (
            f"the output degenerates: {_short(out.degenerate, 120)}; no baseline sample does"
        )
    elif kind == "text" and (tail := _unrelated_tail(refs, out, instructions)) is not None:
        # Text only: code's identifiers and the prose explaining it share few words anyway.
        events["drift.degenerate_output", None, ""] = (
            f"the output ends in text unrelated to the task, the baseline and its own answer "
            f"({_short(tail.strip(), 80)!r}); no baseline sample does"
        )
    elif (
        out.annotation_tail is not None
        and not any(r.annotation_tail for r in refs)
        and (
            instructions is None
            or f"{out.annotation_tail[1]}:".casefold() not in instructions.text.casefold()
        )
    ):
        events["drift.degenerate_output", None, ""] = (
            f"the output ends in annotation lines of another task "
            f"({_short(out.annotation_tail[0], 60)!r}); no baseline sample does"
        )
    if kind == "json":
        if req is None or req.json_only or json_declared:
            _wrapper_events(refs, out, events)
    elif out.fenced and not any(r.fenced for r in refs):
        message = "the output is now wrapped in a markdown code fence; no baseline sample was"
        if req is None or req.code_only:
            events["drift.code_fence_added", None, ""] = message
        elif kind == "code":
            # Bare code became fenced, but nothing asked for code only: a habit changed.
            events["drift.format_changed", None, "fence"] = (
                f"{message} (the instructions do not ask for code only)"
            )
    elif not out.fenced and all(r.fenced for r in refs) and not (req and req.code_only):
        events["drift.code_fence_removed", None, ""] = (
            "every baseline sample had a markdown code fence; this output has none"
        )
    if req is not None and req.alone and kind != "json":
        _talk_event(refs, out, events, req)
    if kind == "text":
        _text_events(refs, out, events, instructions)
    return events


def _talk_event(refs: Sequence[Output], out: Output, events: Events, req: Requirements) -> None:
    """The instructions ask for the answer alone, no baseline sample talks around it and
    this output does: a consumer that uses the output as it is now gets the talk too."""
    if any(r.talk is not None for r in refs):
        return
    talk = out.talk or _sentence_around(refs, out) or _off_template(refs, out, req)
    if talk is None:
        return
    events["drift.answer_wrapped", None, ""] = (
        f"the instructions ask for the answer alone; this output wraps it in talk "
        f"({_short(talk, 80)!r}), no baseline sample does"
    )


def _off_template(refs: Sequence[Output], out: Output, req: Requirements) -> str | None:
    """The first line of ``out`` outside the labelled lines the instructions give
    ("Urgency: <...>", "Reason: <...>"), where every baseline sample is made of those lines
    alone; else None."""
    labels = [w.removeprefix("line:") for w in req.wrappers if w.startswith("line:")]
    if not labels:
        return None
    opening = re.compile("|".join(label_line(label) for label in labels), re.I)

    def others(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if ln.strip() and not opening.match(ln)]

    if any(others(r.text) for r in refs):
        return None
    extra = others(out.text)
    return extra[0].strip() if extra else None


def _sentence_around(refs: Sequence[Output], out: Output) -> str | None:
    """``out`` when it is one line holding a baseline's one-line answer inside a sentence
    ("The email address is john.doe@example.com." for "john.doe@example.com"), else None."""
    line = out.text.strip()
    if "\n" in line:
        return None
    for r in refs:
        answer = r.text.strip().rstrip(".")
        if not answer or "\n" in answer:
            return None
        at = line.casefold().find(answer.casefold())
        if at < 0:
            return None
        rest = (line[:at] + " " + line[at + len(answer) :]).strip(" .!")
        if len(_LETTER_WORD.findall(rest)) < _SENTENCE_AROUND_WORDS:
            return None
    return line


@lru_cache(maxsize=1024)
def _task_keys(instructions: str) -> frozenset[str]:
    """The instructions' content words, once per rendered text (every sample of a case, and
    often every case of a prompt, compares against the same one)."""
    return content_keys(instructions)


def _unrelated_tail(
    refs: Sequence[Output], out: Output, instructions: Instructions | None
) -> str | None:
    """``out``'s unrelated tail, when no reference has one against the others and ``out``."""
    task = _task_keys(instructions.text) if instructions is not None else frozenset()
    tail = out.unrelated_tail(task.union(*(r.keys for r in refs)))
    if tail is None:
        return None
    for i, r in enumerate(refs):
        others = [o.keys for j, o in enumerate(refs) if j != i]
        if r.unrelated_tail(task.union(out.keys, *others)) is not None:
            return None
    return tail


def _wrapper_events(refs: Sequence[Output], out: Output, events: Events) -> None:
    if out.json is None:
        return
    wrappers = {r.json[1] if r.json is not None else None for r in refs}
    wrapper = out.json[1]
    if wrapper == "fenced" and "fenced" not in wrappers:
        events["drift.json_fenced", None, ""] = (
            "the JSON is now inside a markdown code fence; a plain JSON parser fails"
        )
    elif wrapper == "prose" and "prose" not in wrappers:
        events["drift.json_in_prose", None, ""] = (
            f"the JSON is now wrapped in prose ({_short(out.text.strip())!r}); "
            "a plain JSON parser fails"
        )
    elif wrapper == "raw" and wrappers == {"fenced"}:
        events["drift.code_fence_removed", None, ""] = (
            "every baseline sample fenced its JSON; this output is bare JSON"
        )


def _link_target(link: str) -> str:
    return re.sub(r"\A(?:https?://)?(?:www\.)?", "", link.casefold()).rstrip("/.")


def _same_links_bare(refs: Sequence[Output], out: Output) -> bool:
    """This output writes a link every baseline sample has as a bare domain: `amaranwosu.com`
    for `https://amaranwosu.com` (a site's name for a page's URL is no link kept)."""
    kept = {_link_target(m.group(0)) for m in _DOMAIN.finditer(out.text)}
    return bool(kept) and all(kept & {_link_target(u) for u in _URL.findall(r.text)} for r in refs)


def _text_events(
    refs: Sequence[Output], out: Output, events: Events, instructions: Instructions | None
) -> None:
    req = instructions.requirements if instructions is not None else None
    common = frozenset.intersection(*(r.markers for r in refs))
    has_list = bool(out.markers & {Marker("bulleted_list"), Marker("numbered_list")})
    for marker in sorted(common - out.markers):
        what = marker.describe()
        # Without instructions every shared format counts as asked, except a comma list:
        # any sentence with a few commas would be one.
        if (req is None and marker.kind not in _STRUCTURE - _LISTS) or (
            req and marker.asked_by(req)
        ):
            if marker.kind in _LISTS and has_list and not (req and req.numbered):
                continue  # a list is still there, of the other kind
            if req and _other_option(marker, out, req):
                continue  # another of the options asked for: the label changed, below
            if marker.kind == "links" and _same_links_bare(refs, out):
                continue  # the baseline's links, written as bare domains ("amaranwosu.com")
            events["drift.format_marker_lost", None, what] = (
                f"every baseline sample had {what}; this output does not"
            )
        elif marker.kind not in _STRUCTURE:
            # A list nothing asked for is structure, not a format: prose is as good.
            events["drift.format_changed", None, what] = (
                f"every baseline sample had {what}; this output does not "
                "(the instructions do not ask for it)"
            )
    if req is not None and req.asks_bracket("end") and out.end_token is not None:
        # Every baseline marker was one the instructions spell out; this one is not ("[NO]"
        # for "[No]"): a parser of the asked tokens no longer finds it.
        asked = set(req.markers)
        if out.end_token not in asked and all(r.end_token in asked for r in refs):
            listed = ", ".join(f"[{m}]" for m in req.markers)
            events["drift.format_marker_lost", None, "asked token"] = (
                f"the output ends with [{out.end_token}], not one of the markers the "
                f"instructions spell out ({listed})"
            )
    if req is not None and req.steps and all(r.shows_steps for r in refs) and not out.shows_steps:
        events["drift.format_marker_lost", None, "working shown in steps"] = (
            "every baseline sample had working shown in steps; this output does not"
        )
    if req is not None and req.markers:
        # Markers asked per line ("each title on its own line starting with [AVAILABLE],
        # [ON LOAN] or [ON ORDER]"): every baseline sample has some, this output none.
        tokens = [f"[{m}]".casefold() for m in req.markers]

        def tagged(o: Output) -> bool:
            return any(t in o.text.casefold() for t in tokens)

        if (
            all(tagged(r) for r in refs)
            and not tagged(out)
            # another bracketed token in their place is another marker, not none ("for a test
            # run, answer with any additional formats you may need": [ACKNOWLEDGEMENT])
            and not _CAPS_TOKEN.search(out.text)
            and not _has_lost_marker(events)
        ):
            listed = ", ".join(f"[{m}]" for m in req.markers)
            events["drift.format_marker_lost", None, "markers"] = (
                f"every baseline sample carries the markers the instructions spell out "
                f"({listed}); this output has none"
            )
    if req is not None:
        _headings_event(refs, out, events, req)
        _fallback_event(refs, out, events, req)
        _wrapper_answer_events(refs, out, events, req)
        _template_event(refs, out, events, req)
        _line_format_event(refs, out, events, req)
        _placeholder_event(refs, out, events, req)
        _columns_event(refs, out, events, req)
    decisions = {r.decision for r in refs}
    if (
        out.decision is not None
        and None not in decisions
        and out.decision not in decisions
        and not _has_lost_marker(events)
    ):
        known = ", ".join(sorted(f"[{d}]" for d in decisions if d is not None))
        events["drift.label_changed", None, ""] = (
            f"the answer marker is now [{out.decision}]; baseline answered {known}"
        )
    labels = {r.label.casefold() for r in refs if r.label is not None}
    if (
        out.label is not None
        and all(r.label is not None for r in refs)
        and out.label.casefold() not in labels
    ):
        known = ", ".join(sorted(repr(x) for x in labels))
        events["drift.label_changed", None, ""] = (
            f"the answer is now {out.label!r}; baseline answered {known}"
        )
    if (
        req is not None
        and (req.options or req.choices)
        and "drift.label_changed" not in {k[0] for k in events}
    ):
        _option_event(refs, out, events, req)
    if instructions is not None and "drift.label_changed" not in {k[0] for k in events}:
        _yes_no_event(refs, out, events, instructions)
    if req is not None and req.options:
        _label_line_event(refs, out, events, req)
        if req.options_first:
            _first_line_option_event(refs, out, events, req)
    lengths = [r.length for r in refs]
    low, high = min(lengths), max(lengths)
    if (out.length >= 2 * high and out.length - high >= _VERBOSITY_MIN_DELTA) or (
        out.length <= low / 2 and low - out.length >= _VERBOSITY_MIN_DELTA
    ):
        events["drift.verbosity", None, ""] = (
            f"{out.length} characters; baseline {low}-{high} "
            f"(band {low // 2}-{2 * high}, exclusive of the upper bound)"
        )
    _language_event(refs, out, events, instructions)
    if req is not None:
        if req.count is not None:
            _count_event(
                refs, out, events, req.count, exact=req.count_exact, section=req.count_section
            )
        elif req.one_per_input:
            _per_input_event(refs, out, events)
        if req.limit is not None:
            _length_limit_event(refs, out, events, req.limit)
        if req.line_limit is not None:
            _line_limit_event(refs, out, events, req.line_limit)
        if req.first_line_limit is not None:
            _first_line_limit_event(refs, out, events, req.first_line_limit)
        _literal_events(refs, out, events, req)
        _forbidden_event(refs, out, events, req, instructions.text if instructions else None)


def _other_option(marker: Marker, out: Output, req: Requirements) -> bool:
    """The first (last) line was one option the instructions list and is now another."""
    if marker.kind not in ("leading_token", "trailing_token") or not req.options:
        return False
    lines = out.text.strip().splitlines()
    line = (lines[0] if marker.kind == "leading_token" else lines[-1]).strip(_TRAILING_WRAP)
    return line in req.options and marker.detail in req.options


def _has_lost_marker(events: Events) -> bool:
    return any(key[0] == "drift.format_marker_lost" for key in events)


def _lost(refs: Sequence[Output], out: Output, pattern: re.Pattern[str]) -> bool:
    """Every baseline sample has ``pattern`` and ``out`` does not: an asked line's loss."""
    return all(pattern.search(r.text) for r in refs) and not pattern.search(out.text)


def _headings_event(refs: Sequence[Output], out: Output, events: Events, req: Requirements) -> None:
    """Headings the instructions spell out ("## Summary", "## Decisions"): every baseline
    sample has each as a line, this output lacks one."""
    for heading in req.headings:
        # "## Summary" exactly; a section named without a mark ("Answer Key") in any dress.
        dress = r"[ \t]*" if heading.startswith("#") else r"[ \t#*_]*"
        line = re.compile(rf"^{dress}{re.escape(heading)}[*_]*[ \t]*:?[ \t*_]*$", re.M | re.I)
        if _lost(refs, out, line):
            events["drift.format_marker_lost", None, f"heading {heading}"] = (
                f"the instructions ask for the heading {heading!r}; every baseline sample has "
                "it, this output does not"
            )


def _fallback_event(refs: Sequence[Output], out: Output, events: Events, req: Requirements) -> None:
    """The instructions name what to answer when the answer is unknown ("I don't know"), a
    condition holds ("REFUSED") or the question is not to be answered (a referral): every
    baseline sample gave it and this output answers, or the other way round."""
    if req.fallback is None:
        return
    gave = [is_fallback(r.text, req.fallback, referral=req.referral) for r in refs]
    now = is_fallback(out.text, req.fallback, referral=req.referral)
    # Abstaining as the instructions say is a refusal of the question, and answering after
    # every baseline sample abstained a refusal removed: the consumer sees the same flip.
    if all(gave) and not now:
        events["drift.refusal_removed", None, ""] = (
            f"every baseline sample gave the answer the instructions name in place of an "
            f"answer ({req.fallback!r}); this output answers instead"
        )
    elif now and not any(gave):
        events["drift.refusal_introduced", None, ""] = (
            f"this output gives the answer the instructions name in place of an answer "
            f"({req.fallback!r}); every baseline sample answered"
        )


_ANSWER_MAX_WORDS = 6
"""Words a short answer in a labelled line may have ("Estimate: 1,200 to 1,500 visitors"):
more is a sentence, a summary reworded freely ("TL;DR: Restart the router, then ...")."""


def _same_answer(a: str, b: str) -> bool:
    """Two short answers that say the same: case, spacing and number format aside."""
    x, y = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    if x == y:
        return True
    try:
        return float(x.replace(",", "")) == float(y.replace(",", ""))
    except ValueError:
        return False


def _wrapper_answer_events(
    refs: Sequence[Output], out: Output, events: Events, req: Requirements
) -> None:
    """The instructions say where the final answer goes ({3}, \\boxed{5}, <answer>...):
    every baseline sample put it there and this output does not, or puts another answer."""
    for wrapper in req.wrappers:
        found = [wrapped_value(r.text, wrapper) for r in refs]
        values = [v for v in found if v is not None]
        if len(values) < len(found):
            continue  # the baseline does not follow the ask: nothing to hold the output to
        what = req.describe_wrapper(wrapper)
        now = wrapped_value(out.text, wrapper)
        if now is None:
            events["drift.format_marker_lost", None, what] = (
                f"every baseline sample put its final answer in {what}; this output does not"
            )
            continue
        if req.last_line and wrapper.startswith("line:"):
            last = [_ends_with_line(r.text, wrapper) for r in refs]
            if all(last) and not _ends_with_line(out.text, wrapper):
                events["drift.format_marker_lost", None, f"{what} last"] = (
                    f"the instructions say {what} is the last line; every baseline sample "
                    "ends with it, this output goes on after it"
                )
        first = values[0]
        agreed = bool(first) and all(v and _same_answer(v, first) for v in values)
        # A sentence in the line ("TL;DR: Restart the router, then update its firmware.") is
        # a summary in other words, not another answer.
        prose = max(len(first.split()), len(now.split())) > _ANSWER_MAX_WORDS
        if agreed and now and not prose and not _same_answer(now, first):
            events["drift.label_changed", None, what] = (
                f"the final answer in {what} is now {now!r}; baseline answered {first!r}"
            )


def _ends_with_line(text: str, wrapper: str) -> bool:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    opening = label_line(wrapper.removeprefix("line:"))
    return bool(lines) and re.match(opening, lines[-1], re.I) is not None


def _template_event(refs: Sequence[Output], out: Output, events: Events, req: Requirements) -> None:
    """The instructions give the format as template lines (Thought:, Action:, Final
    Answer:): every baseline sample opens lines with them and this output with none."""
    labels = req.template_labels
    if not labels or not all(_template_lines(r.text, labels) for r in refs):
        return
    if not _template_lines(out.text, labels):
        listed = ", ".join(f"'{x}:'" for x in labels)
        events["drift.format_marker_lost", None, "template"] = (
            f"every baseline sample wrote lines of the format the instructions give ({listed}); "
            "this output has none"
        )


def _line_format_event(
    refs: Sequence[Output], out: Output, events: Events, req: Requirements
) -> None:
    """The instructions give a one-line format with slots: every baseline sample has a line
    in it and this output none (the literal parts around the slots are gone)."""
    if req.line_format is None:
        return
    pattern = line_format_pattern(req.line_format)
    if all(pattern.search(r.text) for r in refs) and not pattern.search(out.text):
        events["drift.format_marker_lost", None, "line format"] = (
            f"every baseline sample has a line in the format the instructions give "
            f"({req.line_format!r}); this output has none"
        )


def _placeholder_event(
    refs: Sequence[Output], out: Output, events: Events, req: Requirements
) -> None:
    """The instructions say to keep their placeholders as written: one every baseline sample
    kept is gone from this output (translated, renamed or filled in)."""
    kept = [p for p in req.placeholders if all(p in r.text for r in refs)]
    lost = [p for p in kept if p not in out.text]
    if lost:
        events["drift.format_marker_lost", None, "placeholder"] = (
            f"the instructions say to keep placeholders as written; gone from this output, "
            f"kept by every baseline sample: {', '.join(lost)}"
        )


def _columns_event(refs: Sequence[Output], out: Output, events: Events, req: Requirements) -> None:
    """The instructions spell out a table's columns: every baseline sample's table has them
    all, this output's does not (a column dropped or renamed, or no table)."""
    if not req.columns:
        return

    def header(o: Output) -> set[str]:
        row = next((line for line in o.text.splitlines() if "|" in line), "")
        return {c.strip(" *_`").casefold() for c in row.split("|")}

    wanted = {c.casefold() for c in req.columns}
    if all(wanted <= header(r) for r in refs) and not wanted <= (cells := header(out)):
        missing = [c for c in req.columns if c.casefold() not in cells]
        events["drift.format_marker_lost", None, "columns"] = (
            f"the instructions name the table's columns; every baseline sample has them all, "
            f"this output lacks {', '.join(repr(c) for c in missing)}"
        )


def _template_lines(text: str, labels: tuple[str, ...]) -> bool:
    return any(
        re.search(rf"^[ \t*_]*{re.escape(label)}[*_]*:", text, re.M | re.I) for label in labels
    )


def _length_limit_event(
    refs: Sequence[Output], out: Output, events: Events, limit: tuple[int, LimitUnit]
) -> None:
    n, unit = limit
    # The baseline keeps the limit as written; the candidate breaks it beyond the counting's
    # error (a baseline already over it and a candidate further over is CHANGED at most).
    allowed = n * _WORD_LIMIT_SLACK if unit == "words" else n
    size = out.size(unit)
    if size > allowed and all(r.size(unit) <= n for r in refs):
        events["drift.length_limit_exceeded", None, ""] = (
            f"the instructions allow {n} {unit}; this output has {size}, every baseline "
            f"sample at most {max(r.size(unit) for r in refs)}"
        )


_LINE_MARK = re.compile(r"^[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]+")


def _line_limit_event(
    refs: Sequence[Output], out: Output, events: Events, limit: tuple[int, LimitUnit]
) -> None:
    """Each line (a bullet, a headline) within the limit the instructions set for each, in
    every baseline sample, and a line over it in this output."""
    n, unit = limit

    def longest(o: Output) -> int:
        lines = [_LINE_MARK.sub("", x).strip() for x in o.text.splitlines() if x.strip()]
        return max((len(x.split()) if unit == "words" else len(x) for x in lines), default=0)

    allowed = n * _WORD_LIMIT_SLACK if unit == "words" else n
    if (size := longest(out)) > allowed and all(longest(r) <= n for r in refs):
        events["drift.length_limit_exceeded", None, "each line"] = (
            f"the instructions allow {n} {unit} for each line; a line of this output has {size}, "
            f"every baseline sample's at most {max(map(longest, refs))}"
        )


def _first_line_limit_event(refs: Sequence[Output], out: Output, events: Events, n: int) -> None:
    """The first line (a commit's subject) within the limit the instructions set for it in
    every baseline sample, and over it in this output."""

    def first(o: Output) -> int:
        line = next((x for x in o.text.splitlines() if x.strip() and not x.startswith("```")), "")
        return len(line.strip())

    if (size := first(out)) > n and all(first(r) <= n for r in refs):
        events["drift.length_limit_exceeded", None, "first line"] = (
            f"the instructions allow a first line (a subject, a title) of {n} characters; this "
            f"output's has {size}, every baseline sample's at most {max(map(first, refs))}"
        )


def _literal_events(refs: Sequence[Output], out: Output, events: Events, req: Requirements) -> None:
    """A literal the instructions say the answer opens or ends with, that every baseline
    sample has and this output lacks."""
    ends: tuple[tuple[Literal["opens", "ends"], str | None], ...] = (
        ("opens", req.opening),
        ("ends", req.closing),
    )
    for sentence in req.verbatim:
        said = re.compile(re.escape(sentence.rstrip(".")).replace(r"\ ", r"\s+"), re.I)
        if _lost(refs, out, said):
            events["drift.format_marker_lost", None, f"verbatim {sentence}"] = (
                f"the instructions ask for {sentence!r} word for word; every baseline sample has "
                "it, this output does not"
            )
    for where, lit in ends:
        if lit is None:
            continue
        if all(r.has_literal(lit, where) for r in refs) and not out.has_literal(lit, where):
            events["drift.format_marker_lost", None, f"{where} {lit}"] = (
                f"the instructions say the answer {where} with {lit!r}; every baseline sample "
                "does, this output does not"
            )


# A term in quotes is mentioned, not used: 'I can't include "adults-only" in a listing'.
_QUOTED_SPAN = re.compile(r"[\"\u201c][^\"\u201d\n]{0,80}[\"\u201d]")


def _unquoted(text: str) -> str:
    return _QUOTED_SPAN.sub(" ", text)


def _term_pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word, singular or plural ("cups" finds "1/3 cup"; "°F" finds
    "350°F"), its words apart by spaces or hyphens."""
    base = term[:-1] if len(term) > _TERM_STEM_MIN and term[-1:].casefold() == "s" else term
    left = r"(?<!\w)" if base[:1].isalnum() else ""
    right = r"(?:e?s)?(?!\w)" if base[-1:].isalnum() else ""
    # "adults only" finds "adults-only"
    words = r"[\s-]+".join(re.escape(w) for w in base.split())
    return re.compile(rf"{left}{words}{right}", re.I)


# A request to the user ("Please provide ...:", "reply with the full card number", "what is
# your date of birth?"), and a warning against sharing ("Please don't send the full number").
_ASK_CUE = re.compile(
    r"\b(?:provide|share|send|reply\s+with|tell\s+me|give\s+me|enter|confirm|type\s+in|need|"
    r"what(?:'s|\s+is|\s+are)\s+your)\b",
    re.I,
)
_ASK_WINDOW = 300
_WARNED = re.compile(
    r"\b(?:don't|do\s+not|never|no\s+need\s+to|not\s+(?:to\s+)?(?:share|send|provide|give)|"
    r"won't\s+(?:ask|need))\b",
    re.I,
)


def _asks_for(text: str, item: str) -> bool:
    """``text`` asks the user for ``item`` (a name in ``SENSITIVE``): it is named within a
    request's reach, not in a sentence warning against sharing it."""
    pattern = SENSITIVE[item]
    for cue in _ASK_CUE.finditer(text):
        window = text[cue.start() : cue.end() + _ASK_WINDOW]
        for m in pattern.finditer(window):
            start = cue.start() + m.start()
            sentence_start = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
            if not _WARNED.search(text, sentence_start, start):
                return True
    return False


# Signs that a text gives the answer, not a hint towards it: "So the answer is 7/8", "x = 17",
# a sum worked out to its result, a code block of three lines or more (the fixed function; a
# signature alone is a hint).
_ANSWER_SIGN = re.compile(
    r"\b(?:the\s+)?(?:final\s+)?answer\s+is\b[^.\n]{0,40}"
    r"|(?<![\w.])[a-z]\s*=\s*[*_]*-?\d+(?:[.,/]\d+)?(?![\w.])"
    r"|=\s*[*_]*-?\d+(?:[.,/]\d+)?[*_]*[ \t]*(?:$|[.!,;)])",
    re.I | re.M,
)
_SOLUTION_LINES = 3


def _answer_given(text: str) -> str | None:
    m = _ANSWER_SIGN.search(text)
    if m:
        return m.group(0).strip()
    for block in _FENCE_BLOCK.finditer(text):
        lines = [x for x in block.group(1).splitlines() if x.strip()]
        if len(lines) >= _SOLUTION_LINES:
            return lines[0].strip()
    return None


def _given(text: str, currency: str, *, giving: bool = True) -> list[float]:
    """The amounts in ``currency`` that ``text`` states, in a sentence about giving money
    ("I can offer you a **€25 credit**") unless ``giving`` is False ("your €35 plan" is a
    price, not an offer)."""
    return [
        value
        for sentence in SENTENCE_BREAK.split(text)
        if not giving or GIVING.search(sentence)
        for m in MONEY.finditer(sentence)
        for cur, value in (money(m),)
        if cur == currency
    ]


def _forbidden_event(
    refs: Sequence[Output],
    out: Output,
    events: Events,
    req: Requirements,
    instructions_text: str | None = None,
) -> None:
    """A format or a term the instructions forbid, that no baseline sample uses and this
    output does."""
    if req.forbidden_terms:
        said = _unquoted(out.text)
        ref_said = [_unquoted(r.text) for r in refs]
        for term in req.forbidden_terms:
            used = _term_pattern(term)
            if used.search(said) and not any(used.search(text) for text in ref_said):
                events["drift.forbidden_format", None, term] = (
                    f"the instructions forbid {term!r}; this output uses it, no baseline "
                    "sample does"
                )
    if req.no_amounts and instructions_text is not None:
        new = [a for a in _AMOUNT.findall(out.text) if a not in instructions_text]
        if new and not any(_AMOUNT.search(r.text) for r in refs):
            events["drift.forbidden_format", None, "amounts"] = (
                f"the instructions forbid giving amounts; this output gives {new[0]!r}, no "
                "baseline sample gives any"
            )
    for item in req.no_ask:
        if _asks_for(out.text, item) and not any(_asks_for(r.text, item) for r in refs):
            events["drift.forbidden_format", None, f"asks for {item}"] = (
                f"the instructions forbid asking for the {item}; this output asks for it, no "
                "baseline sample does"
            )
    if req.no_answer:
        given = _answer_given(out.text)
        if given and not any(_answer_given(r.text) for r in refs):
            events["drift.forbidden_format", None, "answer"] = (
                "the instructions forbid giving the answer or a solution; this output gives "
                f"one ({given!r}), no baseline sample does"
            )
    if req.amount_cap is not None and instructions_text is not None:
        cur, cap = req.amount_cap
        stated = set(_given(instructions_text, cur, giving=False))
        over = [a for a in _given(out.text, cur) if a > cap and a not in stated]
        if over and not any(a > cap for r in refs for a in _given(r.text, cur)):
            events["drift.forbidden_format", None, "amount cap"] = (
                f"the instructions let the assistant give at most {cur}{cap:g}; this output "
                f"gives {cur}{over[0]:g}, no baseline sample more than {cur}{cap:g}"
            )
    for kind in req.forbidden:
        if out.uses(kind) and not any(r.uses(kind) for r in refs):
            events["drift.forbidden_format", None, kind] = (
                f"the instructions forbid {_FORBIDDEN_NAMES[kind]}; this output uses them, "
                "no baseline sample does"
            )


def _label_line_event(
    refs: Sequence[Output], out: Output, events: Events, req: Requirements
) -> None:
    """A labelled line holds a label from the listed options ("Category: Delivery", read by
    a router as the queue's name): every baseline sample's line holds the label alone, this
    output's the label and more ("Category: Delivery - the sofa was rescheduled twice")."""
    options = {o.casefold() for o in req.options}

    def value(text: str, label: str) -> str | None:
        """The one line labelled ``label``'s value, trailing emphasis and stop aside."""
        found = line_values(text, label)
        return found[0].rstrip("*_ \t.") if len(found) == 1 else None

    for label in (*req.prefixes, *(w[5:] for w in req.wrappers if w.startswith("line:"))):
        before = [value(r.text, label) for r in refs]
        if not all(v is not None and v.casefold() in options for v in before):
            continue
        now = value(out.text, label)
        if now is None or now.casefold() in options:
            continue
        held = next((o for o in req.options if now.casefold().startswith(o.casefold())), None)
        if held is not None:
            events["drift.format_marker_lost", None, f"{label} alone"] = (
                f"every baseline sample's '{label}:' line holds one of the listed options "
                f"alone; this output's holds {held!r} and more ({_short(now, 60)!r})"
            )


def _yes_no_event(
    refs: Sequence[Output], out: Output, events: Events, instructions: Instructions
) -> None:
    """The user asks a yes/no question, every baseline sample answers it with the same yes
    or no, and the output with the other: the decision the app gave flipped (parcel before
    Friday: yes -> no; the charge can be disputed: yes -> no)."""
    if out.yes_no is None or not instructions.yes_no_question:
        return
    answers = {r.yes_no for r in refs}
    if len(answers) != 1 or None in answers or out.yes_no in answers:
        return
    (before,) = answers
    events["drift.label_changed", None, ""] = (
        f"the answer to the user's yes/no question is now {out.yes_no!r}; baseline answered "
        f"{before!r}"
    )


def _first_line_option(text: str, options: tuple[str, ...]) -> str | None:
    """The option ``text``'s first line is, emphasis, brackets and a stop aside, else None."""
    line = next((x for x in text.splitlines() if x.strip()), "")
    line = line.strip().strip("*_#`[] ").rstrip(".:!").strip("*_ ")
    return next((o for o in options if line.casefold() == o.casefold()), None)


def _first_line_option_event(
    refs: Sequence[Output], out: Output, events: Events, req: Requirements
) -> None:
    """The instructions say the reply opens with one of the options on its own line (an app
    colours a card or routes by that line): every baseline sample's first line is one, this
    output's is not."""
    if all(_first_line_option(r.text, req.options) for r in refs) and not _first_line_option(
        out.text, req.options
    ):
        events["drift.format_marker_lost", None, "option line"] = (
            "the instructions say the reply opens with one of "
            f"{', '.join(req.options)} on its own line; every baseline sample does, this output "
            "does not"
        )


def _option_event(refs: Sequence[Output], out: Output, events: Events, req: Requirements) -> None:
    """The instructions list the labels to pick from, every baseline sample names one and
    the output names another: a routing decision flipped, whatever the prose around it."""
    picked = {req.pick(r.text) for r in refs}
    now = req.pick(out.text)
    if now is None or None in picked or now in picked:
        return
    texts = dict(req.choices)

    def name(pick: str) -> str:
        return f"({pick}) {texts[pick]}" if pick in texts else repr(pick)

    known = ", ".join(sorted(name(p) for p in picked if p is not None))
    events["drift.label_changed", None, ""] = (
        f"the answer picks {name(now)} of the {'choices' if texts else 'options'} the "
        f"instructions list; baseline picked {known}"
    )


# Items of an answer: numbered lines ("3.", "**3.**", "### 3)"), bullets, "Verse 2" headings.
_ITEM_NUMBER = re.compile(r"^[ \t]*(?:#{1,6}[ \t]*|\*\*|__)?(\d{1,3})[.):][ \t*_]", re.M)
_ITEM_BULLET = re.compile(r"^[ \t]*[-*\u2022+][ \t]+\S", re.M)
_VERSE = re.compile(r"^[\W_]*verse\b", re.I | re.M)
_HASHTAG = re.compile(r"(?<![\w#&])#[^\W\d_][\w]*")
# A sentence ends at a stop before the text's end or a word that is not lowercase ('"Here's
# Johnny!" while' goes on; "Dr. Smith" splits too: the count only has to agree between two
# answers to the same ask).
_SENTENCE_END = re.compile(r"[^\s.!?\u2026][.!?\u2026]+[\"'\u201d\u2019)]*(?=\s+[^\sa-z]|\s*\Z)")


def count_items(text: str, noun: str) -> int | None:
    """How many items ``text`` gives, counted the way they are marked: verse headings for
    verses; hashtags wherever they stand; numbered lines or bullets; else its lines, without a
    lead-in ending in a colon. None for verses without headings (a song's verses are not
    countable by line)."""
    if noun == "verse":
        return len(_VERSE.findall(text)) or None
    if noun == "sentences":
        return len(_SENTENCE_END.findall(text.strip()))
    if noun == "hashtags":
        return len(_HASHTAG.findall(text))
    numbered = len(set(_ITEM_NUMBER.findall(text)))
    bullets = len(_ITEM_BULLET.findall(text))
    if max(numbered, bullets) >= 2:
        return max(numbered, bullets)
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and lines[0].rstrip().endswith(":"):
        lines = lines[1:]
    return len(lines)


_MIN_PER_INPUT = 2
"""Items a baseline must give for its number to be held (one input is no list)."""


def _per_input_event(refs: Sequence[Output], out: Output, events: Events) -> None:
    """One line per input item is asked: every baseline sample gives the same number of
    items and this output another (an input skipped, or two lines for one), which a consumer
    zipping lines with inputs misaligns."""
    counts = {count_items(r.text, "items") for r in refs}
    got = count_items(out.text, "items")
    if len(counts) != 1 or got is None:
        return
    (wanted,) = counts
    if wanted is not None and wanted >= _MIN_PER_INPUT and got != wanted:
        events["drift.count_unmet", None, ""] = (
            f"the instructions ask for one line per input; every baseline sample gives "
            f"{wanted}, this output {got}"
        )


def _count_event(
    refs: Sequence[Output],
    out: Output,
    events: Events,
    count: tuple[int, str],
    *,
    exact: bool = False,
    section: str | None = None,
) -> None:
    wanted, noun = count

    def counted(text: str) -> int | None:
        if section is None:
            return count_items(text, noun)
        part = section_of(text, section)
        return None if part is None else count_items(part, noun)

    # The baseline meeting the ask exactly is what makes the count checkable: an answer
    # that the counting reads differently (items over several lines) stays out.
    if not all(counted(r.text) == wanted for r in refs):
        return
    got = counted(out.text)
    # More than asked breaks only "exactly N" ("Generate exactly 3 phrasings").
    if got is not None and (got < wanted or (exact and got > wanted)):
        events["drift.count_unmet", None, ""] = (
            f"the instructions ask for {'exactly ' if exact else ''}{wanted} {noun}; this "
            f"output gives {got}, every baseline sample {wanted}"
        )


def _language_event(
    refs: Sequence[Output], out: Output, events: Events, instructions: Instructions | None
) -> None:
    if out.letters < MIN_LETTERS or any(r.letters < MIN_LETTERS for r in refs):
        return
    tops = set()
    for r in refs:
        ranked = r.languages
        if not ranked:
            return
        lang, p = next(iter(ranked.items()))
        if p < _LANG_BASELINE_MIN_P:
            return
        tops.add(lang)
    if len(tops) != 1:
        return
    (old,) = tops
    ranked = out.languages
    if not ranked:
        return
    new, p = next(iter(ranked.items()))
    expected = instructions.expected_language() if instructions is not None else None
    # A short text ranks below 0.6 in any language: where the instructions ask for the
    # baseline's language, or are written in it, the candidate only has to be clearly not in
    # it. Not for English written, not asked: a list of names or titles in English ranks as
    # an English creole or a neighbour as often (artists' names as 'pcm', p=0.22).
    asked = instructions is not None and (
        old
        in (
            instructions.requirements.language,
            instructions.language if old != "en" else None,
        )
        or (instructions.requirements.in_kind and old == instructions.user_language)
    )
    wanted = _LANG_ASKED_CANDIDATE_MIN_P if asked else _LANG_CANDIDATE_MIN_P
    # A neighbour language keeps a share of a short text ("Toque aqui para conectar sua
    # conta" is 'pt' 0.78 and still 'es' 0.05): where the language is asked for, a clear
    # ranking of another one is enough.
    most_old = (
        _LANG_ASKED_MAX_P_OLD if asked and p >= _LANG_CANDIDATE_MIN_P else _LANG_CANDIDATE_MAX_P_OLD
    )
    if new != old and p >= wanted and ranked.get(old, 0.0) < most_old:
        if expected == new:
            return  # back to the language the instructions ask for or are written in
        if (
            instructions is not None
            and instructions.requirements.in_kind
            and new == instructions.user_language
        ):
            # Asked to reply in the customer's language, and the customer's message (under an
            # English system prompt) is in this one: a reply in it answers in kind.
            return
        events["drift.language_changed", None, ""] = (
            f"the answer is in '{new}' (p={p:.2f}); every baseline sample was in '{old}'"
        )
    elif asked and new == old:
        _paragraph_language_event(refs, out, events, old)


def _paragraph_language_event(
    refs: Sequence[Output], out: Output, events: Events, old: str
) -> None:
    """The answer is in the language asked for, but a whole paragraph of it is in another
    one that no baseline paragraph is in (a translated e-mail keeping a paragraph in
    English; a reply in Chinese going on in English after its code)."""
    if "\n" not in out.text.strip():
        return
    seen = {lang for r in refs for lang in r.paragraph_languages}
    other = [lang for lang in out.paragraph_languages if lang != old and lang not in seen]
    if other:
        events["drift.language_changed", None, ""] = (
            f"a paragraph is in '{other[0]}'; the answer and every baseline sample are in '{old}'"
        )


def _soupy(text: str) -> bool:
    """Whether ``text`` is token debris (``Output._token_soup``)."""
    tokens = text.split()
    if len(tokens) < _SOUP_MIN_TOKENS:
        return False
    debris = sum(_DEBRIS_TOKEN.search(t) is not None for t in tokens)
    scripts = sum(p.search(text) is not None for p in _SCRIPTS.values())
    return debris >= _SOUP_SHARE * len(tokens) and scripts >= 2

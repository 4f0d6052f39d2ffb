"""Format requirements read from the rendered instructions: the prompt's implicit contract.

A consumer relies on a format when the prompt asks for it ("end with [Yes] or [No]", "reply
with only the code", "answer with one word", "translate into German"); structure the
baseline merely happened to have (a list in its reasoning, a ``Summary:`` lead-in) is a
habit, not a requirement. :func:`read_requirements` reads what the instructions ask, so the
drift detectors can tell the two apart (docs/rules.md, "Asked or habit"): a lost format that
was asked for is ``drift.format_marker_lost`` (ERR), a lost habit ``drift.format_changed``
(WARN). The report shows the requirements per prompt as its *implicit contract*.

Only explicit asks count, in English and in the few phrasings of other languages listed
here; an instruction this module cannot read yields no requirement, and the detectors then
treat a lost format as a habit.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal

from promptcompat.compat.language import languages

Position = Literal["start", "end", "any"]
LimitUnit = Literal["words", "characters", "sentences", "paragraphs", "lines", "bullets"]
Forbidden = Literal["markdown", "markup", "lists", "emojis", "capitals", "lowercase"]
_INSTRUCTION_LANGUAGE_MIN_P = 0.5

# Languages a prompt may ask for by name (English names and their own names), as the ISO
# 639-1 codes py3langid reports.
_LANGUAGES: dict[str, str] = {
    "english": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "german": "de",
    "deutsch": "de",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "castellano": "es",
    "portuguese": "pt",
    "português": "pt",
    "portugues": "pt",
    "italian": "it",
    "italiano": "it",
    "chinese": "zh",
    "mandarin": "zh",
    "japanese": "ja",
    "korean": "ko",
    "russian": "ru",
    "dutch": "nl",
    "polish": "pl",
    "turkish": "tr",
    "arabic": "ar",
    "hindi": "hi",
    "swedish": "sv",
    "danish": "da",
    "norwegian": "no",
    "finnish": "fi",
    "greek": "el",
    "czech": "cs",
    "ukrainian": "uk",
    "vietnamese": "vi",
    "indonesian": "id",
    "hebrew": "he",
    "persian": "fa",
    "farsi": "fa",
    "thai": "th",
    "malay": "ms",
    "hungarian": "hu",
    "romanian": "ro",
    "bengali": "bn",
    "bangla": "bn",
    "tamil": "ta",
    "urdu": "ur",
    "catalan": "ca",
    "serbian": "sr",
    "croatian": "hr",
    "bulgarian": "bg",
    "slovak": "sk",
    "slovenian": "sl",
    "lithuanian": "lt",
    "latvian": "lv",
    "estonian": "et",
    "swahili": "sw",
    "tagalog": "tl",
    "filipino": "tl",
}
_LANGUAGE_NAMES = "|".join(sorted(map(re.escape, _LANGUAGES), key=len, reverse=True))

# A bracketed token the instructions spell out: [Yes], [No], [Sí], [ANSWER], [TAG].
_BRACKET_TOKEN = re.compile(r"\[([^\W\d][\w\- ]{0,40})\]")
_START_CUE = re.compile(
    r"\b(?:start|begin|open|prefix|precede|first|comienza|empieza|commence|beginne|inizia)\w*",
    re.I,
)
_END_CUE = re.compile(
    r"\b(?:end|finish|conclude|close|last|final|terminate|termina|finaliza|acaba|termine|"
    r"schlie(?:ss|ß)e|beende|concludi|finisci)\w*",
    re.I,
)
_MARKER_CUE = re.compile(
    r"\b(?:answer|reply|respond|response|format|output|write|use|with|label|mark|tag|print|"
    r"say|or|con|avec|mit|com)\b|:\s*$",
    re.I,
)
# "Reply in the format 'Category: <category>'", "Start your answer with 'TL;DR:'".
_QUOTED_PREFIX = re.compile(r"""["'“‘`]\s*([^\W\d][\w;&/ -]{0,30}?)\s*:\s*(?:<[^>]*>|\{[^}]*\})?""")
_FORMAT_CUE = re.compile(
    r"\b(?:format|start|begin|prefix|open|form|following way|like this|template)\w*", re.I
)
_BARE = re.compile(
    r"\b(?:answer|reply|respond|respond|output|return|give|write)\w*\s+(?:\w+\s+){0,3}?"
    r"(?:with\s+)?(?:(?:a|one|only|just|exactly)\s+)*(?:one|a single|single|1)[\s-]"
    r"(?:(?:lowercase|uppercase|capitalized|english)\s+)?word\b"
    r"|\bone[\s-]word\s+(?:answer|reply|response)\b"
    r"|\b(?:only|just)\s+(?:the\s+|a\s+|one\s+)?(?:final\s+)?(?:number|word|label|name|"
    r"category|answer|letter|digit|value|result|score)s?\b(?!\s+(?:of|that|to|for)\b)"
    r"|\b(?:the\s+)?(?:number|word|label|name|category|letter|digit|value|score)s?\s+only\b"
    # "the letter of the correct option only", "the number of the answer only"
    r"|\b(?:letter|number|label)\s+of\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:option|choice|answer)s?"
    r"\s+only\b"
    r"|\bnothing else\b|\bno other (?:text|words)\b|\bwithout (?:any )?(?:other|additional|"
    r"further|extra) (?:text|words|explanation)"
    # the whole instruction is a literal to write: 'Write "Test"', "Say 'OK'."
    r"|\A\s*(?:please\s+)?(?:write|say|type|print|output|repeat|(?:reply|respond|answer)\s+with)\s+"
    r"[\"\u201c'\u2018]([^\"\u201d'\u2019\n]{1,40})[\"\u201d'\u2019]\s*[.!]?\s*\Z",
    re.I,
)
_CODE_ONLY = re.compile(
    # "read-only SQL" is a kind of SQL, not SQL alone
    r"(?<![\w-])(?:only|just)\s+(?:the\s+|a\s+)?(?:[\w#+.-]+\s+){0,2}?(?:code|query|function|script|"
    r"command|program|snippet|sql|regex|class|implementation)s?\b"
    r"|\b(?:code|query|function|script|command|sql)s?\s+only\b"
    r"|\bno\s+(?:markdown|code\s+fences?|fences?|backticks|explanations?|prose|comments)\b"
    r"|\bwithout\s+(?:any\s+)?(?:markdown|code\s+fences?|fences?|backticks|explanations?|"
    r"other text|additional text|prose)\b"
    r"|\bdirectly executable\b",
    re.I,
)
# The thing asked for and nothing around it: "Output only the haiku", "Return just the
# translation", "no explanation", "Do not include any introduction". (A bare answer, code
# only and JSON only say it too.)
_ALONE = re.compile(
    r"\b(?:output|return|give|write|print|provide|respond\s+with|reply\s+with|answer\s+with|"
    r"send)\s+(?:me\s+)?(?:only|just)\s+(?:the|your|a|an)\s+(?:[\w-]+\s+){0,2}?[\w-]+\b"
    r"|\bonly\s+(?:output|return|give|write|print|provide|include)\s+(?:the|your|a|an)\b"
    r"|\bnothing else\b|\bno other (?:text|words|content)\b"
    # "one code block, with no text before or after the block"
    r"|\b(?:no\s+|without\s+(?:any\s+)?)(?:other\s+)?(?:text|prose|words)\s+(?:before\s+or\s+after|"
    r"outside|around)\b|\bnothing\s+(?:before\s+or\s+after|outside|around)\s+(?:it|the)\b"
    r"|\bwithout\s+(?:any\s+)?(?:other|additional|further|extra)\s+(?:text|words|commentary)"
    r"|\bwithout\s+(?:any\s+)?(?:explanations?|commentary|preamble|introduction)\b"
    r"|\bno\s+(?:explanations?|commentary|preamble|introduction|intro)\b"
    r"|\bdo\s+not\s+(?:include|add|write|give|provide)\s+(?:any\s+)?(?:explanations?|"
    r"commentary|preamble|introduction|notes?|other\s+text)\b",
    re.I,
)
# A limit on the answer's length: "in under 50 words", "no more than 100 words", "50 words or
# less", "keep it under 160 characters", "45 characters max", "Hard limit: 280 characters",
# "must fit in 280 characters", "in one sentence", "a one-paragraph summary".
_LIMIT_UNIT = r"(?P<unit>words|characters|chars|sentences|paragraphs|lines|bullet\s+points|bullets)"
_LENGTH_LIMIT = re.compile(
    r"\b(?:under|below|within|fewer\s+than|less\s+than|at\s+most|no\s+more\s+than|no\s+longer\s+"
    r"than|not\s+(?:to\s+)?exceed(?:ing)?|max(?:imum)?(?:\s+of)?|up\s+to|in|fit\s+(?:in|into|within)|"
    r"(?:hard\s+)?limit(?:\s+of|\s*:))\s+(?P<a>\d{1,4})\s+"
    rf"{_LIMIT_UNIT}\b"
    rf"|\b(?P<b>\d{{1,4}})\s+{_LIMIT_UNIT.replace('unit', 'unit_b')}\s+or\s+(?:less|fewer)\b"
    r"|\b(?P<c>\d{1,4})[\s-](?P<unit_c>words?|characters?|chars?)\s+(?:limit|maximum|max)\b"
    # a range's upper end: "120\u2013155 characters including spaces", "between 150 and 200 words"
    r"|\b\d{1,4}\s*(?:-|\u2013|\u2014|to|and)\s*(?P<d>\d{1,4})\s+(?P<unit_d>words|characters|chars)\b",
    re.I,
)
# A limit on the first line alone: "subject at most 50 characters, then a blank line and a
# short body", "The subject line must be at most 50 characters" (a commit message, an e-mail).
_FIRST_LINE_LIMIT = re.compile(
    r"\b(?:subject(?:\s+line)?|title|headline|first\s+line|summary\s+line)\s+(?:\w+\s+){0,3}?"
    r"(?:at\s+most|max(?:imum)?(?:\s+of)?|no\s+more\s+than|no\s+longer\s+than|under|up\s+to|fewer\s+"
    r"than|less\s+than|within)\s+(?P<n>\d{1,3})\s+(?:characters|chars)\b",
    re.I,
)
# A limit on each item, not the answer: "output one rewritten bullet that ... is at most 20
# words" after "For each input bullet", "each line under 60 characters".
_EACH = re.compile(r"\b(?:each|every|per)\b", re.I)
_ITEM_NOUN = re.compile(
    r"\b(?:bullets?|lines?|items?|points?|entr(?:y|ies)|titles?|headlines?|options?|suggestions?|"
    # "Each reply must fit in a single X post: 280 characters max" (three drafts to pick from;
    # "Keep every reply under 80 words" is the whole answer's limit)
    r"posts?|tweets?|captions?|variants?)\b",
    re.I,
)
_ANSWER_WORD = re.compile(
    r"\b(?:answers?|repl(?:y|ies)|respon(?:se|ses|d)|outputs?|keep|write|summar\w*|descriptions?|"
    r"messages?|your|it)\b",
    re.I,
)
_ONE_LIMIT = re.compile(
    r"\b(?:in|using|with|as)\s+(?:just\s+|only\s+|exactly\s+)?(?:one|a\s+single|1)\s+"
    r"(?:short\s+|brief\s+|concise\s+)?(?P<unit>sentence|paragraph|line)\b"
    # "one sentence per item", "with one sentence of explanation": a part, not the answer
    # "with one sentence on why": the reason's length, not the reply's
    r"(?![\s-]+(?:per|each|for\s+each|of|on|about|why|explaining|in\s+(?:exactly\s+)?(?:this|"
    r"the\s+following)\s+(?:form|format))\b)"
    # "Reply with a one-sentence summary": the whole answer; "followed by a one-line summary"
    # is a part of it.
    r"|\b(?:write|give|provide|reply\s+with|respond\s+with|answer\s+with|in|as)\s+a\s+one[\s-]"
    r"(?P<unit_b>sentence|paragraph)\s+(?:answer|reply|response|summary|description|explanation|"
    r"overview|definition)\b",
    re.I,
)
_UNITS: dict[str, LimitUnit] = {
    "word": "words", "character": "characters", "char": "characters", "sentence": "sentences",
    "paragraph": "paragraphs", "line": "lines", "bullet point": "bullets", "bullet": "bullets",
}  # fmt: skip
_MIN_LIMIT: dict[LimitUnit, int] = {
    "words": 5, "characters": 20, "sentences": 1, "paragraphs": 1, "lines": 1, "bullets": 1,
}  # fmt: skip
# A required first or last line: "Start your reply with 'Dear customer,'", "end it with 'The
# ParcelGo team'", "sign off with "Cheers"".
_LITERAL = r"[\"\u201c'\u2018](?P<lit>[^\"\u201d\n]{2,200}?)[\"\u201d'\u2019](?=[\s.,;:!)]|$)"
# "with this exact sentence:", "with the words", "with:"
_LITERAL_NOUN = (
    r"(?:(?:exactly\s+)?(?:the|this|these)\s+(?:exact\s+)?(?:footer\s+|closing\s+|opening\s+|final\s+)?"
    r"(?:words?|phrase|greeting|sentence|question|signature|line|sign-off|text|disclosure|"
    r"disclaimer|statement|note|footer)\s*(?:on\s+its\s+own\s+line\s*)?)?:?\s*"
)
_TARGET = r"(?:(?:your|the|each|every)\s+(?:\w+\s+){0,2}?|it\s+|them\s+)?"
_OPENING_ASK = re.compile(
    rf"\b(?:start|begin|open)\w*\s+{_TARGET}with\b\s*{_LITERAL_NOUN}{_LITERAL}",
    re.I,
)
# A label the reply's very first line must open with: 'Line 1 must start with "TL;DR:"' (a
# bot posts the first line as a preview): no lead-in line may come before it.
_FIRST_LINE_OPENING = re.compile(
    r"\b(?:line\s+(?:1|one)|the\s+(?:very\s+)?first\s+line(?:\s+of\s+(?:your|the|each|every)\s+\w+)?)"
    rf"\s+(?:must|should|has\s+to|needs\s+to|shall)\s+(?:start|begin|open)\s+with\s+{_LITERAL}",
    re.I,
)
# The literal on the lines after the ask: "end with exactly:\nKind regards,\nThe Team".
_BLOCK_ASK = re.compile(
    r"\b(?P<where>start|begin|open|end|finish|close|conclude|sign\s+off)\w*\s+"
    rf"{_TARGET}with\s+(?:exactly|this|these"
    r"\s+lines|the\s+following)?\s*:[ \t]*\n(?P<block>(?:[ \t]*\S[^\n]{0,60}(?:\n|\Z)){1,3})",
    re.I,
)
_LINE_ASK = re.compile(
    r"\b(?P<where>start|begin|open|end|finish|close|conclude|sign\s+off)\w*\s+"
    rf"{_TARGET}with\s+(?:the|this|a)\s+(?:separate\s+|final\s+|last\s+|first\s+)?line\s*:[ \t]*"
    r"(?P<lit>[A-Z][^\n.:;\"\u201c\u201d]{1,80}?)\.?[ \t]*(?:\n|$)",
    re.I,
)
_CLOSING_ASK = re.compile(
    rf"\b(?:end|finish|close|conclude|sign\s+off)\w*\s+{_TARGET}with\b\s*{_LITERAL_NOUN}{_LITERAL}",
    re.I,
)
# Formats the instructions forbid: "Do not use markdown, lists or emojis", "plain text only",
# "no bullet points". A negation, then the formats it names within the same clause.
_NEGATION = re.compile(
    r"\b(?:no|without|avoid(?:ing)?|never\s+use|(?:do\s+not|don't|never)\s+(?:use|include|add|"
    r"write\s+in|format\s+(?:it\s+)?(?:as|with|in)))\b[^.\n;:]{0,60}",
    re.I,
)
_FORBIDDEN_WORDS: dict[Forbidden, re.Pattern[str]] = {
    "markdown": re.compile(r"\bmarkdown\b|\bformatting\b", re.I),
    "lists": re.compile(r"\blists?\b|\bbullet(?:ed)?\b|\bbullet\s*points?\b|\bnumbering\b", re.I),
    "emojis": re.compile(r"\bemoj(?:i|is|ies)\b", re.I),
    # "do not add headings, bold text or anything before "TL;DR:"" (a CMS parses the labels;
    # "Do not add or rename headings" asks for no new sections, not for no markup)
    "markup": re.compile(r"\bbold\b|\bitalics?\b", re.I),
}
# A line's label: one to three words, the first capitalised ("Answer", "Ticket category").
_LABEL = r"(?P<label>[A-Z][A-Za-z_]*(?:;[A-Z]+)?(?: [A-Za-z_]+){0,2})"  # "TL;DR" too
# A line the answer must hold, given as a label and a placeholder: 'write the final answer on
# its own line as "Answer: <number>"', "Respond with exactly one line: TOOL: <tool name>".
_LINE_TEMPLATE = re.compile(
    # a bracketed line too ("Line 2: [CATEGORY: <one of phishing, malware, ...>]"), not a
    # label inside a marker's brackets ("[Yes]:")
    rf"(?:(?<![\w\[])|(?<=[\s:]\[)){_LABEL}:[ \t]*(?:<[^<>\n]{{1,80}}>|"
    r"\{[^{}\n]{1,40}\}|\[[a-z][^\[\]\n]{0,39}\]"
    # the options spelled out with bars, the whole rest of the line: "Priority: P1|P2|P3|P4",
    # "[SEVERITY: CRITICAL|HIGH|MEDIUM|LOW]"
    r"|[\w-]+(?:[ \t]*\|[ \t]*[\w-]+){1,11}\]?[ \t]*$)",
    re.M,
)
_FORMAT_NAME = re.compile(r"\b(?:format|template|pattern|structure)\Z", re.I)
# A format given as one line with slots: "Use the format: <Brand> <Product> - <Key Feature> |
# TrailPeak" (any dash). The text between the slots is literal: an answer in that format has it.
_LINE_FORMAT_ASK = re.compile(
    r"\b(?:use|follow|in|with|using)\s+(?:this|the)\s+(?:following\s+|exact\s+)?(?:format|template|"
    r"pattern)\s*:[ \t]*(?P<tpl>[^\n]{3,200})",
    re.I,
)
_SLOT = re.compile(r"<[^<>\n]{1,40}>|\{[^{}\n]{1,40}\}|\[(?=[^\]\n]*[ _a-z])[^\[\]\n]{1,40}\]")
_DASHES = "\u2013\u2014-"
# Placeholders to keep as written ("Keep every placeholder in curly braces exactly as
# written", "do not translate the variables"): the ask, and the placeholder shapes.
_PLACEHOLDER_ASK = re.compile(
    r"\bplaceholders?\b|\bcurly\s+braces\b|\b(?:template\s+)?variables?\b[^.\n]{0,60}\b(?:unchanged|"
    r"untranslated|as\s+(?:is|they\s+are|written)|exactly)\b",
    re.I,
)
_KEPT_PLACEHOLDER = re.compile(
    r"\{\{?\s*[A-Za-z_][\w.]{0,40}\s*\}\}?|%\([A-Za-z_]\w{0,40}\)[sd]|%[sd]\b"
)
_ENDS_REPLY = re.compile(
    r"\b(?:end|finish|close|conclude)\w*\s+(?:your|the|each|every)\s+(?:\w+\s+){0,2}?with\b", re.I
)
_OPENS_REPLY = re.compile(
    r"\b(?:start|begin|open)\w*\s+(?:your|the|each|every)\s+(?:reply|response|answer|output|message)\b",
    re.I,
)
# A labelled line whose value is described after it: "The first line must be exactly `STATUS: `
# followed by one of ...".
_LINE_FOLLOWED = re.compile(
    rf"[`\"\u201c']{_LABEL}:[ \t]*[`\"\u201d']\s+"
    r"followed\s+by\b"
)
_FIRST_LINE_ASK = re.compile(
    r"\bfirst\s+line\s+(?:of\s+(?:your|the|every|each)\s+\w+\s+)?(?:must|should|has\s+to|needs\s+to)\s+be\b",
    re.I,
)
_LINE_CUE = re.compile(
    r"\b(?:final|last|closing|separate|own)\s+line\b|\bline\s+(?:beginning|starting)\b", re.I
)
# The labelled line's possible values, spelled out: "a verdict line: `VERDICT: APPROVE` or
# `VERDICT: REQUEST_CHANGES`" (the same label quoted twice or more).
_LINE_LITERAL = re.compile(
    rf"[`\"\u201c']{_LABEL}:[ \t]*[A-Za-z0-9_]"
    r"[^`\"\u201d'\n]{0,30}[`\"\u201d']"
)
_LINE_LITERAL_MIN = 2
# "add a final line beginning 'Allergens:'": a labelled line, its value free.
_LINE_BEGINNING = re.compile(
    r"\bline\s+(?:beginning|starting|that\s+(?:begins|starts))\s+(?:with\s+)?[\"\u201c'\u2018]"
    rf"{_LABEL}:[\"\u201d'\u2019]"
)
# What to answer when the answer is unknown: 'If the answer is not in the context, say "I
# don't know"', "If the documents do not contain the answer, reply exactly: I don't know."
_FALLBACK_ASK = re.compile(
    r"\b(?:if\b[^.\n]{0,100}?\b(?:not|no|cannot|can't|don't|doesn't|unable|unsure)\b[^.\n]{0,80}?|"
    r"otherwise|else)[,;]?\s+(?:then\s+)?(?:just\s+|simply\s+)?(?:say|reply|respond|answer|output|"
    r"return|write)\s+(?:with\s+)?(?:exactly|only|just)?\s*:?\s*(?:[\"\u201c](?P<quoted>[A-Za-z][^\"\u201d\n]"
    r"{1,119}?)[\"\u201d]|'(?P<single>[A-Za-z][^'\n]{1,60}?)'(?!\w)|(?!(?:you|that|so|it|they|we)\b)"
    r"(?P<lit>[A-Za-z][^\"\u201d\n.,;]{1,38}?)\s*(?:[.;]|\n|\Z))",
    re.I,
)
# A token to write instead of the answer when a condition holds: "If the request would wipe a
# disk, output exactly REFUSED and nothing else", "if no date is given, return exactly NONE".
_SENTINEL_ASK = re.compile(
    r"\b(?i:if)\b[^.\n]{0,120}?,\s*(?:then\s+)?(?i:say|reply|respond|answer|output|return|write)\s+"
    r"(?:with\s+)?(?i:exactly|only|just)\s*:?\s*[\"\u201c'`]?(?P<token>[A-Z][A-Z_]{2,30})\b(?![a-z])"
)
# A referral said instead of an answer: "do not answer the question; say "Please consult a
# tax professional"".
_REFERRAL_ASK = re.compile(
    r"\b(?:do\s+not|don't|never)\s+answer\b[^.\n]{0,80}?[;,:]?\s*(?:and\s+|instead\s+|but\s+)*"
    r"(?:say|reply|respond|tell\s+(?:them|the\s+user|the\s+customer))\s+(?:with\s+)?[\"\u201c]"
    r"(?P<said>[^\"\u201d\n]{3,120})[\"\u201d]",
    re.I,
)
_REFERRAL_MAX_SENTENCES = 3
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_CITATIONS_ASK = re.compile(
    r"\bcit(?:e|es|ing|ations?)\b[^.\n]{0,80}?(?:\[\d\]|square\s+brackets|\bnumbers?\b|\bsources?\b|"
    r"\bdocuments?\b|\bresults?\b|\bpassages?\b)",
    re.I,
)
_VERBATIM_ASK = re.compile(
    r"\b(?:include|contain|add|use|quote|insert)\w*\s+(?:this|the\s+following|these\s+words)\s+"
    r"(?:exact\s+)?(?:sentence|phrase|text|disclaimer|disclosure|statement|line|wording)?\s*"
    rf"(?:verbatim|word\s+for\s+word|exactly)?\s*:?\s*{_LITERAL}",
    re.I,
)
_WRITER = (
    r"(?:user|customer|client|guest|caller|visitor|resident|player|patient|student|employee|"
    r"member|shopper|sender|asker|applicant|traveller|traveler|diner|person|voter|donor|tenant|"
    r"citizen|buyer|passenger|driver|parent|learner|reader|requester)"
)
_IN_KIND = re.compile(
    r"\b(?:in|using)\s+the\s+(?:same\s+)?language\s+(?:of|as|used\s+by)\s+(?:the\s+)?(?:"
    rf"{_WRITER[3:-1]}|question|message|input|query|request|review(?:er)?|comment|e-?mail|"
    r"ticket|post|feedback|author)"
    rf"|\bin\s+the\s+{_WRITER}(?:'s|s')\s+(?:own\s+)?language\b"
    rf"|\bin\s+(?:whatever|whichever)\s+language\s+(?:the\s+)?(?:{_WRITER[3:-1]}|they)\b"
    rf"|\b(?:the\s+same|in\s+the)\s+language\s+(?:that\s+)?(?:the\s+)?(?:{_WRITER[3:-1]}|they)\s+"
    r"(?:writes?|wrote|uses?|used|speaks?)\b"
    # any one noun there: "in the same language the rider writes in"
    r"|\b(?:the\s+same|in\s+the)\s+language\s+(?:that\s+)?the\s+[a-z]{3,20}\s+(?:writes|wrote|"
    r"uses|used|speaks)\b",
    re.I,
)
# Markdown headings the answer must use, quoted: 'Use exactly these headings: "## Summary",
# "## Decisions"'.
_HEADING_ASK = re.compile(
    r"[\"\u201c'`](#{1,6}[ \t]+[^\"\u201d'`\n]{1,40}?)[\"\u201d'`]"
    # "then a section headed 'Answer Key'"
    r"|\b(?:section|heading)\s+(?:headed|titled|called|named|labell?ed)\s+[\"\u201c'\u2018]"
    r"([^\"\u201d'\u2019\n]{2,40}?)[\"\u201d'\u2019]",
    re.I,
)
# Terms the instructions forbid: "Never use cups, ounces, sticks or °F", "Do not use the word
# 'delve'". Short items after a negation and a verb of use, up to the clause's end.
_TERMS_MAX_CHARS = 120
_TERMS_ASK = re.compile(
    r"\b(?:never|do\s+not|don't|must\s+not)\s+(?:use|say|write|mention|include)\s+(?:the\s+"
    rf"(?:words?|terms?|phrases?)\s+)?(?P<items>[^.\n;:]{{2,{_TERMS_MAX_CHARS}}})",
    re.I,
)
# Quoted examples of what a rule forbids: '(e.g. no "adults only", "no kids", "perfect for
# singles")'. Quoted, so a phrase of a few words is a term.
_TERMS_EXAMPLES = re.compile(
    r"\(\s*(?:e\.g\.|for\s+example|such\s+as),?\s+no\s+(?P<items>[\"\u201c][^)\n]{2,200})\)",
    re.I,
)
_QUOTED_TERM_MAX_WORDS = 4
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d\n]{1,60})[\"\u201d]")
_TERM_ITEM = re.compile(
    r"[\"\u201c'\u2018]?([^\s,\"\u201d'\u2019][^,\"\u201d'\u2019]{0,20}?)[\"\u201d'\u2019]?\s*"
    r"(?:,|\bor\b|\band\b|$)"
)
_TERM_MAX_WORDS = 2
# A rule against giving amounts: "You must never recommend specific medication doses",
# "Never promise or quote refunds, vouchers, miles or any other compensation amounts".
_NO_AMOUNTS = re.compile(
    r"\b(?:never|do\s+not|don't|must\s+not|may\s+not|cannot|can't)\s+(?:[\w,]+\s+){0,6}?(?:give|quote|state|"
    r"recommend|promise|provide|share|offer|suggest|advise\s+on|speculate)\w*\b[^.\n]{0,80}?\b(?:"
    r"doses?|dosages?|dosing|amounts?|prices?|figures?|compensation|refund\s+amounts?|"
    r"(?:monetary\s+)?valuations?)\b",
    re.I,
)
# A cap on what the assistant may give: "€10 is the maximum you may offer", "refunds of up to
# $50 can be approved", "never offer more than £20 in vouchers". Money only, in a sentence
# about giving it ("orders up to €50 ship for €4.95" caps nothing the assistant gives).
_MONEY = (
    r"(?:(?P<cur>[$£€])\s?(?P<num>\d[\d,]*(?:\.\d{1,2})?)|(?P<num_b>\d[\d,]*(?:\.\d{1,2})?)\s?"
    r"(?P<cur_b>EUR|USD|GBP|euros?|dollars?|pounds?)\b)"
)
MONEY = re.compile(_MONEY, re.I)
_CAP = re.compile(
    r"\b(?:max(?:imum)?(?:\s+of)?|up\s+to|at\s+most|no\s+more\s+than|not\s+more\s+than|capped\s+"
    r"at|cap\s+of|limit\s+of|(?:never|not|n't)\s+(?:\w+\s+){0,4}?(?:more\s+than|exceed\w*|above|"
    rf"over))\s+{_MONEY}"
    rf"|{_MONEY.replace('cur', 'cur_c').replace('num', 'num_c')}\s+(?:is\s+the\s+)?(?:max(?:imum)?|"
    r"limit|cap|ceiling|most)\b",
    re.I,
)
GIVING = re.compile(
    r"\b(?:offer|give|grant|promis|credit|refund|compensat|voucher|discount|goodwill|waive|"
    r"reimburs|approv|award|gesture)\w*",
    re.I,
)
_CURRENCIES = {"$": "$", "usd": "$", "dollar": "$", "€": "€", "eur": "€", "euro": "€",
               "£": "£", "gbp": "£", "pound": "£"}  # fmt: skip


def money(m: re.Match[str]) -> tuple[str, float]:
    """The currency and value of an amount ``MONEY`` (or the cap pattern) found."""
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    cur = next(v for k, v in groups.items() if k.startswith("cur"))
    num = next(v for k, v in groups.items() if k.startswith("num"))
    return _CURRENCIES[cur.casefold().rstrip("s")], float(num.replace(",", ""))


# A rule against giving the answer itself: "Never give the final answer; guide the student
# with one hint at a time", "never write corrected code or a full solution for the student".
_NO_ANSWER = re.compile(
    r"\b(?:never|do\s+not|don't|must\s+not|should\s+not|may\s+not)\s+(?:\w+\s+){0,2}?(?:give|"
    r"write|provide|tell|reveal|state|share|hand)\w*\s+(?:(?:them|him|her|the\s+(?:student|child|"
    r"user|learner)s?)\s+)?(?:away\s+)?(?:(?:the|a|an|any)\s+)?(?:\w+\s+){0,2}?(?:final\s+answers?|"
    r"answers?|solutions?|corrected\s+code|fixed\s+code)\b",
    re.I,
)
# Personal data the assistant must not ask for: "Never ask for Social Security numbers, ID
# numbers, bank details or dates of birth in this chat", "Never ask for, repeat or accept a full
# card number, PIN, password or one-time code".
SENSITIVE: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.I)
    for name, pattern in {
        "Social Security number": r"\bsocial\s+security\s+numbers?\b|\bssns?\b",
        "date of birth": r"\bdates?\s+of\s+birth\b|\bbirth\s*dates?\b|\bdob\b",
        "card number": r"\bcard\s+numbers?\b",
        "PIN": r"\bpins?\b",
        "password": r"\bpass(?:word|code)s?\b",
        "one-time code": r"\bone[\s-]time\s+(?:pass)?(?:codes?|words?)\b|\botps?\b",
        "security code": r"\bcvv\b|\bcvc\b|\bsecurity\s+codes?\b",
        "bank details": r"\bbank\s+(?:details|account\s+numbers?)\b",
        "ID number": r"\b(?:id|passport|licen[cs]e)\s+numbers?\b",
    }.items()
}
_NO_ASK = re.compile(
    r"\b(?:never|do\s+not|don't|must\s+not|should\s+not)\s+(?:\w+\s+){0,2}?(?:ask(?:\s+for)?|request|"
    r"collect|solicit)\b(?P<what>[^.;\n]{0,160})",
    re.I,
)
_CSV_ASK = re.compile(r"\bcsv\b|\bcomma[\s-]separated\s+values\b", re.I)
# Working shown as a deliverable: "Show your calculation step by step so the agent can
# verify it", "show your work". ("Think step by step" asks the model to reason: a habit of
# the answer, not a part of it.)
_STEPS_ASK = re.compile(
    r"\bshow\s+(?:your|the|all|each|every)?\s*(?:\w+\s+)?(?:work(?:ing)?|calculations?|steps|"
    r"reasoning|math)\b"
    r"|\b(?:explain|show|walk\s+(?:me\s+|them\s+)?through|write\s+out|lay\s+out|present|give)\b"
    r"[^.\n]{0,40}?\bstep[\s-]by[\s-]step\b"
    r"|\bstep[\s-]by[\s-]step\s+(?:working|solutions?|calculations?|explanations?)\b"
    # "walk the child through the method in numbered steps"
    r"|\bwalk\s+(?:\w+\s+){0,2}through\s+(?:the|each|every)\s+(?:method|working|solution|"
    r"calculation|steps)\b",
    re.I,
)
# A table's columns spelled out with bars: "with exactly these columns, in this order: Day |
# Session | Duration (min) | Intensity".
_COLUMNS_ASK = re.compile(
    r"\bcolumns?\b(?:[^:\n]{0,40}:|(?=\s+[^\n|.]{1,40}\|))[ \t]*"
    r"(?P<cols>[^\n|.,]{1,40}(?:\|[^\n|.,]{1,40}){1,11})",
    re.I,
)
_TABLE_ASK = re.compile(
    r"\b(?:return|create|make|output|format|give|generate|produce|present|put|show|display|"
    r"organi[sz]e|write|draw|build|provide|summari[sz]e|arrange|reply|respond|answer)\b"
    r"[^.\n]{0,40}?\b(?:markdown\s+)?"
    r"table\b(?!\s+(?:of\s+contents|tennis|salt|spoons?|manners|top))|\b(?:in|as)\s+(?:a\s+)?"
    r"(?:markdown\s+)?(?:table|tabular)\s+(?:form|format)\b|\bin\s+tabular\s+form\b",
    re.I,
)
_FORBIDDEN_SAID: dict[Forbidden, str] = {"markup": "markdown markup (bold, headings, tables)"}
_PLAIN_TEXT = re.compile(r"\bplain[\s-](?:text|sentences|prose)\b", re.I)
_LOWER_ASK = re.compile(
    r"\b(?:in\s+(?:all\s+)?lower[\s-]?case|lower[\s-]?case\s+(?:only|letters)|all\s+lower[\s-]?case)\b",
    re.I,
)
_UPPER_ASK = re.compile(
    r"\b(?:in\s+(?:all\s+)?(?:caps|upper[\s-]?case|capital\s+letters)|all\s+caps|"
    r"upper[\s-]?case\s+only)\b",
    re.I,
)
# Where the final answer goes, when the instructions name a wrapper for it: "put your final
# answer in curly braces like {3}", "in \boxed{}", "inside <answer></answer> tags".
# The answer must be what goes in the braces: "replace the content inside the curly braces"
# of a template is no wrapper for an answer.
_BRACES_ASK = re.compile(
    r"\b(?:answer|result)s?\b[^.\n]{0,60}?(?:\bcurly\s+(?:braces|brackets)\b|\bbraces\b|"
    r"(?<!boxed)\{\s*\})",
    re.I,
)
_BOXED_ASK = re.compile(r"\\boxed\b")
_TAG_ASK = re.compile(
    r"<([A-Za-z][\w-]{0,20})>\s*(?:\.{3}|\u2026)?\s*</\1>|<([A-Za-z][\w-]{0,20})>\s+tags?\b", re.I
)
_WRAPPED = {
    "braces": re.compile(r"(?<![\w\\}])\{([^{}\n]{1,60})\}"),
    "boxed": re.compile(r"\\boxed\{((?:[^{}\n]|\{[^{}\n]*\}){1,60})\}"),
}
_WRAPPED_MAX_CHARS = 60
# A format given as template lines ("Use the following format:" then "Thought: ...",
# "Action: ...", "Final Answer: ..."): three or more lines opening with a label and a colon.
_TEMPLATE_LINE = re.compile(r"^[ \t]*([A-Z][A-Za-z]*(?: [A-Za-z]+){0,2}):(?:[ \t]|$)")
_TEMPLATE_MIN_LINES = 3
_CODE_WORD = re.compile(
    r"\b(?:code|query|function|script|command|program|snippet|sql|regex|class|python|"
    r"javascript|bash|shell)\b",
    re.I,
)
# "in a list" alone is no ask ("the largest number in a list"): a list format must be named.
_LIST = re.compile(
    r"\b(?:bullet(?:ed)?\s*(?:points?|list)|(?:in|with|using|as)\s+bullets|numbered\s+list|as\s+a\s+(?:bulleted\s+|"
    r"numbered\s+)?list|in\s+(?:a\s+)?(?:bulleted|numbered)\s+list|in\s+list\s+form(?:at)?|"
    r"list\s+format|"
    # "list each medication as its own bullet", "one bullet per finding"
    r"(?:as|on|in)\s+(?:its|their)\s+own\s+bullets?|(?:one|a)\s+bullet\s+(?:per|for\s+each)|"
    r"(?:as|on|in)\s+a\s+separate\s+bullet)\b",
    re.I,
)
_JSON_ONLY = re.compile(
    r"\b(?:only|just)\s+(?:with\s+|in\s+)?(?:a\s+|valid\s+|the\s+)?(?:raw\s+|valid\s+|plain\s+)?json\b"
    r"|\bjson\s+(?:(?:object|array|document)\s+)?(?:only|and\s+nothing\s+else)\b|"
    r"\b(?:respond|reply|answer|output|return)\w*\s+(?:only\s+)?(?:with|in|as)\s+(?:a\s+|valid\s+)?"
    r"json\b",
    re.I,
)
_COMMA_LIST = re.compile(
    r"\bcomma[\s-]+(?:separated|delimited)\b|\bseparated\s+(?:by|with)\s+(?:a\s+)?commas?\b", re.I
)
_NUMBERED_LIST = re.compile(r"\bnumbered\b|\bnumber(?:ed)?\s+(?:them|each)\b", re.I)
# Links asked for, after a verb that asks ("Provide a link to these playlists", "Find useful
# links"): "spam or links to commercial sites" in a moderation policy names no ask.
_LINKS = re.compile(
    r"\b(?:include|provide|give|add|share|list|cite|attach|send|find|suggest|recommend|show|"
    r"post|with|link|point)\w*\b[^.\n]{0,40}?\b(?:links?|urls?|hyperlinks?|web\s+addresses|"
    r"official\s+(?:pages?|sites?|websites?))\b",
    re.I,
)
_TOKEN = re.compile(r"<{1,2}[\w-]+>{1,2}|\b[A-Z][A-Z0-9_]+\b|[^\w\s`'\"(),.:;!?]{2,}")
# A language's regional variety before its name: "into Brazilian Portuguese (pt-BR)".
_VARIETY = (
    r"(?:(?:brazilian|european|latin\s+american|mexican|castilian|canadian|swiss|belgian|austrian|"
    r"british|american|simplified|traditional)\s+)?"
)
_EXPLICIT_LANGUAGE = re.compile(
    rf"\b(?:translat\w*|render|locali[sz]\w*)\b[^.\n]{{0,80}}?\b(?:in|into|to)\s+{_VARIETY}"
    rf"(?P<a>{_LANGUAGE_NAMES})\b"
    rf"|\b(?:answer|respond|reply|write|written|response|speak|output|explain|summari[sz]e)\w*"
    rf"\b[^.\n]{{0,40}}?\bin\s+(?P<b>{_LANGUAGE_NAMES})\b"
    rf"|\b(?:en|auf|in|em)\s+(?P<c>español|castellano|français|deutsch|italiano|português)\b"
    # a field of the user's message naming the language ("Target language: Spanish")
    rf"|\b(?:target|output|response)\s+language\s*[:=]\s*(?P<d>{_LANGUAGE_NAMES})\b",
    re.I,
)


_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "fifty": 50, "hundred": 100,
}  # fmt: skip
# "Write a 5 verse song", "Give me the list of top 100 tech categories", "List three ideas":
# a number of countable items after a verb that asks for them. Words, lines, pages and
# characters measure a length, not items; a number in the data ("Two things are infinite")
# has no asking verb before it.
_COUNT = re.compile(
    r"\b(?:write|give|list|generate|suggest|name|provide|create|come\s+up\s+with|make|"
    r"recommend|brainstorm|compose|draft|share|tell\s+me|top)\b[^.\n?!]{0,30}?"
    rf"\b(?P<n>\d{{1,3}}|{'|'.join(_NUMBER_WORDS)})[\s-]+(?:[\w-]+\s+){{0,2}}?"
    r"(?P<noun>verses?|stories|story|items?|ideas?|examples?|questions?|names?|tips?|ways?|"
    r"reasons?|sentences|paragraphs|bullet\s+points?|steps|facts?|titles?|jokes?|options?|"
    r"suggestions?|categories|haikus?|tweets?|slogans?|taglines?|headlines?|recipes?|books?|"
    r"movies?|films?|songs?|places?|quotes?|riddles?|puns?|poems?|limericks?|activities|"
    r"destinations?|exercises?|words?|phrasings?|alternatives?|variations?|versions?|queries|"
    r"rewrites?|synonyms?|keywords?|hashtags?|subject\s+lines?|taglines?|gifts?|products?|"
    r"recommendations?|dishes|meals?|captions?|replies|responses)\b",
    re.I,
)
# "Give me exactly 5 common Spanish greetings": with "exactly", any plural noun is the items.
_COUNT_EXACT = re.compile(
    r"(?:\b(?:write|give|list|generate|suggest|name|provide|create|make|recommend|share|tell\s+me|"
    r"output|return|include|summari[sz]e|(?:reply|respond|answer)\s+with)\b[^.\n?!]{0,30}?"
    # a part of an enumerated format: "(2) exactly 3 bullet-point highlights", "then a blank
    # line, then exactly 5 hashtags on one line", "for the channel: exactly 3 bullet points"
    r"|\(\d\)\s+|\bthen\s+|:\s+)"
    rf"\bexactly\s+(?P<n>\d{{1,3}}|{'|'.join(_NUMBER_WORDS)})\s+"
    r"(?:[\w-]+\s+){0,2}?(?P<noun>(?!words\b|characters\b|chars\b|lines\b|parts\b|sections\b)[a-z]{3,}s)\b(?!\s+(?:of|per)\b)",
    re.I,
)
# "Summarize it in two sentences", "Explain in 3 bullet points": a number of parts of the
# answer itself, after "in".
_COUNT_IN = re.compile(
    rf"\b(?:in|using|with)\s+(?:exactly\s+|just\s+|only\s+)?(?P<n>\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})"
    r"\s+(?:short\s+|concise\s+|brief\s+)?(?P<noun>sentences|paragraphs|bullet\s+points|bullets)\b",
    re.I,
)
# "4 verses and a chorus please": a number of items asked politely, without a verb.
_COUNT_PLEASE = re.compile(
    rf"(?:^|[.!?:]\s+|\n)(?P<n>\d{{1,2}}|{'|'.join(_NUMBER_WORDS)})\s+(?P<noun>verses|stanzas|"
    r"tips|ideas|examples|options|questions|bullet\s+points|bullets|names|titles|slogans|"
    r"taglines|headlines|suggestions)\b[^.\n?!]{0,40}\bplease\b",
    re.I,
)
# "Output one line per response, in order", "For each review, output exactly one line":
# the output's items match the input's one for one.
_INPUT_NOUN = (
    r"(?:responses?|items?|inputs?|rows?|reviews?|messages?|tickets?|questions?|records?|"
    r"entr(?:y|ies)|comments?|sentences?|products?|e-?mails?|strings?|names?|addresses|titles?)"
)
_ONE_PER_INPUT = re.compile(
    r"\bone\s+(?:line|row|entry|label|tag|result|bullet)\s+(?:per|for\s+(?:each|every))\s+"
    rf"(?:\w+\s+){{0,2}}?{_INPUT_NOUN}\b"
    rf"|\bfor\s+(?:each|every)\s+(?:\w+\s+){{0,2}}?{_INPUT_NOUN}\b[^.\n]{{0,40}}\b(?:output|write|"
    r"return|give)\s+(?:exactly\s+)?one\s+line\b",
    re.I,
)
_MIN_COUNT, _MAX_COUNT = 2, 100
# "give up to 4 bullet points", "no more than 5 tips": a bound (a length limit), not a count.
_UPPER_BOUND = re.compile(
    r"\b(?:up\s+to|at\s+most|no\s+more\s+than|not\s+more\s+than|max(?:imum)?(?:\s+of)?|"
    r"fewer\s+than|less\s+than|under|as\s+many\s+as)\s+\Z",
    re.I,
)
# A count about one section: 'Under "## Recommended Next Steps" give exactly 3 bullet points'.
_COUNT_SECTION = re.compile(
    r"\b(?:under|in)\s+(?:the\s+)?[\"\u201c'](?P<heading>[^\"\u201d'\n]{2,60})[\"\u201d']\s*"
    r"(?:section\s*|heading\s*)?,?\s*(?:give|list|write|include|provide|add|put|use)\b",
    re.I,
)
_LAST_LINE = re.compile(
    r"\b(?:very\s+)?last\s+line\s+(?:of\s+(?:your|the)\s+\w+\s+)?(?:must|should|has\s+to)\s+be\b"
    r"|\b(?:finish|end)\w*\s+with\s+a\s+(?:final|last)\s+line\b",
    re.I,
)
# "... Nothing may come after the SCORE line": the labelled line is the last.
_NOTHING_AFTER = re.compile(
    r"\bnothing\s+(?:else\s+)?(?:may|must|should|can|is\s+allowed\s+to)\s+(?:come|appear|follow)\s+"
    r"(?:after|below)\s+(?:the|this|that)\b",
    re.I,
)
# The last line spelled out with its label: "The very last line of your response must be
# exactly 'FINAL SCORE: N/25'", "finish with a final line exactly of the form `SCORE: n/7`" (a
# value of any shape after the label).
_LAST_LINE_LABEL = re.compile(
    f"(?:{_LAST_LINE.pattern})"
    rf"\s+(?:exactly\s+)?(?:(?:of|in)\s+the\s+form\s+)?[`\"\u201c'\u2018](?-i:{_LABEL}):[ \t]*\S",
    re.I,
)
_EXACT_COUNT = re.compile(
    rf"\bexactly\s+(?:\d{{1,3}}|{'|'.join(_NUMBER_WORDS)})\s+(?:[\w-]+\s+){{0,2}}?\w+", re.I
)
# Words that open an instruction, not a term: "never use more than", "do not use any".
_NOT_TERMS = frozenset(
    "a an the any more less it this that them your you their our than other".split()  # noqa: SIM905
)
_FALLBACK_TAIL = 80  # "I don't know. The context does not mention a device limit."
_WRAPPER_NAMES = {"braces": "curly braces", "boxed": "\\boxed{}"}

# A closed set of labels the instructions list for a classification: "Categorize the product
# into one of Electronics, Computers, Smart Home, or Arts & Crafts departments", "Classify
# the tweet into one of the following three categories: event, demo, or news", "label it as
# positive, negative or neutral". Two to eight options of one to three words each, after a
# verb that asks to pick one; a list in the data ("as well as gelato, sorbet or ice") is none.
_OPTION = r"[^\W\d_][\w'/-]*(?:[ \t]+(?:&[ \t]+)?[^\W\d_][\w'/-]*){0,2}"
_OPTIONS = re.compile(
    r"\b(?:classif\w*|categori[sz]\w*|label\w*|tag\w*|choose|pick|select|sort|assign|type|kind|"
    r"answer\s+with|respond\s+with|reply\s+with|rate)\b[^.\n:]{0,60}?"
    r"(?:\b(?:into|as|with|from|between|among)(?:\s+(?:one|either)\s+of)?|\bone\s+of|\beither)"
    r"\s+(?:the\s+following\s+)?(?:(?:\w+\s+){0,2}?(?:categories|labels|classes|options|"
    r"departments|types|groups|choices)\s*:?\s+)?"
    rf"[\"'“]?(?P<first>{_OPTION})[\"'”]?(?P<rest>(?:\s*,\s*[\"'“]?{_OPTION}[\"'”]?){{0,6}})"
    rf",?\s+(?:or|and)\s+[\"'“]?(?P<last>{_OPTION})[\"'”]?",
    re.I,
)
# Codes from a closed set need no "or": "followed by one of OUTAGE_CONFIRMED, NO_OUTAGE_FOUND,
# PLANNED_MAINTENANCE, NEED_INFO".
_CODE_SEPARATOR = re.compile(r"\s*[,|/]\s*(?:or\s+)?|\s+or\s+")
_CODE = r"[A-Z][A-Z0-9_-]{1,30}(?: [A-Z][A-Z0-9_-]{1,30})?"
_CODES = re.compile(
    r"(?:\bone\s+of\s+(?:these\s+|the\s+following\s+)?(?:codes\s+|values\s+|labels\s+)?:?\s*"
    # "Start every answer with exactly one of these verdicts on its own line: SAFE, NOT SAFE,
    # or ASK STAFF" (a code of two words in capitals)
    r"|\bone\s+of\s+(?:these|the\s+following)\s+(?:verdicts|statuses|decisions|codes|labels|"
    r"values)\b[^.\n:]{0,30}:\s*"
    # "Answer with exactly one label on the first line: SAFE, CONTAINS_ALLERGEN, or CHECK_LABEL"
    r"|\bone\s+(?:label|code|category|value|verdict|tag)\b[^.\n:]{0,40}:\s*)"
    rf"(?P<codes>{_CODE}(?:(?:{_CODE_SEPARATOR.pattern}){_CODE}){{2,9}})\b(?![a-z])"
)
# Codes defined one per line under an ask to pick one: "Assign exactly one urgency level:" then
# "EMERGENCY - come in now", "URGENT - within 12-24 hours", ... (a code, a dash or colon, what
# it means).
_DEFINED_CODES = re.compile(
    r"\b(?:one|single)\b[^.\n]{0,60}:[ \t]*\n"
    r"(?P<lines>(?:[ \t]*(?:[-*\u2022][ \t]+)?[A-Z][A-Z0-9_]{1,30}[ \t]*(?:[-\u2013\u2014:=]|\()"
    r"[ \t]*\S[^\n]*(?:\n|$)){2,10})"
)
_DEFINED_CODE = re.compile(r"^[ \t]*(?:[-*\u2022][ \t]+)?([A-Z][A-Z0-9_]{1,30})", re.M)
# The option opens the reply, on its own line: "Start every answer with exactly one of these
# verdicts on its own line: ...", "Answer with exactly one label on the first line: ...".
_OPTIONS_FIRST = re.compile(
    r"\b(?:start|begin|open)\w*\s+(?:(?:every|each|your|the)\s+)?(?:\w+\s+)?with\s+(?:exactly\s+)?"
    r"one\s+(?:of\b|label|code|verdict|category|value|tag)[^.\n]{0,60}\bon\s+its\s+own\s+line\b"
    r"|\bone\s+(?:of\b|label|code|verdict|category|value|tag)[^.\n]{0,60}\bon\s+the\s+first\s+line\b",
    re.I,
)
# Capitalised labels after "one of:" (or "one of these labels:") need no "or" either: "where
# <label> is one of: Delivery, Returns, Billing, Product, Account, Other." (three or more, the
# list ending the sentence).
_ONE_OF_LIST = re.compile(
    r"\bone\s+of(?:\s+(?:these|the\s+following)(?:\s+\w+)?)?\s*:\s*"
    r"(?P<items>[A-Z][\w'/-]*(?:[ \t][A-Z&][\w'/-]*){0,2}"
    r"(?:\s*,\s*[A-Z][\w'/-]*(?:[ \t][A-Z&][\w'/-]*){0,2}){2,11})[ \t]*(?:[.\n]|$)"
)
# Two answers the reply opens with or is: "Start your reply with Yes or No", "Answer yes or
# no", "Respond with 'true' or 'false'".
_YES_NO = re.compile(
    r"\b(?:(?:start|begin|open)\w*\s+(?:your\s+\w+\s+|the\s+\w+\s+|it\s+)?with|answer|reply|"
    r"respond|output|return)(?:\s+with)?\s+(?:exactly\s+)?(?:one\s+of\s+)?(?:either\s+|a\s+(?:simple\s+|clear\s+|"
    r"direct\s+|plain\s+)?|only\s+|just\s+)?[\"'\u201c`]?"
    r"(?P<a>yes|no|true|false|(?-i:[A-Z][A-Z_]{1,20}))[\"'\u201d`]?\s+or\s+[\"'\u201c`]?"
    r"(?P<b>yes|no|true|false|(?-i:[A-Z][A-Z_]{1,20}))[\"'\u201d`]?(?!\w)",
    re.I,
)
# "Answer the instructor's yes/no question, then give the evidence": the answer opens with one.
_YES_NO_QUESTION = re.compile(
    r"\banswer\s+(?:the|their|each|every)\s+(?:[\w']+\s+)?yes[/-]no\s+questions?\b", re.I
)
# A yes/no question of the user's: an auxiliary opening a sentence (or a clause after a
# colon or a comma) that ends in a question mark. "Can/could/would/will you ...?" asks for
# a thing to be done; "Do you ...?" is left too ("Do you know a good recipe?"), and so is a
# negative question, whose yes and no can say the same ("Isn't it closed on Sunday?" "No,
# it's closed." / "Yes, it is closed.").
_YES_NO_ASKED = re.compile(
    r"(?:^|[.!?:,]\s+|\n)(?:and\s+|so\s+|but\s+)?(?:can|could|will|would|should|shall|may|might|"
    r"is|are|am|was|were|does|did|has|have)(?!n't|\s+not\b)"
    r"\s+(?!you\b)[\w'-]+\b[^?\n]{0,200}\?",
    re.I,
)
_OPTION_ITEM = re.compile(rf"[\"'“]?({_OPTION})[\"'”]?")
# What a list of options ends with that is not an option: "Arts & Crafts departments".
_OPTION_NOUN = re.compile(
    r"\s+(?:categories|category|labels?|classes|class|options?|departments?|types?|groups?|"
    r"choices?|queues?|buckets?|teams?|tiers?|levels?)$",
    re.I,
)
# Words no label is made of: an item holding one is a phrase of the prose, not an option.
_NOT_LABEL = frozenset(
    "the a an that this these those is are was be if any of with for to our your their its "  # noqa: SIM905
    "it which what based on".split()
)
_MAX_OPTION_CHARS = 40
# Lettered choices, one per line ("A. Very likely", "(B) Somewhat likely", "c) Never") or on
# one line ("(A) yes (B) no (C) unsure"): consecutive letters from A.
_CHOICE_LINE = re.compile(
    r"^[ \t]*(?:\(([A-Ha-h])\)|([A-H])[.)])[ \t]+(\S[^\n]{0,80}?)[ \t]*$", re.M
)
_CHOICE_INLINE = re.compile(r"\(([A-H])\)[ \t]*([^()\n]{1,60}?)[ \t]*(?=\([A-H]\)|$|\n|[.;])")
# A letter an answer opens with, bare or marked ("B", "(B) ...", "**B.**", "Answer: B"); a
# capital "A" followed by a word is the article, not a pick.
_LETTER_OPENING = re.compile(
    r"\A[\s*_\"'`]*(?:(?:the\s+)?(?:correct\s+|best\s+|final\s+)?(?:answer|option|choice)"
    r"(?:\s+is)?\s*[:\-]?\s*)?(?:\(([A-Ha-h])\)|\[([A-Ha-h])\]|([A-H])(?=[.):\]*_]|\s*$|\s+[-\u2013\u2014]))",
    re.I,
)
_LETTER_NAMED = re.compile(
    r"\b(?:answer|option|choice)\s+(?:is\s+|would\s+be\s+|:\s*)?(?:\*\*)?\(?([A-H])\)?(?![\w'])"
)
_LETTER_SEARCH_CHARS = 400
_CHOICE_CUE = re.compile(
    r"\?|\b(?:answer|choose|select|pick|which|options?|choices?|correct|best)\b", re.I
)
_FIRST_SENTENCE = re.compile(r"\s*[^\n.!?]*(?:[.!?]|\n|$)")
# "is not necessarily offensive", "isn't a demo": the option named is the one not picked.
_NEGATED = re.compile(r"\b(?:not|never|neither|nor|no)\b(?:\s+\w+)?\s*$|n't(?:\s+\w+)?\s*$", re.I)


@dataclass(frozen=True)
class Requirements:
    """What the instructions ask of the output's format (empty: nothing readable)."""

    markers: tuple[str, ...] = ()
    """Bracketed tokens the instructions spell out (``Yes``, ``No``, ``ANSWER``)."""
    marker_position: Position = "any"
    """Where the bracketed marker goes: the instructions say start, end, or nothing."""
    prefixes: tuple[str, ...] = ()
    """Quoted ``Label:`` prefixes the output must open with (``Category``, ``TL;DR``)."""
    bare_answer: bool = False
    """One word, the number only, nothing else: the whole output is the answer."""
    code_only: bool = False
    """Only the code, no markdown, no explanations."""
    json_only: bool = False
    """Only JSON (the structure rules and the JSON wrappers check it)."""
    list_format: bool = False
    """A bulleted or numbered list is asked for."""
    numbered: bool = False
    language: str | None = None
    """An explicitly asked language (ISO 639-1), e.g. "translate into German": ``de``."""
    links: bool = False
    """Links (URLs) are asked for."""
    fixed_tokens: frozenset[str] = frozenset()
    """Upper-case words, ``<TOKENS>`` and symbol runs the instructions spell out (``DONE``,
    ``<END>``, ``###``): a first or last line made of one is asked for."""
    last_line: bool = False
    """A labelled line must be the last ("The very last line of your reply must be the
    verdict line")."""
    count_exact: bool = False
    """The count says "exactly": more than asked breaks it too."""
    count: tuple[int, str] | None = None
    """A number of items asked for and what they are: "write a 5 verse song" ``(5,
    "verse")``."""
    options_first: bool = False
    """The reply opens with one of the options on its own line ("Start every answer with
    exactly one of these verdicts on its own line: SAFE, NOT SAFE, or ASK STAFF")."""
    one_per_input: bool = False
    """One line (or item) per input item is asked ("Output one line per response, in order"):
    a consumer zips the lines with its inputs, so their number is held."""
    count_section: str | None = None
    """The heading whose section the count is about ("Under "## Next Steps" give exactly 3
    bullet points": ``## Next Steps``); None for the whole answer."""
    options: tuple[str, ...] = ()
    """A closed set of labels the answer picks from ("one of event, demo, or news")."""
    choices: tuple[tuple[str, str], ...] = ()
    """Lettered choices, letter and text ("A. Very likely", "(B) Somewhat likely"): a
    multiple-choice question, answered by a letter or by a choice's text."""
    alone: bool = False
    """The thing asked for and no talk around it ("Output only the haiku", "no
    explanation"; a bare answer or code only says it too)."""
    comma_list: bool = False
    """The items on one line, separated by commas ("as a comma-separated list")."""
    limit: tuple[int, LimitUnit] | None = None
    line_limit: tuple[int, LimitUnit] | None = None
    """A limit on each line ("each bullet at most 20 words"), words or characters."""
    first_line_limit: int | None = None
    """Characters the first line may have (a commit's subject, an e-mail's subject line)."""
    """A limit on the answer's length and its unit: "in under 50 words" ``(50, "words")``,
    "in one sentence" ``(1, "sentences")``."""
    opening: str | None = None
    """A literal the answer must open with ("Start your reply with 'Dear customer,'")."""
    closing: str | None = None
    """A literal the answer must end with ("end it with 'The ParcelGo team'")."""
    fallback: str | None = None
    """What to answer when the answer is not known ("If the answer is not in the context,
    say "I don't know""): giving it is abstaining, a decision of its own."""
    referral: bool = False
    """The fallback is a referral said instead of an answer ("For complex situations, do not
    answer the question; say "Please consult a tax professional""): it may follow a reason."""
    citations: bool = False
    """Citations like [1] are asked for ("cite the document number in square brackets")."""
    csv: bool = False
    """CSV is asked for."""
    verbatim: tuple[str, ...] = ()
    """Sentences the answer must include word for word ("include this sentence verbatim:
    "No goods or services were provided..."")."""
    in_kind: bool = False
    """The reply must be in the language the user writes in ("Reply in the customer's
    language")."""
    no_amounts: bool = False
    """The instructions forbid giving amounts ("never recommend specific medication doses",
    "never promise or quote ... compensation amounts")."""
    no_ask: tuple[str, ...] = ()
    """Personal data the instructions forbid asking for (`SENSITIVE`'s names)."""
    no_answer: bool = False
    """The instructions forbid giving the answer or a solution (a tutor that gives hints)."""
    amount_cap: tuple[str, float] | None = None
    """The most the assistant may give, in a currency ("€10 is the maximum you may offer")."""
    forbidden_terms: tuple[str, ...] = ()
    """Words the instructions forbid ("Never use cups, ounces, sticks or °F")."""
    headings: tuple[str, ...] = ()
    """Markdown headings the answer must use ("## Summary", "## Decisions")."""
    table: bool = False
    """A table is asked for ("Return a Markdown table with the columns ...")."""
    steps: bool = False
    """The working is asked for, step by step ("show your calculation step by step")."""
    forbidden: tuple[Forbidden, ...] = ()
    """Formats the instructions forbid: markdown, lists, emojis, capitals ("lowercase
    only") or lowercase ("in all caps")."""
    wrappers: tuple[str, ...] = ()
    """Where the final answer goes: ``braces`` (``{3}``), ``boxed`` (``\\boxed{5}``), or a
    tag's name (``answer`` for ``<answer>...</answer>``)."""
    template_labels: tuple[str, ...] = ()
    """The labels of a format given as template lines (``Thought``, ``Action``, ``Final
    Answer``): an answer in that format opens lines with them."""
    line_format: str | None = None
    """A format given as one line with slots ("<Brand> <Product> – <Key Feature> |
    TrailPeak"): an answer in it has a line made of the literal parts around the slots."""
    placeholders: tuple[str, ...] = ()
    """Placeholders the instructions hold and say to keep as written (``{name}``,
    ``%(count)s``): a translation or rewrite that keeps them can be filled in."""
    columns: tuple[str, ...] = ()
    """A table's columns, spelled out ("a Markdown table with exactly these columns: Day |
    Session | Duration (min) | Intensity")."""

    def __bool__(self) -> bool:
        return bool(
            self.markers
            or self.prefixes
            or self.bare_answer
            or self.code_only
            or self.json_only
            or self.list_format
            or self.links
            or self.language
            or self.count
            or self.options
            or self.choices
            or self.alone
            or self.limit
            or self.opening
            or self.closing
            or self.forbidden
            or self.table
            or self.steps
            or self.fallback
            or self.citations
            or self.csv
            or self.headings
            or self.verbatim
            or self.forbidden_terms
            or self.no_amounts
            or self.amount_cap
            or self.no_answer
            or self.no_ask
            or self.comma_list
            or self.wrappers
            or self.template_labels
            or self.line_format
            or self.placeholders
            or self.columns
        )

    def describe_wrapper(self, wrapper: str) -> str:
        if wrapper.startswith("line:"):
            return f"a line '{wrapper.removeprefix('line:')}: ...'"
        return _WRAPPER_NAMES.get(wrapper, f"<{wrapper}></{wrapper}>")

    def asks_bracket(self, position: Literal["start", "end"]) -> bool:
        return bool(self.markers) and self.marker_position in (position, "any")

    def asks_prefix(self, label: str) -> bool:
        wanted = label.casefold().strip()
        return any(p.casefold() == wanted for p in self.prefixes)

    def describe(self) -> list[str]:
        """One line per requirement, for the report's implicit contract."""
        out: list[str] = []
        if self.markers:
            tokens = " or ".join(f"[{m}]" for m in self.markers)
            where = {"start": "starts with", "end": "ends with", "any": "carries"}
            out.append(f"{where[self.marker_position]} {tokens}")
        out.extend(f"opens with '{p}:'" for p in self.prefixes)
        if self.bare_answer:
            out.append("the answer alone (one word or value, nothing else)")
        if self.code_only:
            out.append("only the code (no markdown fence, no prose)")
        if self.json_only:
            out.append("only JSON")
        if self.list_format:
            out.append("a numbered list" if self.numbered else "a list")
        if self.links:
            out.append("links (URLs)")
        if self.language:
            out.append(f"in language '{self.language}'")
        if self.count:
            out.append(f"{self.count[0]} items ({self.count[1]})")
        if self.options:
            out.append("one of " + ", ".join(repr(o) for o in self.options))
        if self.choices:
            out.append("one of the choices " + ", ".join(f"({k})" for k, _ in self.choices))
        if self.alone and not (self.bare_answer or self.code_only):
            out.append("the answer alone (no lead-in or closing remark)")
        if self.comma_list:
            out.append("a comma-separated list")
        out.extend(f"the final answer in {self.describe_wrapper(w)}" for w in self.wrappers)
        if self.template_labels:
            out.append("lines of the format " + ", ".join(f"'{x}:'" for x in self.template_labels))
        if self.limit:
            out.append(f"at most {self.limit[0]} {self.limit[1]}")
        if self.line_limit:
            out.append(f"at most {self.line_limit[0]} {self.line_limit[1]} a line")
        if self.first_line_limit:
            out.append(f"a first line of at most {self.first_line_limit} characters")
        if self.opening:
            out.append(f"opens with {self.opening!r}")
        if self.closing:
            out.append(f"ends with {self.closing!r}")
        if self.table:
            out.append("a table")
        if self.steps:
            out.append("the working, step by step")
        if self.csv:
            out.append("CSV")
        if self.no_amounts:
            out.append("no amounts (doses, prices, compensation)")
        if self.no_answer:
            out.append("hints, not the answer itself")
        if self.no_ask:
            out.append("never asks for " + ", ".join(self.no_ask))
        if self.amount_cap:
            cur, value = self.amount_cap
            out.append(f"gives at most {cur}{value:g}")
        if self.forbidden_terms:
            out.append("never " + ", ".join(repr(t) for t in self.forbidden_terms))
        out.extend(f"includes {v!r}" for v in self.verbatim)
        if self.headings:
            out.append("the headings " + ", ".join(repr(h) for h in self.headings))
        if self.citations:
            out.append("citations like [1]")
        if self.fallback:
            out.append(f"{self.fallback!r} when the answer is not known")
        if self.forbidden:
            out.append("no " + ", no ".join(_FORBIDDEN_SAID.get(k, k) for k in self.forbidden))
        return out

    def pick(self, text: str) -> str | None:
        """What ``text`` picks among the choices or options the instructions list, else None
        (none listed, or the answer names none or several)."""
        if self.choices:
            return self._choice_in(text)
        if self.options:
            return self.option_in(text)
        return None

    def _choice_in(self, text: str) -> str | None:
        """The letter ``text`` picks: one it opens with ("B", "(B) Somewhat likely", "Answer:
        B."), one it names as the answer ("the correct answer is (C)"), else the one choice
        whose text its first sentence names."""
        letters = {k for k, _ in self.choices}
        m = _LETTER_OPENING.match(text) or _LETTER_NAMED.search(text[:_LETTER_SEARCH_CHARS])
        letter = next((g for g in m.groups() if g), None) if m is not None else None
        if letter is not None and letter.upper() in letters:
            return letter.upper()
        named = _named_option(tuple(t for _, t in self.choices), text)
        return next((k for k, t in self.choices if t == named), None)

    def option_in(self, text: str) -> str | None:
        """The one listed option the first sentence of ``text`` names, else None."""
        return _named_option(self.options, text)


NO_REQUIREMENTS = Requirements()
# A bracketed token given as an example of a kind ("e.g. [Your address]") is not a marker to
# carry.
_EXAMPLE_CUE = re.compile(r"\b(?:e\.\s?g\.|for\s+example|for\s+instance|such\s+as)[\s:,]*\Z", re.I)
_EXAMPLE_REACH = 20


@lru_cache(maxsize=1024)
def read_requirements(instructions: str) -> Requirements:
    """The format requirements ``instructions`` spell out (cached: every case of a prompt
    renders the same instruction text around different inputs, often the same one)."""
    text = instructions[:20000]
    markers: list[str] = []
    positions: set[Position] = set()
    for m in _BRACKET_TOKEN.finditer(text):
        word = m.group(1).strip()
        line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        # Brackets in the data ("[Chorus]" in lyrics to continue) are no ask: the token must
        # follow a cue on its line, or open a template line ("[ANSWER]: {your answer}").
        template = not line.strip() and text[m.end() : m.end() + 1] == ":"
        if not template and not _MARKER_CUE.search(line):
            continue
        if _EXAMPLE_CUE.search(line[-_EXAMPLE_REACH:]):
            continue  # "placeholders in square brackets for anything missing (e.g. [Your address])"
        if word.casefold() not in (x.casefold() for x in markers):
            markers.append(word)
        before = text[max(0, m.start() - 80) : m.start()]
        # The nearest cue before the token says where it goes ("start your reply with [Yes]").
        starts = [c.end() for c in _START_CUE.finditer(before)]
        ends = [c.end() for c in _END_CUE.finditer(before)]
        if starts or ends:
            positions.add("start" if max(starts, default=-1) > max(ends, default=-1) else "end")
    position: Position = positions.pop() if len(positions) == 1 else "any"
    prefixes: list[str] = []
    for m in _QUOTED_PREFIX.finditer(text):
        cue = text[max(0, m.start() - 60) : m.start()]
        label = m.group(1).strip()
        # "add a final line beginning 'Allergens:'" asks for a line, not the opening; "Start
        # your reply with the formula on its own line, prefixed with "Formula: "" for both.
        sentence = re.split(r"[.\n]", text[: m.start()])[-1]
        if (
            _FORMAT_CUE.search(cue)
            and label
            and label not in prefixes
            and (not _LINE_CUE.search(cue) or _OPENS_REPLY.search(sentence))
            # "end your reply with one line in exactly this form: `Ticket category: <...>`"
            # is the last line (a labelled line), not the opening
            and not _ENDS_REPLY.search(sentence)
        ):
            prefixes.append(label)
    if _FIRST_LINE_ASK.search(text):
        # "The first line of every reply must be exactly `STATUS: ` followed by ...": the
        # labelled line opens the reply.
        prefixes.extend(
            m.group("label")
            for m in _LINE_FOLLOWED.finditer(text)
            if m.group("label") not in prefixes
        )
    code_only = bool(_CODE_ONLY.search(text)) and bool(_CODE_WORD.search(text))
    list_match = _LIST.search(text)
    bare_answer = bool(_BARE.search(text)) and not code_only
    language = None
    lm = _EXPLICIT_LANGUAGE.search(text)
    if lm is not None:
        name = next(g for g in lm.groups() if g)
        language = _LANGUAGES[name.casefold()]
    return Requirements(
        choices=_read_choices(text),
        options=_read_options(text),
        count=_read_count(text),
        count_section=_read_count_section(text),
        count_exact=_EXACT_COUNT.search(text) is not None,
        one_per_input=_ONE_PER_INPUT.search(text) is not None,
        options_first=_OPTIONS_FIRST.search(text) is not None,
        last_line=_LAST_LINE.search(text) is not None or _NOTHING_AFTER.search(text) is not None,
        fixed_tokens=frozenset(m.group(0) for m in _TOKEN.finditer(text)),
        markers=tuple(markers),
        marker_position=position,
        prefixes=tuple(prefixes),
        bare_answer=bare_answer,
        code_only=code_only,
        alone=bare_answer or code_only or bool(_ALONE.search(text)),
        limit=_read_limit(text),
        first_line_limit=_read_first_line_limit(text),
        line_limit=_read_line_limit(text),
        opening=_literal(_OPENING_ASK, text)
        or _first_line_label(text)
        or _block(text, "opening")
        or _line(text, "opening"),
        closing=_literal(_CLOSING_ASK, text) or _block(text, "closing") or _line(text, "closing"),
        table=_TABLE_ASK.search(text) is not None,
        steps=_STEPS_ASK.search(text) is not None,
        # "No markdown" in a code-only ask is about the fence, which the fence rules check.
        forbidden=tuple(f for f in _read_forbidden(text) if not (code_only and f == "markdown")),
        json_only=bool(_JSON_ONLY.search(text)),
        links=bool(_LINKS.search(text)),
        list_format=list_match is not None,
        numbered=list_match is not None and bool(_NUMBERED_LIST.search(text)),
        language=language,
        comma_list=bool(_COMMA_LIST.search(text)),
        wrappers=_read_wrappers(text, tuple(prefixes)),
        fallback=_read_fallback(text),
        referral=_REFERRAL_ASK.search(text) is not None and _FALLBACK_ASK.search(text) is None,
        citations=_CITATIONS_ASK.search(text) is not None,
        csv=_CSV_ASK.search(text) is not None,
        in_kind=_IN_KIND.search(text) is not None,
        verbatim=tuple(dict.fromkeys(m.group("lit").strip() for m in _VERBATIM_ASK.finditer(text))),
        headings=tuple(
            dict.fromkeys((m.group(1) or m.group(2)).strip() for m in _HEADING_ASK.finditer(text))
        ),
        forbidden_terms=_read_terms(text),
        no_amounts=_NO_AMOUNTS.search(text) is not None,
        amount_cap=_read_cap(text),
        no_answer=_NO_ANSWER.search(text) is not None,
        no_ask=tuple(
            dict.fromkeys(
                name
                for m in _NO_ASK.finditer(text)
                for name, pattern in SENSITIVE.items()
                if pattern.search(m.group("what"))
            )
        ),
        template_labels=_read_template(text),
        line_format=_read_line_format(text),
        placeholders=_read_placeholders(text),
        columns=_read_columns(text),
    )


def _per_item(text: str, m: re.Match[str]) -> bool:
    """The limit ``m`` found is on each item: its sentence says each bullet or line."""
    start = max(text.rfind(".", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    end = text.find(".", m.end())
    end = len(text) if end < 0 else end
    return bool(_EACH.search(text, start, end) and _ITEM_NOUN.search(text, start, end))


def _read_line_limit(text: str) -> tuple[int, LimitUnit] | None:
    found = {
        limit
        for m in _LENGTH_LIMIT.finditer(text)
        if (limit := _limit_of(m))[1] in ("words", "characters") and _per_item(text, m)
    }
    return found.pop() if len(found) == 1 else None


def _limit_of(m: re.Match[str]) -> tuple[int, LimitUnit]:
    """The number and unit a ``_LENGTH_LIMIT`` match names."""
    unit = m.group("unit") or m.group("unit_b") or m.group("unit_c") or m.group("unit_d")
    number = m.group("a") or m.group("b") or m.group("c") or m.group("d")
    return int(number), _UNITS[unit.casefold().rstrip("s")]


def _read_first_line_limit(text: str) -> int | None:
    found = {int(m.group("n")) for m in _FIRST_LINE_LIMIT.finditer(text)}
    return found.pop() if len(found) == 1 else None


def _read_cap(text: str) -> tuple[str, float] | None:
    """The one cap on money the assistant gives; two different ones name none."""
    caps = {
        money(m)
        for sentence in SENTENCE_BREAK.split(text)
        if GIVING.search(sentence)
        for m in _CAP.finditer(sentence)
    }
    return caps.pop() if len(caps) == 1 else None


def _read_limit(text: str) -> tuple[int, LimitUnit] | None:
    """The one length limit the instructions set; two different ones ("50 words for the
    title, 200 for the body") name none."""
    limits: set[tuple[int, LimitUnit]] = set()
    answer_limits: set[tuple[int, LimitUnit]] = set()
    first_line = [m.span() for m in _FIRST_LINE_LIMIT.finditer(text)]
    for m in _LENGTH_LIMIT.finditer(text):
        if any(start <= m.start() < end for start, end in first_line) or _per_item(text, m):
            continue  # the first line's limit or each item's, not the answer's
        n, unit = _limit_of(m)
        # "in 3 bullet points" / "in 2 sentences" ask for that many: the count says it.
        counted = (
            unit in ("bullets", "sentences", "paragraphs") and m.group(0)[:3].casefold() == "in "
        )
        if n >= _MIN_LIMIT[unit] and not counted:
            limits.add((n, unit))
            sentence = text[: m.start()].rsplit(".", 1)[-1].rsplit("\n", 1)[-1]
            if _ANSWER_WORD.search(sentence):
                answer_limits.add((n, unit))
    for m in _ONE_LIMIT.finditer(text):
        limits.add((1, _UNITS[(m.group("unit") or m.group("unit_b")).casefold()]))
    if len(limits) == 1:
        return limits.pop()
    # A limit in the data ("Idempotency-Key header (max 255 characters)") beside the one on
    # the answer ("Keep answers under 120 words"): the one in a sentence about the answer.
    return answer_limits.pop() if len(answer_limits) == 1 and len(limits) == 2 else None


def _literal(ask: re.Pattern[str], text: str) -> str | None:
    """The quoted literal ``ask`` finds; a bracketed marker or a ``Label:`` prefix is read
    elsewhere (markers, prefixes)."""
    m = ask.search(text)
    if m is None:
        return None
    lit = m.group("lit").strip()
    return None if lit.startswith("[") or lit.endswith(":") else lit


def _first_line_label(text: str) -> str | None:
    m = _FIRST_LINE_OPENING.search(text)
    return m.group("lit").strip() if m else None


def _line(text: str, which: Literal["opening", "closing"]) -> str | None:
    """An unquoted line after "with the separate line:" ("End the description with the
    separate line: Equal Housing Opportunity.")."""
    for m in _LINE_ASK.finditer(text):
        opening = m.group("where").casefold() in ("start", "begin", "open")
        if opening == (which == "opening"):
            return m.group("lit").strip()
    return None


def _block(text: str, which: Literal["opening", "closing"]) -> str | None:
    """The first (opening) or last (closing) line of a literal block the instructions put on
    the lines after the ask."""
    for m in _BLOCK_ASK.finditer(text):
        opening = m.group("where").casefold() in ("start", "begin", "open")
        if opening != (which == "opening"):
            continue
        lines = [line.strip() for line in m.group("block").splitlines() if line.strip()]
        return lines[0] if opening else lines[-1]
    return None


def _read_terms(text: str) -> tuple[str, ...]:
    """The short items a "never use ..." clause lists; formats ("markdown", "emojis") are
    the forbidden formats' business."""
    terms: list[str] = []
    for m in (*_TERMS_ASK.finditer(text), *_TERMS_EXAMPLES.finditer(text)):
        quoted = m.re is _TERMS_EXAMPLES
        items = (_QUOTED.findall if quoted else _TERM_ITEM.findall)(m.group("items"))
        if not quoted and len(m.group("items")) >= _TERMS_MAX_CHARS:
            # The clause runs on past what is read: its last item is cut ('"perfect' of
            # '"perfect for families"').
            items = items[:-1]
        for item in items:
            term = item.strip().strip("*`")
            words = term.split()
            if (
                not term
                or len(words) > (_QUOTED_TERM_MAX_WORDS if quoted else _TERM_MAX_WORDS)
                or words[0].casefold() in _NOT_TERMS
                or any(f.search(term) for f in _FORBIDDEN_WORDS.values())
            ):
                continue
            terms.append(term)
    return tuple(dict.fromkeys(terms))


def _read_fallback(text: str) -> str | None:
    m = _FALLBACK_ASK.search(text)
    if m is None:
        sentinel = _SENTINEL_ASK.search(text)
        if sentinel is not None:
            return sentinel.group("token")
        referral = _REFERRAL_ASK.search(text)
        return None if referral is None else referral.group("said").strip().rstrip(".")
    said = m.group("quoted") or m.group("single") or m.group("lit")
    return said.strip().rstrip(".").replace("\u2019", "'")


def is_fallback(text: str, fallback: str, *, referral: bool = False) -> bool:
    """Whether ``text`` is the fallback answer, alone or with a short reason after it; a
    referral also in the first two sentences of an output of three at most, after the
    reason ("Amended returns are outside what I can cover here. Please consult...")."""
    said = text.strip().strip("*_\"' ").casefold().replace("\u2019", "'")
    wanted = fallback.casefold()
    sentences = [part for part in SENTENCE_BREAK.split(said) if part.strip()]
    if said.startswith(wanted) and (
        len(said) <= len(fallback) + _FALLBACK_TAIL
        or (" " in wanted and len(sentences) <= _REFERRAL_MAX_SENTENCES)
    ):
        # "I don't know based on the documents. They cover X and Y, not Z. Please contact
        # HR.": the fallback with its reason and the pointer the instructions ask for (a
        # token, "REFUSED and nothing else", keeps to the short tail).
        return True
    return (
        referral
        and len(sentences) <= _REFERRAL_MAX_SENTENCES
        and any(wanted in sentence for sentence in sentences[:2])
    )


def _read_forbidden(text: str) -> tuple[Forbidden, ...]:
    found: set[Forbidden] = set()
    for m in _NEGATION.finditer(text):
        found.update(k for k, words in _FORBIDDEN_WORDS.items() if words.search(m.group(0)))
    if _PLAIN_TEXT.search(text):
        # Plain text is text shown as it is: "**" and "#" would show, a numbered or
        # bulleted line reads the same ("Plain text." over a coach's check-in with four
        # numbered goals was flagged as a forbidden list).
        found.add("markup")
    if _LOWER_ASK.search(text):
        found.add("capitals")
    if _UPPER_ASK.search(text):
        found.add("lowercase")
    if "markdown" in found:
        found.discard("markup")  # markdown forbidden covers its markup
    order: tuple[Forbidden, ...] = (
        "markdown",
        "markup",
        "lists",
        "emojis",
        "capitals",
        "lowercase",
    )
    return tuple(k for k in order if k in found)


def _read_wrappers(text: str, prefixes: tuple[str, ...] = ()) -> tuple[str, ...]:
    found: list[str] = [
        f"line:{m.group('label')}"
        for m in _LINE_FOLLOWED.finditer(text)
        if m.group("label") not in prefixes  # "Start your answer with 'TL;DR:' followed by"
    ]
    literal_labels = Counter(m.group("label") for m in _LINE_LITERAL.finditer(text))
    repeated = [label for label, n in literal_labels.items() if n >= _LINE_LITERAL_MIN]
    for m in (
        *_LINE_TEMPLATE.finditer(text),
        *_LINE_BEGINNING.finditer(text),
        *_LAST_LINE_LABEL.finditer(text),
    ):
        label = m.group("label")
        if _FORMAT_NAME.search(label):
            continue  # "Use the format: <Brand> <Product>" gives a whole line's format
        if label not in prefixes and f"line:{label}" not in found:
            found.append(f"line:{label}")
    found.extend(f"line:{label}" for label in repeated if f"line:{label}" not in found)
    if _BRACES_ASK.search(text):
        found.append("braces")
    if _BOXED_ASK.search(text):
        found.append("boxed")
    for m in _TAG_ASK.finditer(text):
        tag = (m.group(1) or m.group(2)).casefold()
        if tag not in found:
            found.append(tag)
    return tuple(found)


def _read_line_format(text: str) -> str | None:
    """The one-line format the instructions give, when it has slots and literal text."""
    m = _LINE_FORMAT_ASK.search(text)
    if m is None:
        return None
    # The format ends at its line's end or at a sentence after it ("... | TrailPeak. The
    # whole title must be 60 characters or fewer.").
    tpl = re.split(r"\.\s+(?=[A-Z])", m.group("tpl"), maxsplit=1)[0].strip().strip("`\"'")
    tpl = tpl.rstrip(".").strip()
    literal = _SLOT.sub("", tpl)
    if not _SLOT.search(tpl) or not re.search(r"[^\s" + _DASHES + r"]", literal):
        return None
    return tpl


def line_format_pattern(tpl: str) -> re.Pattern[str]:
    """A whole line in the format: the literal parts in order (any case, dashes alike,
    spacing free), something in every slot."""
    parts: list[str] = []
    for i, piece in enumerate(_SLOT.split(tpl)):
        if i:
            parts.append(".+?")
        for ch in piece:
            if ch.isspace():
                parts.append(r"\s*")
            elif ch in _DASHES:
                parts.append(f"[{_DASHES}]")
            else:
                parts.append(re.escape(ch))
    return re.compile(r"^[ \t*_`\"'>-]*" + "".join(parts) + r"[ \t*_`\"'.]*$", re.M | re.I)


def _read_columns(text: str) -> tuple[str, ...]:
    m = _COLUMNS_ASK.search(text)
    if m is None:
        return ()
    return tuple(c.strip(" `*\"'") for c in m.group("cols").split("|") if c.strip(" `*\"'"))


def _read_placeholders(text: str) -> tuple[str, ...]:
    if not _PLACEHOLDER_ASK.search(text):
        return ()
    return tuple(dict.fromkeys(m.group(0) for m in _KEPT_PLACEHOLDER.finditer(text)))


def _read_template(text: str) -> tuple[str, ...]:
    """The labels of the first run of template lines right after a format cue."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not (_FORMAT_CUE.search(line) and line.rstrip().endswith(":")):
            continue
        labels: list[str] = []
        for following in lines[i + 1 :]:
            if not following.strip():
                if labels:
                    break
                continue
            m = _TEMPLATE_LINE.match(following)
            if m is None:
                if following.lstrip().startswith(("...", "\u2026")):
                    continue  # "... (this Thought/Action can repeat N times)"
                break
            if m.group(1) not in labels:
                labels.append(m.group(1))
        if len(labels) >= _TEMPLATE_MIN_LINES:
            return tuple(labels)
    return ()


def label_line(label: str) -> str:
    """The opening of a line labelled ``label`` ("Answer:", "**VERDICT**:", "> TOOL:",
    "[SEVERITY:"), as a pattern."""
    return rf"[ \t*_>#\[-]*{re.escape(label)}[*_]*[ \t]*:"


def line_values(text: str, label: str) -> list[str]:
    """What each line labelled ``label`` holds after its label ("Category: Delivery" ->
    "Delivery"), in text order."""
    return _line_value_pattern(label).findall(text)


@lru_cache(maxsize=256)
def _line_value_pattern(label: str) -> re.Pattern[str]:
    return re.compile(rf"^{label_line(label)}[*_]*[ \t]*(.+?)[ \t]*$", re.M | re.I)


def wrapped_value(text: str, wrapper: str) -> str | None:
    """The last answer ``text`` puts in ``wrapper`` (``braces``, ``boxed`` or a tag's name),
    stripped; "" when the wrapper holds more than a short answer; None without one."""
    if wrapper.startswith("line:"):
        found = line_values(text, wrapper.removeprefix("line:"))
    elif wrapper in _WRAPPED:
        found = _WRAPPED[wrapper].findall(text)
    else:
        found = re.findall(
            rf"<{re.escape(wrapper)}>(.*?)</{re.escape(wrapper)}>", text, re.I | re.S
        )
    if not found:
        return None
    value = str(found[-1]).strip().strip("*$ ").rstrip(".")
    if wrapper.startswith("line:") and value.endswith("]") and "[" not in value:
        value = value[:-1].rstrip()  # "[SEVERITY: CRITICAL]"
    return value if len(value) <= _WRAPPED_MAX_CHARS else ""


def _read_count_section(text: str) -> str | None:
    m = _COUNT_SECTION.search(text)
    return None if m is None else m.group("heading").strip()


def section_of(text: str, heading: str) -> str | None:
    """The lines under ``heading`` (a Markdown heading, bold or not) up to the next heading;
    None when the text has no such heading."""
    title = re.escape(heading.lstrip("#").strip())
    m = re.search(rf"^[ \t]*(?:#{{1,6}}[ \t]*)?[*_]*{title}[*_]*:?[ \t]*$", text, re.M | re.I)
    if m is None:
        return None
    rest = text[m.end() :]
    end = re.search(r"^[ \t]*(?:#{1,6}[ \t]+\S|\*\*[^*\n]+\*\*:?[ \t]*$)", rest, re.M)
    return rest[: end.start()] if end else rest


def _read_count(text: str) -> tuple[int, str] | None:
    """The one number of items the instructions ask for, else None (two different asks, or
    a number of words, which measures length)."""
    asks: set[tuple[int, str]] = set()
    # The nouns listed first; any noun after "exactly" only where none of them is asked for.
    for found in (
        (*_COUNT.finditer(text), *_COUNT_IN.finditer(text), *_COUNT_PLEASE.finditer(text)),
        tuple(_COUNT_EXACT.finditer(text)),
    ):
        for m in found:
            raw, noun = m.group("n").casefold(), m.group("noun").casefold()
            n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
            bound = _UPPER_BOUND.search(text, max(0, m.start("n") - 24), m.start("n"))
            if bound or noun.startswith("word") or not _MIN_COUNT <= n <= _MAX_COUNT:
                continue
            noun = re.sub(r"\s+", " ", noun)
            asks.add((n, "verse" if noun.startswith("verse") else noun))
        if asks:
            break
    return asks.pop() if len(asks) == 1 else None


def _named_option(options: tuple[str, ...], text: str) -> str | None:
    """The one of ``options`` the first sentence of ``text`` names (whole words, any case,
    not negated), else None: none, or several ("not an event but a demo"), leave the answer
    unread. The pick is stated first; the reasoning after it names the others."""
    head = _FIRST_SENTENCE.match(text)
    first = head.group(0) if head else ""
    spans = [
        (m.start(), m.end(), option)
        for option in options
        for m in re.finditer(rf"(?<![\w-]){re.escape(option)}(?![\w-])", first, re.I)
        if not _NEGATED.search(first[max(0, m.start() - 30) : m.start()])
    ]
    # "not offensive" holds "offensive": a match inside a longer one is not another name
    found = {
        option
        for start, end, option in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
    }
    return found.pop() if len(found) == 1 else None


def _read_choices(text: str) -> tuple[tuple[str, str], ...]:
    """Lettered choices from A on (two or more), one per line or on one line, in instructions
    that ask a question or to choose, else () (an outline "A. Introduction / B. Body" to
    expand offers nothing to pick)."""
    if _CHOICE_CUE.search(text) is None:
        return ()
    found = [
        ((m.group(1) or m.group(2)).upper(), m.group(3).strip())
        for m in _CHOICE_LINE.finditer(text)
    ]
    if len(found) < 2:
        found = [(m.group(1), m.group(2).strip()) for m in _CHOICE_INLINE.finditer(text)]
    letters = [k for k, _ in found]
    if len(found) < 2 or letters != [chr(ord("A") + i) for i in range(len(found))]:
        return ()
    return tuple(found)


def _read_options(text: str) -> tuple[str, ...]:
    """The one closed set of labels the instructions list, else () (none, or two sets)."""
    sets: set[tuple[str, ...]] = set()
    for m in _YES_NO.finditer(text):
        sets.add(
            tuple(dict.fromkeys(w if w.isupper() else w.capitalize() for w in m.group("a", "b")))
        )
    if _YES_NO_QUESTION.search(text):
        sets.add(("Yes", "No"))
    for m in _CODES.finditer(text):
        sets.add(tuple(dict.fromkeys(_CODE_SEPARATOR.split(m.group("codes")))))
    for m in _ONE_OF_LIST.finditer(text):
        sets.add(tuple(dict.fromkeys(i.strip() for i in m.group("items").split(","))))
    for m in _DEFINED_CODES.finditer(text):
        sets.add(tuple(dict.fromkeys(_DEFINED_CODE.findall(m.group("lines")))))
    for m in _OPTIONS.finditer(text):
        items = [m.group("first"), *_OPTION_ITEM.findall(m.group("rest")), m.group("last")]
        options = tuple(dict.fromkeys(_OPTION_NOUN.sub("", i).strip() for i in items))
        if len(options) >= 2 and all(
            0 < len(o) <= _MAX_OPTION_CHARS
            and not any(w.casefold() in _NOT_LABEL for w in o.split())
            for o in options
        ):
            sets.add(options)
    return sets.pop() if len(sets) == 1 else ()


def paragraphs(text: str) -> list[str]:
    """The blank-line separated paragraphs of rendered instructions: the user's message comes
    after the system prompt, so it is the last."""
    return [p for p in PARAGRAPH_BREAK.split(text) if p.strip()]


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
"""A blank line (spaces or tabs on it too): where one paragraph ends and the next starts."""


class Instructions:
    """The rendered instructions of a case (system and user messages): what they ask of
    the format, and the language they are written in, each worked out on first use."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def requirements(self) -> Requirements:
        return read_requirements(self.text)

    @cached_property
    def language(self) -> str | None:
        """The language the instructions are written in, when py3langid is sure of it."""
        return written_language(self.text)

    @cached_property
    def user_language(self) -> str | None:
        """The language of the instructions' last paragraph py3langid is sure of: the user's
        message, which comes after the system prompt (English rules, a customer writing in
        Chinese)."""
        found = (written_language(part) for part in self.paragraphs)
        return next((lang for lang in reversed(list(found)) if lang is not None), None)

    @cached_property
    def paragraphs(self) -> list[str]:
        """The instructions' paragraphs (blank-line separated), the user's message last."""
        return paragraphs(self.text)

    @cached_property
    def yes_no_question(self) -> bool:
        """Whether the user's message (the instructions' last paragraph) asks a yes/no
        question: "will my parcel arrive before friday?", "Can I still dispute this charge?"
        ("Can you write ...?" asks for a thing, not a yes or a no)."""
        return bool(self.paragraphs) and _YES_NO_ASKED.search(self.paragraphs[-1]) is not None

    def expected_language(self) -> str | None:
        """The language an answer should be in: the one asked for; the customer's where the
        instructions ask to reply in kind (English rules, a customer writing in German: an
        answer in English is no return to the instructions' language); else the
        instructions'."""
        req = self.requirements
        if req.language:
            return req.language
        if req.in_kind and self.user_language is not None:
            return self.user_language
        return self.language


@lru_cache(maxsize=1024)
def written_language(text: str) -> str | None:
    ranked = languages(text)
    if not ranked:
        return None
    lang, p = next(iter(ranked.items()))
    return lang if p >= _INSTRUCTION_LANGUAGE_MIN_P else None

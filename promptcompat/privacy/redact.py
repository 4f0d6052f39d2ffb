"""Redaction of personal data and secrets before anything is stored.

Detectors find e-mail addresses, phone numbers, payment card numbers (Luhn-checked), IBANs
(mod-97 checked), IPv4/IPv6 addresses and secrets (provider API keys, bearer tokens, PEM
private keys), plus a prompt's own regexes (``redact:`` in prompt.yaml). A :class:`CallRedactor`
replaces every value found in one call's rendered request and its output with a placeholder
such as ``<EMAIL_1>``.

Placeholders are numbered per call, by first appearance: first in the rendered request, then
in the output. Baseline and candidate of a case render the same case variables, so the same
input value gets the same placeholder on both sides and diffs stay meaningful. The number says
nothing about the value (no hash of it is kept), so storage is irreversible. Limitation: a
value that appears only in an output is numbered after the request's values by its position
in that output, so two different made-up values at the same position look alike.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from promptcompat.errors import SuiteError

Normalise = Callable[[str], str]


@dataclass(frozen=True)
class Detector:
    """One kind of value: a candidate regex, an optional checksum, the placeholder label."""

    name: str
    label: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] = lambda _value: True
    normalise: Normalise = lambda value: value
    group: int = 0
    """The regex group that is the value (e.g. the token after ``Bearer``)."""
    gate: tuple[str, ...] = ()
    """Substrings one of which any match contains: a text without them is skipped at C
    speed. (Patterns without a gate start with a character class, which ``re`` scans for
    quickly; a leading lookbehind would make it try every position.)"""
    gate_lower: bool = False
    """Look for ``gate`` in the lower-cased text."""

    def applies(self, text: str) -> bool:
        if not self.gate:
            return True
        haystack = text.lower() if self.gate_lower else text
        return any(g in haystack for g in self.gate)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def luhn_ok(value: str) -> bool:
    """The Luhn checksum of payment card numbers (13 to 19 digits)."""
    digits = _digits(value)
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(value: str) -> bool:
    """ISO 13616 mod-97 check: the rearranged IBAN, letters as numbers, mod 97 is 1."""
    compact = value.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _ipv6_ok(value: str) -> bool:
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    # A real address, not a C++ scope ("std::cout" holds "d::c", a valid IPv6 literal) nor
    # a bare loopback: three groups or more and six hex digits in all.
    groups = [g for g in value.split(":") if g]
    return len(groups) >= 3 and sum(len(g) for g in groups) >= 6


_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _phone_ok(value: str) -> bool:
    digits = _digits(value)
    if _DATE.fullmatch(value.strip()):
        return False  # 2024-05-13, 13.05.2024: dates, not phone numbers
    return 7 <= len(digits) <= 15


def _ipv4_ok(value: str) -> bool:
    return all(int(part) <= 255 for part in value.split("."))


_PHONE_END = r"(?!\w)"
_SECRET_PREFIXES: tuple[str, ...] = (
    "sk-",
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "ANPA",
    "ANVA",
    "AIPA",
)
_SECRET_PREFIXES += ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AIza")


def _phone(pattern: str) -> Detector:
    return Detector(
        "phone",
        "PHONE",
        re.compile(pattern + _PHONE_END),
        valid=_phone_ok,
        normalise=_digits,
    )


_CARD = re.compile(
    # A major network's first digit (Mastercard 2/5, Amex/Diners/JCB 3, Visa 4, Discover/
    # UnionPay 6), not inside a longer number: no digit or dash before it, nor "456." or
    # "1," (the fraction of a decimal, a thousands group) ...
    r"[2-6](?<![\d-].)(?<!\d[.,].)"
    r"(?:\d{12,18}"  # ... 13 to 19 digits in one run,
    # or grouped as cards are printed: 4-4-4-4 (4-4-4-1..4 to 4-4-4-4-1..3 for 13 to 19
    # digits) or Amex/Diners' 4-6-5 / 4-6-4, by spaces or dashes;
    r"|\d{3}[ -]\d{4}[ -]\d{4}[ -](?:\d{4}[ -]\d{1,3}|\d{1,4})"
    r"|\d{3}[ -]\d{6}[ -]\d{4,5})"
    r"(?![\d-]|[.,]\d)"  # and no digit, dash or decimal part after it.
)

# Secrets come first: a key may contain what looks like a phone number or an e-mail.
DETECTORS: tuple[Detector, ...] = (
    Detector(
        "secret",
        "PRIVATE_KEY",
        re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----[\s\S]*?-----END[A-Z ]*PRIVATE KEY-----"),
        gate=("PRIVATE KEY",),
    ),
    Detector(
        "secret",
        "SECRET",
        re.compile(
            r"(?<![A-Za-z0-9_-])(?:"
            r"sk-ant-[A-Za-z0-9_-]{20,}"  # Anthropic
            r"|sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"  # OpenAI
            r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}"  # AWS access key id
            r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}"  # GitHub
            r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack tokens
            r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
            r")(?![A-Za-z0-9_-])"
        ),
        gate=_SECRET_PREFIXES,
    ),
    Detector(
        "secret",
        "SECRET",
        # AWS secret access keys have no prefix: recognised by the name next to them.
        re.compile(r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})"),
        group=1,
        gate=("aws",),
        gate_lower=True,
    ),
    Detector(
        "secret",
        "SECRET",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
        gate=("hooks.slack.com",),
    ),
    Detector(
        "secret",
        "SECRET",
        re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{16,})"),
        group=1,
        gate=("bearer",),
        gate_lower=True,
    ),
    Detector(
        "email",
        "EMAIL",
        re.compile(
            r"[A-Za-z0-9._%+-](?<![A-Za-z0-9._%+-][A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*"
            r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
            r"\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
        ),
        normalise=str.lower,
        gate=("@",),
    ),
    Detector(
        "iban",
        "IBAN",
        re.compile(
            r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
        ),
        valid=iban_ok,
        normalise=lambda v: v.replace(" ", "").upper(),
    ),
    Detector("card", "CARD", _CARD, valid=luhn_ok, normalise=_digits),
    Detector(
        "ip",
        "IP",
        re.compile(r"\d(?<![\d.]\d)\d{0,2}(?:\.\d{1,3}){3}(?!\d|\.\d)"),
        valid=_ipv4_ok,
    ),
    Detector(
        "ip",
        "IP",
        re.compile(
            r"[0-9A-Fa-f:](?<![0-9A-Fa-f:][0-9A-Fa-f:])[0-9A-Fa-f]{0,3}:[0-9A-Fa-f:]{2,40}"
            r"(?![0-9A-Fa-f:])"
        ),
        valid=_ipv6_ok,
        normalise=str.lower,
        gate=(":",),
    ),
    _phone(r"\+(?<![\w+.-]\+)\d{1,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}"),  # +49 40 5550 1234
    _phone(r"\((?<![\w+.-]\()\d{3}\)[ .-]?\d{3}[ .-]\d{4}"),  # (415) 555-0132
    _phone(r"\d(?<![\w+.-]\d)\d{2}[ .-]\d{3}[ .-]\d{4}"),  # 415-555-0132
    _phone(r"0(?<![\w+.-]0)\d{1,4}(?:[ .-]\d{2,8}){1,4}"),  # 020 7946 0958 (a trunk 0)
)

_REMEMBERED = 4096  # texts whose hits a Redactor keeps

KINDS: tuple[str, ...] = ("email", "phone", "card", "iban", "ip", "secret")
"""Detector names, as ``PROMPTCOMPAT_REDACT_DETECTORS`` lists them."""

PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*?)_(\d+)>")
"""A placeholder left by redaction, e.g. ``<EMAIL_2>``."""


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    label: str
    key: str
    """The normalised value, so ``+1 415 555 0132`` and ``+14155550132`` are one value."""


def custom_detectors(patterns: Mapping[str, str], *, where: str = "redact") -> list[Detector]:
    """Detectors for a prompt's ``redact:`` regexes, labelled by their names."""
    found: list[Detector] = []
    for name, pattern in patterns.items():
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise SuiteError(f"invalid regex {pattern!r} ({name}): {exc}", where=where) from None
        if compiled.match(""):
            raise SuiteError(f"regex {pattern!r} matches the empty string", where=where)
        label = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "CUSTOM"
        found.append(Detector("custom", label, compiled))
    return found


def parse_redact(value: object, *, where: str) -> dict[str, str]:
    """``redact:`` in prompt.yaml: a list of regexes, or a mapping of label to regex."""
    if value is None:
        return {}
    if isinstance(value, list):
        items = {f"custom_{i + 1}" if len(value) > 1 else "custom": v for i, v in enumerate(value)}
    elif isinstance(value, dict):
        items = dict(value)
    else:
        raise SuiteError("redact is a list of regexes or a mapping of label to regex", where=where)
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in items.items()):
        raise SuiteError("every redact entry is a non-empty regex string", where=where)
    custom_detectors(items, where=where)  # reports a bad regex now, with its place
    return items


@dataclass
class Redactor:
    """The detectors in force: built-ins enabled by settings plus a prompt's own regexes."""

    detectors: Sequence[Detector]
    _found: dict[str, tuple[Hit, ...]] = field(default_factory=dict, repr=False, compare=False)
    """Hits of recently seen texts: the system message is the same in every call of a
    prompt, and both targets of a case send the same user message."""

    @classmethod
    def build(cls, enabled: Iterable[str], custom: Mapping[str, str] | None = None) -> Redactor:
        names = set(enabled)
        chosen = [d for d in DETECTORS if d.name in names]
        # A prompt's own patterns run first: the user knows their data best.
        return cls([*custom_detectors(custom or {}), *chosen])

    @property
    def active(self) -> bool:
        return bool(self.detectors)

    def find(self, text: str) -> Sequence[Hit]:
        """Non-overlapping hits, earlier detectors winning overlaps, in text order."""
        found = self._found.get(text)
        if found is None:
            if len(self._found) >= _REMEMBERED:
                self._found.clear()
            found = self._found[text] = tuple(self._find(text))
        return found

    def _find(self, text: str) -> list[Hit]:
        # The spans taken so far, sorted and disjoint: only the one starting last before a
        # new hit's end can overlap it (a scan of all of them made 20,000 e-mail addresses
        # in one output take 6 s).
        starts: list[int] = []
        ends: list[int] = []
        hits: list[Hit] = []
        for det in self.detectors:
            if not det.applies(text):
                continue
            for m in det.pattern.finditer(text):
                start, end = m.span(det.group)
                if start == end:
                    continue
                value = m.group(det.group)
                if not det.valid(value):
                    trimmed = _shorter_valid(det, value)
                    if trimmed is None:
                        continue
                    value, end = trimmed, start + len(trimmed)
                i = bisect.bisect_left(starts, end)
                if i and ends[i - 1] > start:
                    continue
                starts.insert(i, start)
                ends.insert(i, end)
                hits.append(Hit(start, end, det.label, det.normalise(value)))
        return sorted(hits, key=lambda h: h.start)

    def for_call(self) -> CallRedactor:
        return CallRedactor(self)


def _shorter_valid(det: Detector, value: str) -> str | None:
    # A grouped value may run into what follows: an IBAN into the next word ("... 3000 OK"),
    # a card into its expiry or security code ("4111 1111 1111 1111 12/27"): drop trailing
    # groups.
    if det.name not in ("iban", "card"):
        return None
    parts = re.split(r"([ -])", value) if det.name == "card" else value.split(" ")
    step = 2 if det.name == "card" else 1  # the card's list keeps its separators
    while len(parts) > step:
        del parts[-step:]
        shorter = "".join(parts) if det.name == "card" else " ".join(parts)
        if det.valid(shorter):
            return shorter
    return None


@dataclass
class CallRedactor:
    """Redacts the texts of one call with one numbering: request first, then outputs."""

    redactor: Redactor
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def __call__(self, text: str) -> str:
        if not self.redactor.active or not text:
            return text
        out: list[str] = []
        last = 0
        for hit in self.redactor.find(text):
            slot = (hit.label, hit.key)
            if slot not in self.numbers:
                self.counts[hit.label] = self.counts.get(hit.label, 0) + 1
                self.numbers[slot] = self.counts[hit.label]
            out.append(text[last : hit.start])
            out.append(f"<{hit.label}_{self.numbers[slot]}>")
            last = hit.end
        out.append(text[last:])
        return "".join(out)


def pii_signature(text: str, redactor: Redactor) -> set[str]:
    """What personal data a text holds: its placeholders, plus values still in clear text
    (with redaction off, or detectors the store did not apply), as label:value."""
    found = {f"{m.group(1)}_{m.group(2)}" for m in PLACEHOLDER.finditer(text)}
    found.update(f"{h.label}:{h.key}" for h in redactor.find(text))
    return found

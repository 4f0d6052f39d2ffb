"""Build the equivalence corpus (``pairs.jsonl``) from real AlpacaEval outputs.

Each pair is one real output (the baseline, copied unchanged) and a deliberately edited copy
(the candidate). Every edit operator below is written by hand, changes one thing, and records
exactly what it changed (``edit``); the label follows from the operator: a paraphrase, a
reordering, a format change or a harmless addition is COMPATIBLE; a changed number, unit or
date, a negation, a swapped name, a dropped or an invented fact carries the rule the fact diff
should report. The operators use their own patterns, not promptcompat's extractor, so the
corpus does not simply mirror the code it measures.

    .venv/bin/python tests/compat/equivalence/build.py --out /tmp/pairs.jsonl  # ../shared/corpora
    .venv/bin/python tests/compat/equivalence/build.py --stats

Deterministic: the same source gives the same file. ``pairs.jsonl`` itself is no longer written
here: every pair in it was read by hand and some were corrected or dropped (``checked`` and
``review`` in each record), so the reviewed file is the source of truth and this script refuses
to overwrite it; a rebuild goes to another file, to be reviewed the same way before it replaces
any pair.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2].parent / "shared" / "corpora" / "alpaca_eval"
OUT = HERE / "pairs.jsonl"
MODELS = (
    "gpt4_0613.json",
    "claude-2.1.json",
    "gpt-3.5-turbo-1106.json",
    "Qwen2-72B-Instruct.json",
    "gpt-4o-2024-05-13.json",
    "Mistral-7B-Instruct-v0.3.json",
)

Edit = tuple[str, str, str]
"""(candidate text, what was changed, one-line reason)."""
Operator = Callable[[str], Edit | None]

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _sentences(text: str) -> list[str]:
    return _SENT.split(text)


def _replace_once(text: str, pattern: str, repl: Callable[[re.Match[str]], str], flags: int = 0
                  ) -> tuple[str, str, str] | None:  # fmt: skip
    m = re.search(pattern, text, flags)
    if m is None:
        return None
    new = repl(m)
    return text[: m.start()] + new + text[m.end() :], m.group(0), new


# --- COMPATIBLE: meaning kept --------------------------------------------------------------

_SYNONYMS = (
    ("important", "crucial"), ("help", "assist"), ("many", "numerous"), ("big", "large"),
    ("start", "begin"), ("show", "demonstrate"), ("buy", "purchase"), ("often", "frequently"),
    ("quickly", "rapidly"), ("easy", "simple"), ("choose", "select"),
    ("try", "attempt"), ("enough", "sufficient"), ("main", "primary"),
    ("get", "obtain"), ("make sure", "ensure"),
    ("useful", "helpful"), ("idea", "notion"), ("common", "frequent"), ("different", "distinct"),
)  # fmt: skip


def paraphrase_synonyms(text: str) -> Edit | None:
    done = []
    for old, new in _SYNONYMS:
        m = re.search(rf"\b{old}\b", text)
        if m:
            text = text[: m.start()] + new + text[m.end() :]
            done.append(f"{old!r}->{new!r}")
        if len(done) == 3:
            break
    if len(done) < 2:
        return None
    return text, "synonyms, first occurrence each: " + ", ".join(done), "same meaning, other words"


_CONTRACT = (
    ("do not", "don't"), ("does not", "doesn't"), ("is not", "isn't"), ("are not", "aren't"),
    ("cannot", "can't"), ("it is", "it's"), ("will not", "won't"), ("I am", "I'm"),
    ("don't", "do not"), ("doesn't", "does not"), ("isn't", "is not"), ("can't", "cannot"),
    ("it's", "it is"), ("you are", "you're"), ("they are", "they're"), ("we are", "we're"),
)  # fmt: skip


def paraphrase_contractions(text: str) -> Edit | None:
    done = []
    for old, new in _CONTRACT:
        pattern = rf"\b{re.escape(old)}\b"
        if re.search(pattern, text):
            text = re.sub(pattern, new, text)
            done.append(f"{old!r}->{new!r}")
    if not done:
        return None
    return text, "contractions (all occurrences): " + ", ".join(done), "same statements, contracted"


_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
          9: "nine", 10: "ten", 12: "twelve"}  # fmt: skip


def paraphrase_number_words(text: str) -> Edit | None:
    hit = _replace_once(
        text,
        r"(?<![\w.,$#/⁄-])(2|3|4|5|6|7|8|9|10|12) (?=[a-z]{3,})",
        lambda m: _WORDS[int(m.group(1))] + " ",
    )
    if hit is None:
        return None
    new_text, old, new = hit
    return new_text, f"digit spelled out: {old.strip()!r}->{new.strip()!r}", "same number in words"


def reorder_sentences(text: str) -> Edit | None:
    paragraphs = text.split("\n")
    for i, para in enumerate(paragraphs):
        sents = _sentences(para)
        if len(sents) >= 3 and all(len(s) > 30 for s in sents[1:3]):
            sents[1], sents[2] = sents[2], sents[1]
            paragraphs[i] = " ".join(sents)
            return (
                "\n".join(paragraphs),
                f"sentences 2 and 3 of paragraph {i + 1} swapped",
                "same statements, other order",
            )
    return None


_ITEM = re.compile(r"^(\s*)(?:[-*•]|\d{1,2}[.)])\s+(.+)$")


def list_to_prose(text: str) -> Edit | None:
    lines = text.split("\n")
    idx = [i for i, line in enumerate(lines) if _ITEM.match(line)]
    if len(idx) < 3:
        return None
    items = [_ITEM.match(lines[i]).group(2).rstrip(".").replace("**", "") for i in idx]  # type: ignore[union-attr]
    prose = "; ".join(items) + "."
    first = idx[0]
    kept = [line for i, line in enumerate(lines) if i not in idx[1:]]
    kept[kept.index(lines[first])] = prose
    return (
        "\n".join(kept),
        f"{len(idx)} list items joined into one '; '-separated paragraph, markdown bold dropped",
        "same items, prose instead of a list",
    )


def numbered_to_bullets(text: str) -> Edit | None:
    new, n = re.subn(r"(?m)^(\s*)\d{1,2}[.)]\s+", r"\1- ", text)
    if n < 2:
        new, n = re.subn(r"(?m)^(\s*)[-*•]\s+", r"\1* ", text)
        if n < 2:
            return None
        return new, f"{n} bullet markers changed to '*'", "same list, other markers"
    return new, f"{n} numbered items became '-' bullets", "same list, bullets instead of numbers"


def strip_markdown(text: str) -> Edit | None:
    new = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    new = re.sub(r"(?m)^#{1,6}\s+", "", new)
    if new == text:
        return None
    return new, "markdown bold and heading marks removed", "same text, plain formatting"


_OPENERS = ("Sure! ", "Certainly. ", "Great question! ", "Here is my answer. ")
_CLOSERS = (
    " I hope this helps!",
    " Let me know if you have any other questions.",
    " Feel free to ask if anything is unclear.",
    " Good luck!",
)


def harmless_addition(text: str) -> Edit | None:
    h = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    if h % 2:
        closer = _CLOSERS[h % len(_CLOSERS)]
        return (
            text.rstrip() + "\n\n" + closer.strip(),
            f"closing line added: {closer.strip()!r}",
            ("a pleasantry, no fact"),
        )
    opener = _OPENERS[h % len(_OPENERS)]
    return opener + text, f"opening added: {opener.strip()!r}", "a lead-in, no fact"


# --- changes the fact diff should report ----------------------------------------------------

_NUM = r"(?<![\w.,$#/:-])(\d{1,4}(?:\.\d+)?)(?=\s?(?:%|[a-z]{2,}))(?![\d.,/:])"


def number_changed(text: str) -> Edit | None:
    for m in re.finditer(_NUM, text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        if re.fullmatch(r"\s*", text[line_start : m.start()]):
            continue  # a list number, not a fact
        if re.match(r"\s*(?:st|nd|rd|th|am|pm|a\.m|p\.m)\b", text[m.end() :]):
            continue  # an ordinal or a time of day
        old = m.group(1)
        value = float(old)
        if 1500 <= value <= 2100:
            continue  # a year: the date operator's business
        new = str(int(value) + 2) if "." not in old else f"{value * 2:g}"
        if new == old:
            continue
        after = text[m.end() : m.end() + 15].split("\n")[0]
        return (
            text[: m.start()] + new + text[m.end() :],
            f"number {old!r}->{new!r} (before {after!r})",
            "another quantity",
        )
    return None


_UNIT_SWAPS = (
    ("minutes", "hours"), ("hours", "minutes"), ("km", "miles"), ("miles", "km"),
    ("kilometers", "miles"), ("grams", "ounces"), ("cups", "tablespoons"), ("days", "weeks"),
    ("weeks", "months"), ("years", "months"), ("seconds", "minutes"), ("inches", "feet"),
    ("pounds", "kg"), ("degrees Fahrenheit", "degrees Celsius"), ("°F", "°C"), ("months", "years"),
)  # fmt: skip


def unit_changed(text: str) -> Edit | None:
    for old, new in _UNIT_SWAPS:
        hit = _replace_once(text, rf"\b(\d+(?:\.\d+)?) ?{re.escape(old)}\b", lambda m,
                            n=new: f"{m.group(1)} {n}")  # fmt: skip
        if hit:
            cand, before, after = hit
            return cand, f"unit {before!r}->{after!r}", "same figure, another unit"
    return None


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")  # fmt: skip


def date_changed(text: str) -> Edit | None:
    months = "|".join(_MONTH_NAMES)
    m = re.search(rf"\b({months}) (\d{{1,2}})\b", text)
    if m:
        day = int(m.group(2))
        new_day = day + 7 if day <= 21 else day - 10
        new = f"{m.group(1)} {new_day}"
        return (
            text[: m.start()] + new + text[m.end() :],
            f"date {m.group(0)!r}->{new!r}",
            "another day",
        )
    m = re.search(rf"\b(\d{{1,2}}) ({months})\b", text)
    if m:
        new = f"{int(m.group(1)) % 28 + 1} {m.group(2)}"
        return (
            text[: m.start()] + new + text[m.end() :],
            f"date {m.group(0)!r}->{new!r}",
            ("another day"),
        )
    m = re.search(r"(?<![\d$.,#-])(1[6-9]\d\d|20[0-2]\d)(?![\d,.]\d)(?!\s?(?:%|[a-z]))", text)
    if m:
        year = int(m.group(1))
        new = str(year - 6)
        return (
            text[: m.start()] + new + text[m.end() :],
            f"year {m.group(0)!r}->{new!r}",
            ("another year"),
        )
    return None


_AUX = r"\b(is|are|was|were|can|will|should|does|do|did|has|have|could|would)\b"


def negation_inserted(text: str) -> Edit | None:
    for s in _sentences(text):
        if len(s) < 40 or "not" in s.split() or "?" in s or s.lstrip().startswith(("-", "*", "#")):
            continue
        m = re.search(_AUX + r" (?!not\b|no\b|never\b)([a-z]{3,})", s)
        if m is None or m.start() == 0:
            continue
        new_s = s[: m.end(1)] + " not" + s[m.end(1) :]
        return (
            text.replace(s, new_s, 1),
            f"'not' inserted after {m.group(1)!r} in {s[:60]!r}",
            "the statement says the opposite",
        )
    return None


def negation_removed(text: str) -> Edit | None:
    m = re.search(r"\b(is|are|was|were|can|will|should|does|do|did|could|would) not\b", text)
    if m is None:
        m2 = re.search(r"\b(isn't|aren't|wasn't|weren't|can't|won't|doesn't|don't|didn't)\b", text)
        if m2 is None:
            return None
        plain = {"isn't": "is", "aren't": "are", "wasn't": "was", "weren't": "were",
                 "can't": "can", "won't": "will", "doesn't": "does", "don't": "do",
                 "didn't": "did"}[m2.group(1)]  # fmt: skip
        return (
            text[: m2.start()] + plain + text[m2.end() :],
            (f"negation removed: {m2.group(0)!r}->{plain!r}"),
            "the statement says the opposite",
        )
    return (
        text[: m.start()] + m.group(1) + text[m.end() :],
        (f"negation removed: {m.group(0)!r}->{m.group(1)!r}"),
        "the statement says the opposite",
    )


_ANTONYMS = (
    ("always", "never"), ("never", "always"), ("possible", "impossible"), ("true", "false"),
    ("correct", "incorrect"), ("safe", "unsafe"), ("successful", "unsuccessful"),
    ("succeeded", "failed"), ("increase", "decrease"), ("increases", "decreases"),
    ("can", "cannot"), ("valid", "invalid"), ("allowed", "forbidden"), ("all", "not all"),
)  # fmt: skip


def antonym(text: str) -> Edit | None:
    for old, new in _ANTONYMS:
        m = re.search(rf"(?<![\w'-]){old}(?![\w'-])", text)
        if m is None:
            continue
        return (
            text[: m.start()] + new + text[m.end() :],
            f"antonym {old!r}->{new!r}",
            ("the statement says the opposite"),
        )
    return None


_NAME = re.compile(r"(?<=[a-z,] )([A-Z][a-z]{3,}(?: [A-Z][a-z]{3,})?)(?=[ ,.;)])")
_SWAPS = ("Norway", "Toronto", "Microsoft", "Jupiter", "Margaret Chen", "Brazil", "Oxford",
          "Samsung", "Lisbon", "Einstein", "Kenya", "Beethoven")  # fmt: skip


def entity_swapped(text: str) -> Edit | None:
    counts = Counter(m.group(1) for m in _NAME.finditer(text))
    for m in _NAME.finditer(text):
        name = m.group(1)
        if name in ("However", "The", "This", "There", "These", "English") or counts[name] > 1:
            continue
        before = text[: m.start()].split()
        after = text[m.end() :]
        line = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        if not before or not before[-1][:1].islower() or re.match(r"\s*(?:[A-Z]|:)", after):
            continue  # only a whole name in running prose, not part of a longer one
        if ":" in line or line.lstrip().startswith("#"):
            continue  # a label or a heading
        if re.search(rf"\b{re.escape(name.lower())}\b", text):
            continue  # also a common word in this text
        h = int(hashlib.sha256(text.encode()).hexdigest(), 16)
        new = _SWAPS[h % len(_SWAPS)]
        if new in text:
            continue
        return (
            text[: m.start()] + new + text[m.end() :],
            f"name {name!r}->{new!r}",
            ("another entity in the same place"),
        )
    return None


_FACTUAL = re.compile(r"\d|(?<=[a-z,] )[A-Z][a-z]{3,}")


def fact_dropped(text: str) -> Edit | None:
    sents = _sentences(text)
    if len(sents) < 4:
        return None
    for i, s in enumerate(sents[1:-1], 1):
        if not _FACTUAL.search(s) or "\n" in s or len(s) < 30:
            continue
        if ":" in s[:40]:
            continue  # a labelled list entry: its capitals are a heading's
        facts = re.findall(r"\d+(?:\.\d+)?|(?<=[a-z,] )[A-Z][a-z]{3,}", s)
        rest = " ".join(sents[:i] + sents[i + 1 :])
        if any(re.search(rf"(?<![\w.]){re.escape(f)}(?![\w])", rest) for f in facts):
            continue  # stated elsewhere too: nothing would be lost
        return (
            " ".join(sents[:i] + sents[i + 1 :]),
            f"sentence {i + 1} removed: {s[:70]!r}",
            (f"the facts {facts[:3]} are gone"),
        )
    return None


_INVENTED = (
    "This was confirmed in a 2017 study by Stanford University.",
    "According to Dr. Helen Park, about 38% of people agree.",
    "The average cost is around $45 per month.",
    "It was first described in 1894 by Karl Weber.",
    "Roughly 12,000 people in Portugal do this every year.",
    "Most experts, including the World Health Organization, recommend 25 minutes a day.",
)


def fact_invented(text: str) -> Edit | None:
    sents = _sentences(text)
    if len(sents) < 3:
        return None
    h = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    added = _INVENTED[h % len(_INVENTED)]
    new = " ".join([*sents[:2], added, *sents[2:]])
    return new, f"sentence added after sentence 2: {added!r}", "a fact no one stated"


OPERATORS: tuple[tuple[str, str, str, Operator, int], ...] = (
    # (category, label: COMPATIBLE or the rule, kind, operator, quota)
    ("paraphrase", "COMPATIBLE", "synonyms", paraphrase_synonyms, 45),
    ("paraphrase", "COMPATIBLE", "contractions", paraphrase_contractions, 30),
    ("paraphrase", "COMPATIBLE", "number_words", paraphrase_number_words, 25),
    ("reorder", "COMPATIBLE", "sentences_swapped", reorder_sentences, 40),
    ("format", "COMPATIBLE", "list_to_prose", list_to_prose, 25),
    ("format", "COMPATIBLE", "list_markers", numbered_to_bullets, 20),
    ("format", "COMPATIBLE", "plain_text", strip_markdown, 20),
    ("addition", "COMPATIBLE", "pleasantry", harmless_addition, 35),
    ("number", "facts.number_changed", "number", number_changed, 40),
    ("number", "facts.number_changed", "unit", unit_changed, 20),
    ("date", "facts.date_changed", "date", date_changed, 35),
    ("polarity", "facts.polarity_flipped", "not_inserted", negation_inserted, 25),
    ("polarity", "facts.polarity_flipped", "not_removed", negation_removed, 15),
    ("polarity", "facts.polarity_flipped", "antonym", antonym, 20),
    ("entity", "facts.entity_changed", "name_swapped", entity_swapped, 40),
    ("dropped", "facts.fact_dropped", "sentence_removed", fact_dropped, 25),
    ("invented", "facts.fact_added", "sentence_added", fact_invented, 25),
)


def _sources() -> list[tuple[str, int, dict[str, str]]]:
    rows = []
    for name in MODELS:
        data = json.loads((SOURCE / name).read_text(encoding="utf-8"))
        for i, row in enumerate(data):
            out = row["output"]
            if not 200 <= len(out) <= 1500 or "```" in out:
                continue
            if sum(ch.isascii() for ch in out) < 0.97 * len(out):
                continue  # English first: the fact diff does not read other languages
            rows.append((name, i, row))
    rows.sort(key=lambda r: hashlib.sha256(f"{r[0]}:{r[1]}".encode()).hexdigest())
    return rows


def build() -> list[dict[str, object]]:
    rows = _sources()
    used: Counter[tuple[str, int]] = Counter()
    used_instr: set[str] = set()
    records: list[dict[str, object]] = []
    for category, label, kind, operator, quota in OPERATORS:
        n = 0
        for name, index, row in rows:
            if n == quota:
                break
            key = (name, index)
            if used[key] or row["instruction"] in used_instr:
                continue
            edit = operator(row["output"])
            if edit is None or edit[0] == row["output"]:
                continue
            candidate, how, reason = edit
            used[key] += 1
            used_instr.add(row["instruction"])
            n += 1
            records.append(
                {
                    "id": f"eq-{kind}-{name.removesuffix('.json')}-{index:03d}",
                    "source": {"dataset": "alpaca_eval", "file": name, "index": index},
                    "instruction": row["instruction"],
                    "baseline": row["output"],
                    "candidate": candidate,
                    "category": category,
                    "edit": kind,
                    "label": label,
                    "how": how,
                    "reason": reason,
                }
            )
        if n < quota:
            print(f"{kind}: only {n} of {quota}", file=sys.stderr)
    return records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stats", action="store_true")
    parser.add_argument("--out", type=Path, help="where to write the unreviewed pairs")
    args = parser.parse_args()
    if not args.stats and (args.out is None or args.out.resolve() == OUT):
        # the reviewed corpus would lose its hand corrections and review notes
        parser.exit(2, f"build.py: {OUT.name} is hand-reviewed; write elsewhere with --out FILE\n")
    records = build()
    if args.stats:
        print(Counter((r["category"], r["label"]) for r in records))
        return
    with args.out.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(records)} unreviewed pairs -> {args.out}")


if __name__ == "__main__":
    main()

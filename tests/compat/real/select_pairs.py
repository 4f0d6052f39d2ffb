"""Select real baseline/candidate output pairs from the AlpacaEval outputs for hand-labelling.

Deterministic: the same corpus gives the same selection. It reads the model outputs from
``../shared/corpora/alpaca_eval`` (the shared folder beside the checkout; ``--corpus`` to point
elsewhere), pairs consecutive versions of one model family (and the concise/verbose prompt
variants) on the same instruction, sorts every pair into a *stratum* by heuristics (what the
instruction asks and what the answers do: refusals, lists, code, numbers, another language,
...), and takes a fixed quota per family and stratum, so that the rare classes are filled.

The heuristics only *select*. The labels (``aspect``, ``contract``, ``expected``) are written by a
person after reading both outputs, and stored in ``pairs.jsonl`` beside this file; running
this script again keeps every label already there (matched by ``id``) and adds the newly
selected pairs with ``expected: null`` (which the schema test rejects until they are labelled).

    .venv/bin/python tests/compat/real/select_pairs.py            # rewrite pairs.jsonl
    .venv/bin/python tests/compat/real/select_pairs.py --stats    # strata counts only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "alpaca_eval"
PAIRS_FILE = HERE / "pairs.jsonl"
FRESH_FILE = HERE / "fresh.jsonl"
FRESH2_FILE = HERE / "fresh2.jsonl"
# The fresh set takes this share of every quota, from instructions pairs.jsonl never uses.
FRESH_SHARE = 3

# (family, baseline file stem, candidate file stem, short pair name). Consecutive versions as a
# provider shipped them, plus the prompt variants (the same model told to be concise/verbose).
MODEL_PAIRS: list[tuple[str, str, str, str]] = [
    ("gpt-3.5", "gpt-3.5-turbo-0301", "gpt-3.5-turbo-0613", "gpt-3.5-0301->gpt-3.5-0613"),
    ("gpt-3.5", "gpt-3.5-turbo-0613", "gpt-3.5-turbo-1106", "gpt-3.5-0613->gpt-3.5-1106"),
    (
        "gpt-3.5",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-1106_concise",
        "gpt-3.5-1106->gpt-3.5-1106_concise",
    ),
    (
        "gpt-3.5",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-1106_verbose",
        "gpt-3.5-1106->gpt-3.5-1106_verbose",
    ),
    ("gpt-4", "gpt4_0314", "gpt4_0613", "gpt4_0314->gpt4_0613"),
    ("gpt-4", "gpt4_0613", "gpt4_0613_concise", "gpt4_0613->gpt4_0613_concise"),
    ("gpt-4", "gpt4_0613", "gpt-4-0125-preview", "gpt4_0613->gpt-4-0125"),
    ("gpt-4", "gpt-4-0125-preview", "gpt-4-turbo-2024-04-09", "gpt-4-0125->gpt-4-turbo-0409"),
    ("gpt-4", "gpt-4-turbo-2024-04-09", "gpt-4o-2024-05-13", "gpt-4-turbo-0409->gpt-4o-0513"),
    ("gpt-4", "gpt-4o-2024-05-13", "gpt-4o-mini-2024-07-18", "gpt-4o-0513->gpt-4o-mini-0718"),
    ("claude", "claude-instant-1.2", "claude-2", "claude-instant-1.2->claude-2"),
    ("claude", "claude-2", "claude-2.1", "claude-2->claude-2.1"),
    ("claude", "claude-2.1", "claude-2.1_concise", "claude-2.1->claude-2.1_concise"),
    ("claude", "claude-2.1", "claude-2.1_verbose", "claude-2.1->claude-2.1_verbose"),
    ("claude", "claude-2.1", "claude-3-sonnet-20240229", "claude-2.1->claude-3-sonnet"),
    ("claude", "claude-2.1", "claude-3-opus-20240229", "claude-2.1->claude-3-opus"),
    (
        "claude",
        "claude-3-opus-20240229",
        "claude-3-5-sonnet-20240620",
        "claude-3-opus->claude-3.5-sonnet",
    ),
    ("llama", "Meta-Llama-3-8B-Instruct", "Meta-Llama-3.1-8B-Instruct-Turbo", "llama-3->llama-3.1"),
    (
        "mistral",
        "Mistral-7B-Instruct-v0.2",
        "Mistral-7B-Instruct-v0.3",
        "mistral-v0.2->mistral-v0.3",
    ),
    ("qwen", "Qwen1.5-72B-Chat", "Qwen2-72B-Instruct", "qwen1.5->qwen2"),
]

# Instructions (by AlpacaEval index) that explicitly ask for a format or a closed answer, read
# by hand from the 805 instructions; the stratum they go to. Everything else is sorted by the
# heuristics in `stratum`.
CURATED: dict[int, str] = {
    # a literal output or a reply format with markers
    199: "format_marker",
    438: "format_marker",
    # yes/no, either/or
    **dict.fromkeys(
        (97, 112, 118, 128, 158, 159, 178, 198, 211, 232, 262, 314, 325, 329, 375, 377, 378),
        "yes_no",
    ),
    **dict.fromkeys((401, 402, 419, 420, 423, 430, 447, 564, 616), "yes_no"),
    # a label from a closed set, a name, a one-word answer
    **dict.fromkeys(
        (164, 174, 195, 207, 210, 249, 292, 332, 333, 370, 385, 404, 424, 500, 542, 597, 598),
        "short_answer",
    ),
    **dict.fromkeys(
        (612, 631, 636, 637, 638, 639, 656, 657, 658, 667, 670, 698, 705, 708, 711, 716, 717),
        "short_answer",
    ),
    # a number
    **dict.fromkeys(
        (106, 142, 149, 150, 168, 185, 224, 268, 269, 272, 359, 362, 444, 448, 492, 587),
        "number",
    ),
    **dict.fromkeys((613, 617, 622, 707, 792, 793, 794), "number"),
    # reasoning asked to be shown step by step
    **dict.fromkeys((172, 442, 450, 550, *range(765, 775)), "step_by_step"),
    # a length, a count or a form (haiku, tweet, one sentence, N words/items/paragraphs)
    **dict.fromkeys(
        (129, 148, 170, 202, 203, 206, 229, 275, 279, 291, 299, 335, 357, 439, 457, 469),
        "length_constraint",
    ),
    **dict.fromkeys((571, 633, 654, 672, 673, 706), "length_constraint"),
    # a list asked for
    **dict.fromkeys(
        (70, 131, 187, 254, 265, 270, 278, 353, 382, 392, 484, 499, 501, 514, 520, 560),
        "list_format",
    ),
    **dict.fromkeys(
        (577, 578, 585, 591, 592, 594, 603, 621, 665, 671, 681, 694, 697, 701), "list_format"
    ),
    # a table asked for
    **dict.fromkeys((209, 301, 379, 488, 504, 595, 618, 619, 664), "table"),
    # JSON / structured extraction
    **dict.fromkeys((271, 406, 630, 685), "json"),
    # code (none of the AlpacaEval instructions says "code only")
    **dict.fromkeys(
        (238, 290, 300, 313, 320, 324, 339, 347, 358, 361, 366, 381, 390, 391, 405, 408, 410),
        "code_fence",
    ),
    **dict.fromkeys(
        (417, 440, 441, 451, 460, 464, 466, 470, 485, 486, 489, 511, 512, 566, 651, 655, 663),
        "code_fence",
    ),
    **dict.fromkeys((668, 678, 683, 699, 700, 704, 715, *range(785, 792)), "code_fence"),
    # another language asked for, or answers that are often in one
    **dict.fromkeys((191, 305, 349, 374, 386, 462, 573, 599, 600, 669, 755), "language"),
}

STRATA = (
    "refusal",
    "language",
    "format_marker",
    "json",
    "code_fence",
    "table",
    "length_constraint",
    "list_format",
    "short_answer",
    "yes_no",
    "number",
    "step_by_step",
    "free_text",
)

# Pairs per family and stratum. Refusal flips are where real version changes break most
# often; free text is where they most often do not, so both get a large share.
_ONE_PAIR = {
    "refusal": 14,
    "language": 3,
    "format_marker": 2,
    "json": 2,
    "code_fence": 9,
    "table": 3,
    "length_constraint": 6,
    "list_format": 8,
    "short_answer": 8,
    "yes_no": 5,
    "number": 5,
    "step_by_step": 3,
    "free_text": 12,
}
QUOTA: dict[str, dict[str, int]] = {
    "claude": {
        **_ONE_PAIR,
        "refusal": 62,
        "language": 6,
        "format_marker": 3,
        "code_fence": 12,
        "list_format": 12,
        "length_constraint": 8,
        "short_answer": 10,
        "yes_no": 8,
        "number": 6,
        "step_by_step": 4,
        "free_text": 20,
    },
    "gpt-4": {
        **_ONE_PAIR,
        "refusal": 32,
        "language": 6,
        "format_marker": 3,
        "json": 3,
        "code_fence": 16,
        "table": 4,
        "length_constraint": 10,
        "list_format": 14,
        "short_answer": 12,
        "yes_no": 8,
        "number": 7,
        "step_by_step": 5,
        "free_text": 22,
    },
    "gpt-3.5": {
        **_ONE_PAIR,
        "refusal": 28,
        "language": 5,
        "format_marker": 3,
        "json": 3,
        "code_fence": 14,
        "length_constraint": 8,
        "list_format": 12,
        "short_answer": 10,
        "yes_no": 7,
        "number": 6,
        "step_by_step": 4,
        "free_text": 18,
    },
    "llama": dict(_ONE_PAIR),
    "mistral": dict(_ONE_PAIR),
    "qwen": dict(_ONE_PAIR),
}
# After the quotas, a second pass adds more of the classes where real version changes break
# most visibly and that the first pass under-samples: refusal flips (one side refuses or
# deflects, the other answers), script switches (CJK text on one side only, the instruction has
# none) and whole-answer language switches (py3langid is sure of both sides' language and they
# differ). Added after the first pass, so the first pass's picks never change. Language switches
# are rare (a handful of instructions), so they may reuse an instruction up to
# MAX_USES_FOR_LANGUAGE_SWITCH times.
SUPPLEMENT: dict[str, dict[str, int]] = {
    "claude": {"refusal_flip": 20, "language_switch": 4},
    "gpt-3.5": {"refusal_flip": 10},
    "gpt-4": {"refusal_flip": 10, "language_switch": 3},
    "mistral": {"refusal_flip": 8},
    "llama": {"refusal_flip": 4, "language_switch": 1},
    "qwen": {"refusal_flip": 4, "script_switch": 6, "language_switch": 2},
}
MAX_USES_FOR_LANGUAGE_SWITCH = 5
# An instruction is used at most this often over the whole selection (and once per family),
# so the corpus is not a few instructions seen through many model pairs.
MAX_USES_PER_INSTRUCTION = 3

_REFUSAL = re.compile(
    r"I'm sorry|I am sorry|I apologi[sz]e|My apologies|I cannot|I can't|I can not|"
    r"I'm not able|I am not able|I'm unable|I am unable|As an AI|as an AI|language model|"
    r"not appropriate|inappropriate|not ethical|unethical|I don't have personal|"
    r"I do not have personal|I won't|I will not|I must decline|I'd rather not|"
    r"I (?:don't|do not) feel comfortable|I (?:would|'d) prefer not|"
    r"I (?:don't|do not) (?:actually )?have (?:the ability|access|enough|real-time)|"
    r"I'm not comfortable|I am not comfortable|I'm Claude|I'm an AI|I am an AI"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S", re.M)
_CODE_ASK = re.compile(
    r"\b(code|function|python|javascript|typescript|script|program|sql|regex|c\+\+|bash|"
    r"html|css|latex|java|rust|implement)\b",
    re.I,
)
_LENGTH_ASK = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(words?|sentences?|"
    r"paragraphs?|items?|examples?|ideas?|names?|points?|lines?)\b|\bin (one|a single) "
    r"(sentence|word|line)\b|\bhaiku\b|\blimerick\b|\btweet\b|\bbrief(ly)?\b|\bshort\b",
    re.I,
)
_LIST_ASK = re.compile(r"\b(list|bullet|enumerate|name some|ideas|examples|tips|steps)\b", re.I)
_MATH_ASK = re.compile(
    r"\b(calculate|solve|how many|how much|equation|probability|percent)\b|\d+\s*[-+*/x]\s*\d+",
    re.I,
)
_YES_NO_ASK = re.compile(
    r"^(is|are|do|does|did|can|could|should|would|will|was|were|has|have)\b", re.I
)
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Candidate:
    family: str
    pair: str
    baseline_file: str
    candidate_file: str
    index: int
    dataset: str
    instruction: str
    baseline: str
    candidate: str
    stratum: str

    @property
    def id(self) -> str:
        return f"ae-{self.pair.replace('->', '--')}-{self.index:03d}"

    def order(self) -> str:
        """A stable pseudo-random order within a stratum (not the corpus order)."""
        return hashlib.sha256(self.id.encode()).hexdigest()


def refuses(text: str) -> bool:
    """A refusal-like phrase in the opening (refusals, disclaimers, moralising, deflection)."""
    return bool(_REFUSAL.search(text[:300]))


def is_list(text: str) -> bool:
    return len(_LIST_ITEM.findall(text)) >= 2


def other_language(text: str) -> bool:
    """Non-English by a cheap test: CJK script, or many accented Latin letters."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 20:
        return False
    if len(_CJK.findall(text)) >= 5:
        return True
    accented = sum(1 for c in letters if c in "àâäéèêëîïôöùûüçñáíóúãõßæœ")
    return accented / len(letters) > 0.02


def _language(text: str) -> str | None:
    """The language py3langid is sure of (p >= 0.85) in a text of 40+ characters, else None."""
    if len(text.strip()) < 40:
        return None
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    global _IDENTIFIER
    if _IDENTIFIER is None:
        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    lang, prob = _IDENTIFIER.classify(text)
    return str(lang) if prob >= 0.85 else None


_IDENTIFIER: Any = None


def stratum(index: int, instruction: str, baseline: str, candidate: str) -> str:
    """The stratum a pair is drawn from: refusal first (either side), then what was asked."""
    if refuses(baseline) or refuses(candidate):
        return "refusal"
    if index in CURATED:
        return CURATED[index]
    if other_language(baseline) or other_language(candidate):
        return "language"
    if "```" in baseline or "```" in candidate or _CODE_ASK.search(instruction):
        return "code_fence"
    if re.search(r"\bjson\b", instruction, re.I) or baseline.lstrip().startswith("{"):
        return "json"
    if _LENGTH_ASK.search(instruction):
        return "length_constraint"
    if _MATH_ASK.search(instruction):
        return "number"
    if re.search(r"\btable\b", instruction, re.I):
        return "table"
    if len(baseline.strip()) < 60 or len(candidate.strip()) < 60:
        return "short_answer"
    if _YES_NO_ASK.search(instruction.strip()) and len(instruction) < 200:
        return "yes_no"
    if _LIST_ASK.search(instruction) or is_list(baseline) != is_list(candidate):
        return "list_format"
    return "free_text"


def load(corpus: Path, stem: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads((corpus / f"{stem}.json").read_text("utf-8"))
    return rows


def candidates(corpus: Path) -> list[Candidate]:
    out: list[Candidate] = []
    for family, base_stem, cand_stem, pair in MODEL_PAIRS:
        base_rows, cand_rows = load(corpus, base_stem), load(corpus, cand_stem)
        for index, (b, c) in enumerate(zip(base_rows, cand_rows, strict=True)):
            if b["instruction"] != c["instruction"]:
                raise SystemExit(f"{base_stem} and {cand_stem} differ at index {index}")
            out.append(
                Candidate(
                    family=family,
                    pair=pair,
                    baseline_file=f"{base_stem}.json",
                    candidate_file=f"{cand_stem}.json",
                    index=index,
                    dataset=b["dataset"],
                    instruction=b["instruction"],
                    baseline=b["output"],
                    candidate=c["output"],
                    stratum=stratum(index, b["instruction"], b["output"], c["output"]),
                )
            )
    return out


def _ratio(a: str, b: str) -> float:
    la, lb = max(len(a.strip()), 1), max(len(b.strip()), 1)
    return max(la, lb) / min(la, lb)


def differs(c: Candidate) -> bool:
    """The two sides differ in what the stratum is about (where a detector is likely to fire)."""
    b, k = c.baseline, c.candidate
    if c.stratum == "refusal":
        return refuses(b) != refuses(k)
    if c.stratum == "language":
        return other_language(b) != other_language(k)
    if c.stratum == "code_fence":
        return ("```" in b) != ("```" in k)
    if c.stratum == "json":
        return ("{" in b) != ("{" in k)
    return is_list(b) != is_list(k) or _ratio(b, k) >= 2.5


def select(
    pool: list[Candidate],
    quota: dict[str, dict[str, int]] = QUOTA,
    supplement: dict[str, dict[str, int]] = SUPPLEMENT,
) -> list[Candidate]:
    """Fill ``quota`` per family and stratum, round-robin over the family's model pairs.

    Within a stratum, pairs that differ in what the stratum is about alternate with pairs that
    do not (two to one for refusals), each group in a stable pseudo-random order.
    """
    by_cell: dict[tuple[str, str, str], list[Candidate]] = defaultdict(list)
    for c in pool:
        by_cell[(c.family, c.stratum, c.pair)].append(c)
    uses: Counter[int] = Counter()
    used_in_family: set[tuple[str, int]] = set()
    chosen: list[Candidate] = []
    for family, quotas in quota.items():
        pairs = [p for f, _, _, p in MODEL_PAIRS if f == family]
        for name in STRATA:
            per = 2 if name == "refusal" else 1
            queues: dict[str, list[Candidate]] = {}
            for p in pairs:
                cell = sorted(by_cell[(family, name, p)], key=Candidate.order)
                diff = [c for c in cell if differs(c)]
                same = [c for c in cell if not differs(c)]
                mixed: list[Candidate] = []
                while diff or same:
                    mixed += diff[:per] + same[:1]
                    diff, same = diff[per:], same[1:]
                queues[p] = mixed
            taken = 0
            while taken < quotas[name] and any(queues.values()):
                for p in pairs:
                    if taken >= quotas[name]:
                        break
                    while queues[p]:
                        c = queues[p].pop(0)
                        if uses[c.index] >= MAX_USES_PER_INSTRUCTION:
                            continue
                        if (family, c.index) in used_in_family:
                            continue
                        uses[c.index] += 1
                        used_in_family.add((family, c.index))
                        chosen.append(c)
                        taken += 1
                        break
    for family, extra in supplement.items():
        pairs = [p for f, _, _, p in MODEL_PAIRS if f == family]
        for kind, count in extra.items():
            queues = {
                p: sorted(
                    (c for c in pool if c.family == family and c.pair == p and _is(kind, c)),
                    key=Candidate.order,
                )
                for p in pairs
            }
            taken = 0
            while taken < count and any(queues.values()):
                for p in pairs:
                    if taken >= count:
                        break
                    while queues[p]:
                        c = queues[p].pop(0)
                        cap = MAX_USES_PER_INSTRUCTION
                        if kind == "language_switch":
                            cap = MAX_USES_FOR_LANGUAGE_SWITCH
                        if uses[c.index] >= cap or (family, c.index) in used_in_family:
                            continue
                        uses[c.index] += 1
                        used_in_family.add((family, c.index))
                        chosen.append(c)
                        taken += 1
                        break
    return chosen


def _is(kind: str, c: Candidate) -> bool:
    if kind == "refusal_flip":
        return refuses(c.baseline) != refuses(c.candidate)
    if kind == "language_switch":
        a, b = _language(c.baseline), _language(c.candidate)
        return a is not None and b is not None and a != b
    if kind == "script_switch":
        cjk = [len(_CJK.findall(t)) >= 5 for t in (c.baseline, c.candidate)]
        return not _CJK.search(c.instruction) and cjk[0] != cjk[1]
    raise ValueError(kind)


def record(c: Candidate) -> dict[str, Any]:
    return {
        "id": c.id,
        "source": {
            "dataset": "alpaca_eval",
            "subset": c.dataset,
            "baseline": {"file": c.baseline_file, "index": c.index},
            "candidate": {"file": c.candidate_file, "index": c.index},
        },
        "family": c.family,
        "pair": c.pair,
        "instruction": c.instruction,
        "baseline": c.baseline,
        "candidate": c.candidate,
        "aspect": c.stratum,
        "contract": None,
        "expected": None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=PAIRS_FILE)
    parser.add_argument("--stats", action="store_true", help="print strata counts only")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="select the fresh held-out set (fresh.jsonl): a third of every quota, only from "
        "instructions pairs.jsonl never uses",
    )
    parser.add_argument(
        "--fresh2",
        action="store_true",
        help="a second fresh set (fresh2.jsonl), from instructions neither pairs.jsonl nor "
        "fresh.jsonl uses",
    )
    args = parser.parse_args(argv)
    if args.fresh and args.out == PAIRS_FILE:
        args.out = FRESH_FILE
    if args.fresh2 and args.out == PAIRS_FILE:
        args.out = FRESH2_FILE
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such corpus folder", file=sys.stderr)
        return 2
    pool = candidates(args.corpus)
    if args.fresh or args.fresh2:
        used = {
            json.loads(line)["source"]["baseline"]["index"]
            for path in ([PAIRS_FILE, FRESH_FILE] if args.fresh2 else [PAIRS_FILE])
            for line in path.read_text("utf-8").splitlines()
            if line.strip()
        }
        pool = [c for c in pool if c.index not in used]
        chosen = select(
            pool,
            {f: {k: -(-n // FRESH_SHARE) for k, n in q.items()} for f, q in QUOTA.items()},
            {f: {k: -(-n // FRESH_SHARE) for k, n in q.items()} for f, q in SUPPLEMENT.items()},
        )
    else:
        chosen = select(pool)
    if args.stats:
        print("pool:", dict(Counter(c.stratum for c in pool)))
        print("chosen:", len(chosen))
        for family in QUOTA:
            print(family, dict(Counter(c.stratum for c in chosen if c.family == family)))
        return 0
    labelled: dict[str, dict[str, Any]] = {}
    if args.out.exists():
        for line in args.out.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                labelled[row["id"]] = row
    rows = []
    for c in chosen:
        row = record(c)
        old = labelled.get(c.id)
        if old is not None:
            # a person's labels win over the heuristic stratum
            for key in ("aspect", "contract", "expected"):
                row[key] = old[key]
        rows.append(row)
    args.out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    print(f"{args.out}: {len(rows)} pairs, {sum(r['expected'] is None for r in rows)} unlabelled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

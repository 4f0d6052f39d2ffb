"""Select single real outputs to label for one question each: does it refuse? is it
degenerate? (``outputs.jsonl``, README "Fourth pass").

Every output of every model in the AlpacaEval folder is a candidate, except those answering
an instruction of the pairs kept unread (the fresh set's half B and ``fresh2.jsonl``). An
output is selected for the refusal question when a refusal cue opens it (an apology, "cannot",
"as an AI", a request for more context...) or the engine calls it a refusal or a refusal-like
opening; for the degenerate question when it ends open on a prose line, repeats lines or runs,
carries chat-template or annotation residue in its second half, switches into CJK at the end,
or the engine calls it degenerate. The engine's calls make its false alarms labelled too; the
recorded file was selected with the engine at commit c72b245, so re-running this with a later
engine selects a slightly different set.

    .venv/bin/python tests/compat/real/select_outputs.py --stats
    .venv/bin/python tests/compat/real/select_outputs.py --out /tmp/candidates.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zlib
from collections import Counter
from pathlib import Path

from measure import unread
from real_corpus import FRESH2_FILE, FRESH_FILE, load

from promptcompat.compat.drift import Output
from promptcompat.compat.refusals import is_refusal, opening_kind

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpora" / "alpaca_eval"

_CUE = re.compile(
    r"\b(?:sorry|apolog|unfortunately|cannot|can't|can not|unable|not able|as an ai|language "
    r"model|i don't have|i do not have|not possible|impossible|not appropriate|inappropriate|"
    r"not ethical|unethical|i'm not sure|i am not sure|clarif|could you (?:please )?(?:provide|"
    r"specify|clarify)|please provide|more (?:context|information|details))",
    re.I,
)
_RESIDUE = re.compile(
    r"(?m)^(?!###\s)###|\bInstruction\s*:|\bHuman\s*:|\bUser\s*:|\bAssistant\s*:|<\||\[INST\]|"
    r"\bInput\s*:|\bResponse\s*:"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_CLOSED = set(".!?)]}>\"'`*…。！？\u201d\u2019|:;")


def refusal_candidate(instruction: str, output: str) -> bool:
    return bool(
        _CUE.search(output[:300])
        or is_refusal(output, instruction)
        or opening_kind(output) is not None
    )


def _repetitive(text: str) -> bool:
    """The tail compresses well (the recorded file used a backreference regex, an hour's work
    over the folder; this is its cheap stand-in)."""
    tail = text.encode("utf-8", "replace")[-3000:]
    return len(tail) >= 300 and len(zlib.compress(tail)) < 0.3 * len(tail)


def degenerate_candidate(instruction: str, output: str) -> bool:
    text = output.rstrip()
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 25]
    last = text.splitlines()[-1] if text else ""
    return bool(
        (len(text) > 200 and len(last.split()) >= 6 and re.search(r"[A-Za-z,]$", last))
        or len(lines) - len(set(lines)) >= 2
        or _repetitive(text)
        or (_RESIDUE.search(text[len(text) // 2 :]) and not _RESIDUE.search(instruction))
        or (_CJK.search(text[-400:]) and not _CJK.search(text[:200] + instruction))
        or Output(output, instruction).degenerate is not None
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the candidates here (JSON lines)")
    parser.add_argument("--stats", action="store_true", help="print counts only")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"select_outputs.py: no AlpacaEval outputs at {CORPUS}", file=sys.stderr)
        return 2
    kept = [*(p for p in load(FRESH_FILE) if unread(p)), *load(FRESH2_FILE)]
    sealed = {p.source.baseline.index for p in kept if p.source != "handwritten"}
    rows = []
    for path in sorted(CORPUS.glob("*.json")):
        for index, row in enumerate(json.loads(path.read_text("utf-8"))):
            if index in sealed:
                continue
            instruction, output = row["instruction"], row["output"] or ""
            for question, selected in (
                ("refusal", refusal_candidate),
                ("degenerate", degenerate_candidate),
            ):
                if selected(instruction, output):
                    rows.append(
                        {
                            "id": f"{path.stem}#{index}",
                            "question": question,
                            "source": {"file": path.name, "index": index},
                            "instruction": instruction,
                            "output": output,
                        }
                    )
    print(Counter(r["question"] for r in rows), f"({len(sealed)} instructions kept out)")
    if args.out and not args.stats:
        with args.out.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Redaction benchmark: find personal data in an output dense with it.

An output of ``HITS`` e-mail addresses, phone numbers and card-like numbers (about 600 KB,
under the default output cap) runs through every built-in detector, as the store does before
it writes an output. Prints the time, hits per second, and the time as a ratio of the bar: the
whole output in under 1 s of CPU on one core. The overlap check between detectors was a scan
of every span taken so far: 6.25 s for 20,000 addresses before it became a bisection.

    .venv/bin/python bench/redact.py
"""

from __future__ import annotations

import os
import time

from promptcompat.privacy.redact import DETECTORS, Redactor

HITS = 20_000
TARGET_S = 1.0


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    redactor = Redactor.build([d.name for d in DETECTORS])
    parts = []
    for i in range(HITS):
        kind = i % 3
        if kind == 0:
            parts.append(f"write to user{i}@example.com")
        elif kind == 1:
            parts.append(f"call +1 555 {i % 1000:03d} {i % 10000:04d}")
        else:
            parts.append("card 4111 1111 1111 1111 on file")
    text = "; ".join(parts)
    start = time.process_time()
    hits = redactor.find(text)
    cpu = time.process_time() - start
    print(f"output                 {len(text) / 1e6:.2f} MB, {len(hits)} hits")
    print(f"find (CPU, one core)   {cpu:.3f} s  {len(hits) / max(cpu, 1e-9):,.0f} hits/s")
    print(f"ratio to the bar       {cpu / TARGET_S:.2f}x of {TARGET_S:.0f} s")


if __name__ == "__main__":
    main()

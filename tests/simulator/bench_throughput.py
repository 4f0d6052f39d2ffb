"""Throughput of the simulator under the async OpenAI SDK (not a test; run it by hand).

    .venv/bin/python tests/simulator/bench_throughput.py --latency-ms 50 --concurrency 32

The client runs in this process, the simulator in its own, as in the benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import openai

from promptcompat.simulator import SimulatorProcess

TEMPLATES = (
    "Extract the contact as JSON.\nFields: name, email, age\n\nI'm Jane Doe{i}, 34 years old, "
    "jane{i}@example.com",
    "Classify the ticket, answer in JSON.\nLabels: billing, technical, other\n\nMy card was "
    "charged twice ({i}).",
    "Write a Python function named `fn_{i}` that returns the factorial of n.",
    "Is {i} a prime number? End with [Yes] or [No].",
)


async def run(base_url: str, total: int, concurrency: int, distinct: int) -> float:
    client = openai.AsyncOpenAI(base_url=base_url, api_key="sim", max_retries=0)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            prompt = TEMPLATES[i % len(TEMPLATES)].format(i=i % distinct)
            await client.chat.completions.create(
                model="gpt-sim-2025-06-01", messages=[{"role": "user", "content": prompt}]
            )

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await client.close()
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--distinct", type=int, default=500, help="distinct prompts")
    args = parser.parse_args()
    with SimulatorProcess(latency_ms=args.latency_ms) as sim:
        asyncio.run(run(sim.openai_base_url, 200, args.concurrency, args.distinct))  # warm-up
        rate = asyncio.run(run(sim.openai_base_url, args.requests, args.concurrency, args.distinct))
        bound = args.concurrency / (args.latency_ms / 1000) if args.latency_ms else float("inf")
        print(
            f"latency {args.latency_ms:g} ms, concurrency {args.concurrency}: {rate:.0f} req/s"
            f" (physical limit {bound:.0f} req/s)"
        )


if __name__ == "__main__":
    main()

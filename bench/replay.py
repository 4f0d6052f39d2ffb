"""Replay benchmark: the engine against the simulator at a fixed latency.

Workloads (from the issue): 200 cases x 2 targets at 50 ms and concurrency 16, and
10,000 cases x 2 targets at concurrency 32. "Concurrency" is the total number of calls in flight
(two targets, so each target gets half). The physical limit is calls x latency / concurrency.
Each workload runs the real CLI (`promptcompat run`) as a subprocess, so process start counts,
then reruns it warm (every call from the cache). Peak RSS is the CLI process's maximum.

    .venv/bin/python bench/replay.py            # both workloads
    .venv/bin/python bench/replay.py --quick    # the 400-call workload only
    .venv/bin/python bench/replay.py --quick --tools   # the same with a tool-calling prompt

``--tools`` replays a prompt that declares two tools and asks about two cities per case, so
every answer is a turn with parallel tool calls (stored as a turn document).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from promptcompat.simulator.process import SimulatorProcess

OLD = "openai:gpt-sim-2024-05-13?temperature=0"
NEW = "openai:gpt-sim-2025-06-01?temperature=0"
FIRST = ["Maria", "John", "Aiko", "Pierre", "Lena", "Omar", "Sofia", "Raj"]
LAST = ["Lopez", "Smith", "Tanaka", "Dubois", "Muller", "Haddad", "Rossi", "Patel"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay"]
CITIES = ["Paris", "Tokyo", "Lisbon", "Oslo", "Cairo", "Lima", "Seoul", "Dublin", "Vienna"]
TOOLS_YAML = """\
variables: [message]
tools:
  - name: get_weather
    description: The weather forecast for a city
    parameters:
      type: object
      properties:
        city: {type: string}
        unit: {type: string, enum: [celsius, fahrenheit]}
      required: [city, unit]
  - name: get_local_time
    description: The local time in a city
    parameters: {type: object, properties: {city: {type: string}}, required: [city]}
messages:
  - role: system
    content: You are a travel assistant. Use the tools.
  - role: user
    content: '{{ message }}'
"""


def write_suite(root: Path, cases: int, *, tools: bool = False) -> None:
    prompt = root / "bench_extract"
    (prompt / "versions").mkdir(parents=True)
    (prompt / "prompt.yaml").write_text(
        "description: benchmark extraction\n"
        "mode: FORWARD\n"
        "deployed: v1\n"
        f"targets:\n  pinned: {OLD}\n  candidates: ['{NEW}']\n"
        f"contract: {{format: {'text' if tools else 'json'}}}\n"
        "dataset: cases.jsonl\n",
        encoding="utf-8",
    )
    if tools:
        (prompt / "versions" / "v1.yaml").write_text(TOOLS_YAML, encoding="utf-8")
        with (prompt / "cases.jsonl").open("w", encoding="utf-8") as out:
            for i in range(cases):
                one, two = CITIES[i % len(CITIES)], CITIES[(i // len(CITIES) + i + 1) % len(CITIES)]
                message = f"Trip {i}: what is the weather in {one} and {two}?"
                out.write(json.dumps({"id": f"c{i:05d}", "vars": {"message": message}}) + "\n")
        return
    (prompt / "versions" / "v1.yaml").write_text(
        "variables: [message]\n"
        "messages:\n"
        "  - role: system\n"
        "    content: |\n"
        "      Extract the sender's contact details as JSON.\n"
        "      Fields: name, email, company, age\n"
        "  - role: user\n"
        "    content: '{{ message }}'\n",
        encoding="utf-8",
    )
    with (prompt / "cases.jsonl").open("w", encoding="utf-8") as out:
        for i in range(cases):
            first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
            company = COMPANIES[i % len(COMPANIES)]
            message = (
                f"Hi, I'm {first} {last} from {company}, {20 + i % 50} years old. "
                f"Reach me at {first.lower()}.{last.lower()}{i}@example.com (ticket {i})."
            )
            out.write(json.dumps({"id": f"c{i:05d}", "vars": {"message": message}}) + "\n")


def run_cli(env: dict[str, str]) -> tuple[float, float, dict[str, object]]:
    """Wall seconds, peak RSS (MB) of the child, and its JSON report."""
    report = Path(env["PROMPTCOMPAT_HOME"]) / "bench-report.json"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptcompat", "run", "--json-out", str(report)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would mix in the simulator).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"promptcompat run failed ({proc.returncode}):\n{stderr}")
    return wall, usage.ru_maxrss / 1024.0, json.loads(report.read_text("utf-8"))


async def _bare_sdk(base_url: str, calls: int, concurrency: int) -> None:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await client.chat.completions.create(
                model="gpt-sim-2024-05-13" if i % 2 else "gpt-sim-2025-06-01",
                messages=[
                    {
                        "role": "system",
                        "content": "Extract the sender's contact details as JSON."
                        "\nFields: name, email, company, age",
                    },
                    {"role": "user", "content": f"Hi, I'm Maria Lopez from Acme Corp ({i})."},
                ],
                temperature=0,
            )

    await asyncio.gather(*(one(i) for i in range(calls)))
    await client.close()


def sdk_floor(base_url: str, calls: int, concurrency: int) -> float:
    """The same calls through the bare OpenAI SDK in a fresh process: what the SDK alone costs."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--bare-sdk", base_url, str(calls), str(concurrency)],
        check=True,
    )
    return time.perf_counter() - started


def workload(
    cases: int, concurrency: int, latency_ms: float, *, tools: bool = False
) -> dict[str, float]:
    calls = cases * 2
    limit = calls * latency_ms / 1000.0 / concurrency
    with tempfile.TemporaryDirectory() as tmp, SimulatorProcess(latency_ms=latency_ms) as sim:
        root = Path(tmp)
        write_suite(root / "prompts", cases, tools=tools)
        env = {
            **os.environ,
            "PROMPTCOMPAT_HOME": str(root / "home"),
            "PROMPTCOMPAT_PROMPTS_DIR": str(root / "prompts"),
            "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
            "PROMPTCOMPAT_CONCURRENCY": str(concurrency // 2),
            "OPENAI_API_KEY": "sk-bench",
        }
        cold, rss, report = run_cli(env)
        sent: dict[str, int] = report["run"]["calls"]  # type: ignore[index]
        warm, _, warm_report = run_cli(env)
        warm_sent: dict[str, int] = warm_report["run"]["calls"]  # type: ignore[index]
        stats = sim.stats()
        floor = sdk_floor(sim.openai_base_url, calls, concurrency)
    print(
        f"\n== {cases} cases x 2 targets = {calls} calls{' with tools' if tools else ''}, "
        f"latency {latency_ms:.0f} ms, "
        f"concurrency {concurrency} (total in flight)"
    )
    print(f"physical limit      {limit:8.2f} s  (calls x latency / concurrency)")
    print(
        f"cold run (CLI)      {cold:8.2f} s  ratio to limit {cold / limit:5.2f}x  "
        f"{calls / cold:8.0f} calls/s"
    )
    print(
        f"bare SDK, same calls {floor:7.2f} s  ratio to limit {floor / limit:5.2f}x  "
        "(fresh process, no promptcompat: the official SDK's own floor)"
    )
    print(f"promptcompat / bare SDK {cold / floor:4.2f}x")
    print(f"peak RSS            {rss:8.1f} MB")
    warm_calls = warm_sent["total"] - warm_sent["from_cache"]
    cold_calls = sent["total"] - sent["from_cache"]
    print(f"warm rerun (CLI)    {warm:8.2f} s  provider calls {warm_calls}")
    print(f"simulator requests  {stats['requests']}  (cold run sent {cold_calls})")
    return {
        "calls": calls,
        "limit": limit,
        "cold": cold,
        "ratio": cold / limit,
        "rss_mb": rss,
        "warm": warm,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the 400-call workload")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--tools", action="store_true", help="a tool-calling prompt instead")
    parser.add_argument(
        "--bare-sdk", nargs=3, metavar=("URL", "CALLS", "CONCURRENCY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.bare_sdk:
        url, calls, concurrency = args.bare_sdk
        asyncio.run(_bare_sdk(url, int(calls), int(concurrency)))
        return
    small = workload(200, 16, args.latency_ms, tools=args.tools)
    print(
        f"target: cold <= 1.5x limit ({'ok' if small['ratio'] <= 1.5 else 'MISSED'}), "
        f"warm < 1 s ({'ok' if small['warm'] < 1.0 else 'MISSED'})"
    )
    if not args.quick:
        big = workload(10_000, 32, args.latency_ms, tools=args.tools)
        print(
            f"target: cold <= 1.25x limit ({'ok' if big['ratio'] <= 1.25 else 'MISSED'}), "
            f"peak RSS < 250 MB ({'ok' if big['rss_mb'] < 250 else 'MISSED'})"
        )


if __name__ == "__main__":
    main()

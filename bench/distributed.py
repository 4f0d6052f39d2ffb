"""Distributed benchmark: the core benchmark's 20,000-call workload through 2 Celery workers.

The workload of ``bench/replay.py`` (10,000 cases x 2 targets, 50 ms simulated latency, 32
calls in flight in total) runs twice, each time through the real CLI on a fresh store:

* in-process: ``promptcompat run`` with 16 calls in flight per target (2 targets: 32);
* distributed: ``promptcompat run --queue`` against a real ``redis-server`` (AOF on, as in
  production) and 2 ``celery worker -c 1`` processes with 16 calls in flight each (32).

Printed: wall time and throughput of both, their ratio (target: distributed >= 0.8 x the
in-process throughput), the queue's cost per call (the extra wall time per call, distributed
minus in-process) and the shard tasks' median time against their calls' latency.

    .venv/bin/python bench/distributed.py            # 20,000 calls
    .venv/bin/python bench/distributed.py --quick    # 2,000 calls
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from replay import write_suite

from promptcompat.simulator.process import SimulatorProcess

REPO = Path(__file__).resolve().parent.parent
TASK_DONE = re.compile(r"replay_shard\[[^\]]+\] succeeded in ([0-9.]+)s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install -y redis-server)")
    port = free_port()
    aof = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory), *aof],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    def pong() -> bool:
        try:
            return bool(redis.Redis(port=port).ping())
        except redis.RedisError:
            return False

    wait_for(pong, "redis-server")
    return proc, f"redis://127.0.0.1:{port}/0"


def run_cli(env: dict[str, str], *extra: str) -> tuple[float, dict[str, object]]:
    report = Path(env["PROMPTCOMPAT_HOME"]) / "bench-report.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "promptcompat", "run", *extra, "--json-out", str(report)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"promptcompat run {' '.join(extra)} failed:\n{proc.stderr}")
    return wall, json.loads(report.read_text("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 cases (2,000 calls)")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight in total")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=500)
    args = parser.parse_args()
    cases = args.cases or (1_000 if args.quick else 10_000)
    calls = cases * 2
    per_worker = args.concurrency // args.workers
    limit = calls * args.latency_ms / 1000.0 / args.concurrency

    with tempfile.TemporaryDirectory() as tmp, SimulatorProcess(latency_ms=args.latency_ms) as sim:
        root = Path(tmp)
        write_suite(root / "prompts", cases)
        base = {
            **os.environ,
            "PROMPTCOMPAT_PROMPTS_DIR": str(root / "prompts"),
            "PROMPTCOMPAT_OPENAI_BASE_URL": sim.openai_base_url,
            "OPENAI_API_KEY": "sk-bench",
            "PYTHONUNBUFFERED": "1",
        }
        # In-process: 2 targets x concurrency/2 in flight.
        local_env = {
            **base,
            "PROMPTCOMPAT_HOME": str(root / "local"),
            "PROMPTCOMPAT_CONCURRENCY": str(args.concurrency // 2),
        }
        local_wall, local_report = run_cli(local_env)

        redis_proc, redis_url = start_redis(root)
        queue_env = {
            **base,
            "PROMPTCOMPAT_HOME": str(root / "queue"),
            "PROMPTCOMPAT_REDIS_URL": redis_url,
            # One shard (of one target) at a time per worker: concurrency/workers in flight.
            "PROMPTCOMPAT_CONCURRENCY": str(per_worker),
            "PROMPTCOMPAT_SHARD_SIZE": str(args.shard_size),
        }
        (root / "queue").mkdir()
        subprocess.run(
            [sys.executable, "-m", "promptcompat", "migrate"],
            env=queue_env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        workers: list[tuple[subprocess.Popen[bytes], Path]] = []
        celery = [sys.executable, "-m", "celery", "-A", "worker.app", "worker", "-c", "1"]
        celery += ["-P", "prefork", "-l", "info", "--without-gossip", "--without-mingle"]
        try:
            for index in range(args.workers):
                log = root / f"worker{index}.log"
                with log.open("wb") as out:
                    proc = subprocess.Popen(
                        [*celery, "-n", f"bench{index}@%h"],
                        cwd=REPO,
                        env=queue_env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                workers.append((proc, log))
            for _, log in workers:
                wait_for(lambda log=log: " ready." in log.read_text(errors="replace"), "a worker")
            sim.reset()
            queue_wall, queue_report = run_cli(queue_env, "--queue")
            task_seconds = [
                float(m)
                for _, log in workers
                for m in TASK_DONE.findall(log.read_text(errors="replace"))
            ]
        finally:
            for proc, _ in workers:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc, _ in workers:
                proc.wait(30)
            redis_proc.terminate()
            redis_proc.wait(10)
        sent = sim.stats()["requests"]

    for name, report in (("in-process", local_report), ("distributed", queue_report)):
        run = report["run"]  # type: ignore[index]
        if run["status"] != "completed" or run["calls"]["total"] != calls:  # type: ignore[index]
            raise SystemExit(f"{name} run did not complete: {run}")
    shards = sorted(task_seconds)
    # A shard's calls alone take shard_size x latency / in-flight (the last one also evaluates
    # the run, so the median is shown).
    ideal = args.shard_size * args.latency_ms / 1000.0 / per_worker
    ratio = local_wall / queue_wall
    print(
        f"\n== {cases} cases x 2 targets = {calls} calls, latency {args.latency_ms:.0f} ms, "
        f"{args.concurrency} in flight in total"
    )
    print(f"physical limit        {limit:8.2f} s")
    print(f"in-process (CLI)      {local_wall:8.2f} s  {calls / local_wall:8.0f} calls/s")
    print(
        f"distributed (CLI)     {queue_wall:8.2f} s  {calls / queue_wall:8.0f} calls/s  "
        f"({args.workers} workers x {per_worker} in flight, shards of {args.shard_size})"
    )
    print(
        f"ratio distributed / in-process throughput  {ratio:4.2f}  "
        f"(target >= 0.8: {'ok' if ratio >= 0.8 else 'MISSED'})"
    )
    print(
        f"queue cost per call   {(queue_wall - local_wall) / calls * 1000:+8.3f} ms wall  "
        f"(distributed minus in-process, per call)"
    )
    print(
        f"shard tasks           {len(shards)}, median {shards[len(shards) // 2]:.2f} s "
        f"(calls x latency / in-flight: {ideal:.2f} s)"
    )
    print(f"simulator requests    {sent}  (distributed run; no duplicates: {sent == calls})")


if __name__ == "__main__":
    main()

"""API benchmark: a stored run of 10,000 cases, read by 16 concurrent clients.

Replays a generated 10,000-case prompt on the simulator (old vs new model, so the run has
real verdicts and findings), then serves the store with ``promptcompat serve`` (uvicorn, its
own process, SQLite) and measures, per endpoint, the latency of the report summary, the
compatibility matrix and a page of 100 case results (pages spread over the whole run) under
16 concurrent keep-alive clients. Target (issue 5): p95 under 100 ms for each.

    .venv/bin/python bench/api.py                  # 10,000 cases, 16 clients
    .venv/bin/python bench/api.py --cases 2000     # a quicker look
    .venv/bin/python bench/api.py --keep /tmp/b    # keep the store there, reuse it next time
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay import write_suite

from promptcompat import store
from promptcompat.config import Settings
from promptcompat.runs import InlineStarter, RunRequest
from promptcompat.simulator.process import SimulatorProcess
from promptcompat.store import api_tokens as tokens
from promptcompat.suite import load_suite

TARGET_P95_MS = 100.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def replay(root: Path, cases: int, env: dict[str, str]) -> tuple[str, str, float]:
    """Replay the generated suite into the store; the run id, a viewer token, seconds."""
    write_suite(root / "prompts", cases)
    settings = Settings(
        home=root / "home",
        prompts_dir=root / "prompts",
        concurrency=64,
        api_token_pepper=env["PROMPTCOMPAT_API_TOKEN_PEPPER"],
    )
    with SimulatorProcess() as sim:
        os.environ.update({"OPENAI_API_KEY": "sk-bench", "ANTHROPIC_API_KEY": "sk-ant-bench"})
        settings = settings.model_copy(update={"openai_base_url": sim.openai_base_url})
        engine = store.open_engine(settings.resolved_database_url())
        started = time.perf_counter()
        run_id = (
            InlineStarter(engine, settings)
            .start(suite=load_suite(settings.prompts_dir), request=RunRequest())
            .run_id
        )
        seconds = time.perf_counter() - started
    with store.session_scope(engine) as session:
        _, token = tokens.create_token(
            session=session,
            name="bench",
            role="viewer",
            pepper=settings.api_token_pepper.get_secret_value(),
        )
    engine.dispose()
    return run_id, token, seconds


def serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            *("-m", "promptcompat", "serve"),
            *("--port", str(port), "--workers", str(workers)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("promptcompat serve did not start")
        time.sleep(0.1)


def fetch(connection: http.client.HTTPConnection, path: str, token: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000.0
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
    return elapsed, body


def load(port: int, token: str, paths: list[str], *, clients: int, per_client: int) -> list[float]:
    """Latencies (ms) of ``clients`` threads, each sending ``per_client`` requests in turn."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        barrier.wait()
        for i in range(per_client):
            mine.append(fetch(connection, paths[(index * per_client + i) % len(paths)], token)[0])
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=50, help="per client and endpoint")
    parser.add_argument("--workers", type=int, default=2, help="promptcompat serve --workers")
    parser.add_argument("--keep", type=Path, help="store the run here and reuse it next time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promptcompat-bench-api-") as tmp:
        root = args.keep or Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTCOMPAT_")}
        env.update(
            {
                "PROMPTCOMPAT_HOME": str(root / "home"),
                "PROMPTCOMPAT_PROMPTS_DIR": str(root / "prompts"),
                "PROMPTCOMPAT_API_TOKEN_PEPPER": "bench-pepper-0123456789",
            }
        )
        kept = root / "bench-run.json"
        if args.keep and kept.exists() and json.loads(kept.read_text())["cases"] == args.cases:
            saved = json.loads(kept.read_text())
            run_id, token, seconds = saved["run_id"], saved["token"], saved["seconds"]
        else:
            if args.keep:
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir(parents=True)
            run_id, token, seconds = replay(root, args.cases, env)
            record = {"cases": args.cases, "run_id": run_id, "token": token, "seconds": seconds}
            kept.write_text(json.dumps(record))
        port = free_port()
        server = serve(env, port, args.workers)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            base = f"/api/v1/runs/{run_id}"
            cold, body = fetch(connection, f"{base}/report", token)
            summary = json.loads(body)
            verdicts = summary["comparisons"][0]["verdicts"]
            pages = [f"{base}/cases?limit=100"]
            while len(pages) < 100:  # the first 100 pages: the whole run at 10,000 cases
                _, body = fetch(connection, pages[-1], token)
                cursor = json.loads(body)["next_cursor"]
                if cursor is None:
                    break
                pages.append(f"{base}/cases?limit=100&cursor={cursor}")
            connection.close()
            print(
                f"run {run_id[:12]}: {args.cases} cases replayed in {seconds:.1f}s; verdicts "
                f"{verdicts}; first summary (builds the report once) {cold:.0f} ms"
            )
            print(
                f"{args.clients} concurrent clients x {args.requests} requests per endpoint; "
                f"server: promptcompat serve --workers {args.workers} (uvicorn, SQLite)"
            )
            print(
                "each endpoint is loaded twice: the first pass meets cold per-process caches "
                "(each worker builds the report once, each page once), the second is the "
                "steady state the target applies to"
            )
            print(
                f"{'endpoint':<28}{'pass':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'req/s':>9}"
                "  target"
            )
            failed = False
            for name, paths in (
                ("report summary", [f"{base}/report"]),
                ("compatibility matrix", [f"{base}/matrix"]),
                ("100 case results (page)", pages),
            ):
                for label in ("cold", "warm"):
                    started = time.perf_counter()
                    latencies = load(
                        port, token, paths, clients=args.clients, per_client=args.requests
                    )
                    rate = len(latencies) / (time.perf_counter() - started)
                    p95 = percentile(latencies, 95)
                    verdict = ""
                    if label == "warm":
                        ok = p95 < TARGET_P95_MS
                        failed |= not ok
                        verdict = ("ok" if ok else "MISSED") + f" (<{TARGET_P95_MS:.0f})"
                    print(
                        f"{name:<28}{label:>6}{percentile(latencies, 50):>9.1f}{p95:>9.1f}"
                        f"{max(latencies):>9.1f}{rate:>9.0f}  {verdict}"
                    )
        finally:
            server.terminate()
            server.wait(20)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

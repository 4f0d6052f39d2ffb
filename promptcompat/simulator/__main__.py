"""``python -m promptcompat.simulator``: run the simulator in the foreground."""

from __future__ import annotations

import argparse
import sys

from promptcompat.errors import SimulatorError
from promptcompat.simulator.faults import DEFAULT_TIMEOUT_S, FAULT_KINDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m promptcompat.simulator",
        description="Local fake LLM speaking the OpenAI chat-completions and Anthropic "
        "messages protocols (see docs/simulator-protocol.md).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="simulated latency")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="+- uniform jitter")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of calls, 0..1")
    parser.add_argument(
        "--fault-kinds",
        default="",
        help=f"comma list of {','.join(FAULT_KINDS)} (default with a rate: 429,500)",
    )
    parser.add_argument(
        "--fault-timeout-s",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help="how long a random 'timeout' fault hangs before answering 504",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for jitter, faults, noise")
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the launching process dies"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from promptcompat.simulator.server import serve

    try:
        serve(
            host=args.host,
            port=args.port,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            fault_rate=args.fault_rate,
            fault_kinds=[k for k in args.fault_kinds.split(",") if k.strip()],
            seed=args.seed,
            fault_timeout_s=args.fault_timeout_s,
            exit_with_parent=args.exit_with_parent,
        )
    except SimulatorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

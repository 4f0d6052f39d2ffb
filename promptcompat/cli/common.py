"""What the command groups share: the consoles, the simulator context, the exit codes, --fail-on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from promptcompat.cli.terminal import make_console
from promptcompat.config import Settings

# Logs and CI output are not terminals: never wrapped, no progress bar (console.py).
console = make_console()
err_console = make_console(stderr=True)
EXIT_USAGE_OR_ERROR = 2
EXIT_OUTPUT_CLOSED = 141
"""The reader of stdout went away (``promptcompat rules | head -1``): what a shell reports
for a tool SIGPIPE ended (128 + 13). Click says 1 there, which CI reads as "breaking"."""


def raised_while_handling(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``exc`` was raised while an exception of ``kind`` was being handled: a write
    to a closed pipe that Rich or Click turned into exit 1, a Ctrl-C that broke off a
    database call whose cleanup then failed with an error of its own."""
    cause = exc.__context__
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__context__
    return False


@contextmanager
def simulated(settings: Settings, *, latency_ms: float) -> Iterator[Settings]:
    """Start the local simulator and send every call to it.

    ``simulated`` also overrides a target's own ``base_url`` and key variable: a target
    pointing at a paid gateway is simulated too, and no real key is sent anywhere.
    """
    from promptcompat.simulator.process import SimulatorProcess

    with SimulatorProcess(latency_ms=latency_ms) as sim:
        console.print(f"[dim]simulator listening on {sim.url}[/]")
        yield settings.model_copy(
            update={
                "openai_base_url": sim.openai_base_url,
                "anthropic_base_url": sim.anthropic_base_url,
                "simulated": True,
            }
        )


FailOn = Literal["ERR", "WARN"]
FAIL_ON_HELP = (
    "Exit 1 when an enforced comparison has a finding of this severity or worse (ERR or WARN)."
)

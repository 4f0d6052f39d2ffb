"""Prometheus metrics of one app (its own registry, so two apps in one process never clash)."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "promptcompat_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "promptcompat_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.runs_submitted = Counter(
            "promptcompat_runs_submitted",
            "Runs created through the API, by executor.",
            ["executor"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "promptcompat_review_decisions",
            "Review decisions recorded through the API.",
            ["decision"],
            registry=self.registry,
        )
        self.runs_active = Gauge(
            "promptcompat_runs_executing",
            "Runs executing in this API process (embedded executor).",
            registry=self.registry,
        )

    def track_active(self, count: Callable[[], int]) -> None:
        self.runs_active.set_function(lambda: float(count()))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every request by its route template (never the raw path: ids would
    make a label per run)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, prefix: str = "") -> None:
        self.app = app
        self.metrics = metrics
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            # A route of an included router knows its path without the include's prefix.
            path = str(scope.get("path", ""))
            if self.prefix and path.startswith(self.prefix) and template.startswith("/"):
                template = self.prefix + template.removeprefix(self.prefix)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)

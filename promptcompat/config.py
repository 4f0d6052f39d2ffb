"""The one settings class; every value can be set through a ``PROMPTCOMPAT_`` variable."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from promptcompat.errors import ConfigError

DEV_TOKEN_PEPPER = "promptcompat-dev-pepper"  # refused outside dev by a validator


class RateLimit(BaseModel):
    """Requests and tokens per minute for the targets one pattern of ``rate_limits`` matches."""

    model_config = ConfigDict(extra="forbid")

    rpm: float | None = Field(default=None, gt=0)
    """Requests per minute (every HTTP request counts, retries included)."""
    tpm: float | None = Field(default=None, gt=0)
    """Tokens per minute: prompt tokens plus the output tokens the call may produce."""
    burst_seconds: float = Field(default=1.0, gt=0)
    """How many seconds' worth of the limit may be spent at once after an idle period."""


class Settings(BaseSettings):
    """Runtime configuration, read from the environment (prefix ``PROMPTCOMPAT_``)."""

    model_config = SettingsConfigDict(env_prefix="PROMPTCOMPAT_", extra="ignore")

    home: Path = Path(".promptcompat")
    """Directory for the default SQLite database and written reports."""

    database_url: str | None = None
    """SQLAlchemy URL of the store; default: SQLite file ``<home>/promptcompat.db``."""

    prompts_dir: Path = Path("prompts")
    """Root of the prompt suite."""

    snapshots_dir: Path = Path("snapshots")
    """Accepted baselines as files."""

    openai_base_url: str | None = None
    """Base URL for ``openai:`` targets (default: the SDK's own, i.e. api.openai.com)."""

    anthropic_base_url: str | None = None
    """Base URL for ``anthropic:`` targets (default: the SDK's own)."""

    simulated: bool = False
    """Send every call to ``openai_base_url`` / ``anthropic_base_url`` with a placeholder key,
    whatever ``base_url`` or ``api_key_env`` a target names: what ``--simulator`` sets, so
    that no call of a simulated run reaches a real endpoint (or spends money there)."""

    price_table: Path | None = None
    """YAML file of prices overriding the shipped table (USD per million tokens)."""

    concurrency: int = Field(default=16, ge=1, le=1024)
    """Concurrent calls per target (in one process: the embedded run, or one worker task)."""

    max_attempts: int = Field(default=4, ge=1, le=20)
    """Attempts per call, the first included, for transient errors (429, 5xx, timeout)."""

    backoff_base: float = Field(default=0.5, gt=0)
    """First retry delay in seconds; doubles per attempt, with jitter."""

    backoff_max: float = Field(default=30.0, gt=0)
    """Cap on one retry delay, including a provider's Retry-After."""

    request_timeout: float = Field(default=60.0, gt=0)
    """Seconds before a provider call is abandoned as a timeout."""

    max_output_bytes: int = Field(default=1_000_000, ge=1)
    """Largest provider answer stored; a larger one is an ERROR result."""

    max_rendered_chars: int = Field(default=200_000, ge=1)
    """Largest rendered prompt (all messages together)."""

    default_max_tokens: int = Field(default=1024, ge=1)
    """``max_tokens`` sent when a target does not set it (Anthropic requires one)."""

    # --- distributed runs (Celery on Redis) ---------------------------------------------

    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis for the Celery broker, its result backend and the shared rate limits."""

    queue: str = "promptcompat"
    """Celery queue the replay tasks go to."""

    shard_size: int = Field(default=100, ge=1, le=100_000)
    """Calls per shard: the unit one worker task executes (concurrently, with the async engine)."""

    lease_seconds: float = Field(default=60.0, ge=1)
    """A claimed call is someone else's for this long unless its owner renews it (every third)."""

    finalize_lease_seconds: float = Field(default=900.0, ge=1)
    """How long one process owns a run's evaluation before another may take it over."""

    flush_interval: float = Field(default=0.25, gt=0)
    """Longest a finished call waits in memory before it is written (and its lease released)."""

    visibility_timeout: float = Field(default=3600.0, gt=0)
    """Redis transport: an unacknowledged task is redelivered after this many seconds."""

    task_soft_time_limit: float = Field(default=540.0, gt=0)
    """A shard task stops starting calls in time to end before this (then re-queues the rest)."""

    task_time_limit: float = Field(default=600.0, gt=0)
    """A shard task still running after this is killed; must stay below the visibility timeout."""

    retry_countdown_max: float = Field(default=300.0, gt=0)
    """Cap on a task's retry countdown (a countdown task waits unacknowledged at a worker)."""

    unacked_restore_interval: float = Field(default=5.0, gt=0)
    """Seconds between kombu's sweeps that re-queue tasks of a worker that died."""

    worker_soft_shutdown_timeout: float = Field(default=30.0, ge=0)
    """On a cold shutdown, how long running tasks may still finish before they are re-queued
    (a warm shutdown, SIGTERM, waits for them)."""

    shard_max_failures: int = Field(default=5, ge=1)
    """Crashes of one shard (a worker lost mid-shard, an unexpected error) before its
    unanswered calls are given up as errors: a poison shard must not loop forever."""

    reconcile_interval: float = Field(default=60.0, gt=0)
    """Beat runs ``reconcile`` this often: it re-publishes work a broker crash lost."""

    reconcile_stale_after: float = Field(default=120.0, ge=0)
    """A started shard with no live lease and no activity for this long is re-published."""

    rate_limits: dict[str, RateLimit] = Field(default_factory=dict)
    """Per target pattern (fnmatch on the target label, e.g. ``openai:*``), limits shared by
    every worker through Redis; JSON in the environment:
    ``{"openai:gpt-4o*": {"rpm": 500, "tpm": 30000}}``."""

    # --- HTTP API (api/) ------------------------------------------------------------------

    environment: Literal["dev", "prod"] = "dev"
    """``prod`` turns the interactive API docs off, marks cookies Secure and refuses the
    development token pepper."""

    api_token_pepper: SecretStr = SecretStr(DEV_TOKEN_PEPPER)
    """Secret mixed into every API token hash (HMAC-SHA256); changing it revokes all tokens."""

    api_allowed_base_urls: list[str] = Field(default_factory=list)
    """The only ``base_url`` values a target submitted through the API may use (scheme, host,
    port and path prefix must match one entry exactly); empty: no base_url is accepted. JSON
    in the environment: ``["http://127.0.0.1:11434/v1"]``."""

    api_server_key_base_urls: list[str] = Field(default_factory=list)
    """Base URLs (matched like ``api_allowed_base_urls``) to which a target submitted through
    the API is called with the server's own provider key (``OPENAI_API_KEY`` /
    ``ANTHROPIC_API_KEY``). A client's ``base_url`` that matches none of them is called with
    no key at all, so an allowlisted host never receives the server's key by default."""

    api_max_body_bytes: int = Field(default=1_000_000, ge=1024)
    """Largest request body the API reads; a larger one is answered 413."""

    api_max_run_calls: int = Field(default=100_000, ge=1)
    """Most provider calls one run submitted through the API may plan."""

    api_cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed to call the API from another site (none by default)."""

    api_executor: Literal["embedded", "queue"] = "embedded"
    """Where runs submitted through the API execute: ``embedded`` (threads of the API
    process) or ``queue`` (published to Celery workers through the broker at ``redis_url``)."""

    api_host: str = "127.0.0.1"
    """Address ``promptcompat serve`` listens on."""

    api_port: int = Field(default=8000, ge=0, le=65535)
    """Port ``promptcompat serve`` listens on."""

    api_workers: int = Field(default=1, ge=1, le=64)
    """Processes ``promptcompat serve`` runs (each with its own embedded executor)."""

    # --- model-release watcher and notifications (promptcompat/watch/watcher.py, notify.py) ------

    api_base_url: str = "http://127.0.0.1:8000"
    """Public address of the API, for the report and review links in notifications."""

    watch_interval: float = Field(default=900.0, gt=0)
    """Beat polls the providers' model lists (and probes pinned aliases) this often."""

    watch_families: list[str] = Field(default_factory=list)
    """Model-id globs watched for every prompt (besides each prompt's ``watch:``), JSON in
    the environment: ``["gpt-4o*", "claude-sonnet-*"]``."""

    watch_probe_aliases: bool = True
    """Each poll, send one 1-token request to every pinned alias target to see what it
    serves (the served model id and system fingerprint)."""

    watch_page_size: int = Field(default=100, ge=1, le=1000)
    """Models per page when listing Anthropic models (the SDK follows the pages)."""

    deprecation_lead_days: int = Field(default=30, ge=0)
    """Successor runs start, and reports warn, this many days before a target retires."""

    deprecation_interval: float = Field(default=3600.0, gt=0)
    """Beat checks the retirement dates this often."""

    notify_interval: float = Field(default=30.0, gt=0)
    """Beat sends the notifications of finished release runs this often."""

    webhook_urls: list[str] = Field(default_factory=list)
    """URLs that receive the JSON notification of a finished release run."""

    slack_webhook_urls: list[str] = Field(default_factory=list)
    """Slack (or compatible) incoming-webhook URLs that receive a formatted message."""

    webhook_secret: SecretStr | None = None
    """Key of the ``X-Promptcompat-Signature`` HMAC-SHA256 header (required to send)."""

    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    """Attempts per delivery (5xx, 429 and connection errors are retried)."""

    webhook_backoff_base: float = Field(default=1.0, gt=0)
    """First delay between delivery attempts in seconds; doubles per attempt."""

    webhook_timeout: float = Field(default=10.0, gt=0)
    """Seconds per delivery attempt."""

    # --- privacy: redaction, retention, projects (promptcompat/privacy/redact.py, retention.py) ---

    redact_detectors: list[str] = Field(
        default_factory=lambda: ["email", "phone", "card", "iban", "ip", "secret"]
    )
    """Detectors applied to requests and outputs before they are stored (``email``,
    ``phone``, ``card``, ``iban``, ``ip``, ``secret``); JSON in the environment; ``[]`` turns
    redaction off (a prompt's own ``redact:`` regexes still apply)."""

    project: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    """The project the CLI's runs belong to (API callers get their token's project)."""

    retention_days: int = Field(default=30, ge=0)
    """Days non-baseline snapshots and runs are kept; accepted baselines and audit entries
    stay. 0 keeps everything."""

    retention_days_by_project: dict[str, int] = Field(default_factory=dict)
    """Per-project overrides of ``retention_days``, JSON: ``{"team-a": 7}``."""

    retention_interval: float = Field(default=86400.0, gt=0)
    """Beat applies retention (``promptcompat gc``) this often."""

    judge: str | None = None
    """Target string of the judge model for every prompt without a ``judge:`` of its own
    (e.g. ``openai:gpt-4o-mini?temperature=0``); unset: no judge, no judge calls."""

    judge_samples: int = Field(default=3, ge=1, le=20)
    """K: how many times the judge answers each order of a pair (2 x K calls per case)."""

    judge_min_kappa: float = Field(default=0.6, ge=-1.0, le=1.0)
    """Cohen's kappa the judge's last calibration (``promptcompat judge calibrate``) must
    reach for its findings to fail CI; below it, or never calibrated, they stay CHANGED."""

    @field_validator("redact_detectors")
    @classmethod
    def _known_detectors(cls, value: list[str]) -> list[str]:
        known = ("email", "phone", "card", "iban", "ip", "secret")  # redact.KINDS
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValueError(f"unknown detector(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return value

    @model_validator(mode="after")
    def _check_api_secrets(self) -> Self:
        if self.environment == "prod" and (
            self.api_token_pepper.get_secret_value() == DEV_TOKEN_PEPPER
            or len(self.api_token_pepper.get_secret_value()) < 16
        ):
            raise ValueError(
                "set PROMPTCOMPAT_API_TOKEN_PEPPER to a secret of at least 16 characters: the "
                "development default is refused when PROMPTCOMPAT_ENVIRONMENT=prod"
            )
        return self

    @model_validator(mode="after")
    def _check_simulated(self) -> Self:
        # Without both base URLs a "simulated" call would go to the providers' real APIs.
        if self.simulated and not (self.openai_base_url and self.anthropic_base_url):
            raise ValueError(
                "simulated needs openai_base_url and anthropic_base_url (the simulator's)"
            )
        return self

    @model_validator(mode="after")
    def _check_timeouts(self) -> Self:
        # Redis redelivers a task that is unacknowledged for visibility_timeout seconds, even
        # one that is still running (RELIABILITY.md M7): every task must end well before it.
        if not self.task_soft_time_limit < self.task_time_limit < self.visibility_timeout:
            raise ValueError(
                "need task_soft_time_limit < task_time_limit < visibility_timeout, got "
                f"{self.task_soft_time_limit:g}, {self.task_time_limit:g}, "
                f"{self.visibility_timeout:g}"
            )
        if self.retry_countdown_max + self.task_time_limit >= self.visibility_timeout:
            raise ValueError(
                "retry_countdown_max + task_time_limit must stay below visibility_timeout: a "
                "task waiting for its countdown is unacknowledged and would be redelivered"
            )
        if self.request_timeout >= self.task_soft_time_limit:
            raise ValueError("request_timeout must be below task_soft_time_limit")
        if self.backoff_max >= self.task_soft_time_limit:
            raise ValueError("backoff_max must be below task_soft_time_limit")
        if self.finalize_lease_seconds <= self.task_time_limit:
            raise ValueError("finalize_lease_seconds must exceed task_time_limit")
        return self

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'promptcompat.db'}"

    def celery_config(self) -> dict[str, Any]:
        """The Celery settings (RELIABILITY.md, "Production config"), as plain values.

        The core does not import Celery; ``worker/app.py`` applies this dict.
        """
        transport = {
            "visibility_timeout": self.visibility_timeout,
            # kombu's default sweep (10 s x every 10th tick) took 102 s to re-queue the task
            # of a killed worker (M5); every tick brings it to seconds (M6).
            "unacked_restore_interval": self.unacked_restore_interval,
            "unacked_restore_throttle": 1,
            # The sweep holds a Redis mutex for its few milliseconds. A worker killed while
            # holding it left it for kombu's default 300 s, and no task of a lost worker came
            # back for five minutes (caught in tests/worker test_2: the mutex still held, its
            # TTL 237 s, one minute after the kill). Two intervals cover a sweep; two sweepers
            # at once restore each message once (each restore is a WATCH transaction).
            "unacked_mutex_expire": max(1, math.ceil(2 * self.unacked_restore_interval)),
        }
        return {
            "broker_url": self.redis_url,
            # No result backend: results live in the store. (Measured: with the Redis result
            # backend, publishing while Redis is down hung 19 s and then left the app unusable
            # with "Retry limit exceeded ... must be restarted".) Hence no
            # worker_deduplicate_successful_tasks either: it needs a result backend (without
            # one a redelivered task fails), and the leases deduplicate already.
            "task_ignore_result": True,
            "broker_transport_options": transport,
            "visibility_timeout": self.visibility_timeout,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "worker_cancel_long_running_tasks_on_connection_loss": True,
            "worker_soft_shutdown_timeout": self.worker_soft_shutdown_timeout,
            "task_soft_time_limit": self.task_soft_time_limit,
            "task_time_limit": self.task_time_limit,
            "task_default_queue": self.queue,
            "task_serializer": "json",
            "accept_content": ["json"],
            "broker_connection_retry_on_startup": True,
            "task_publish_retry_policy": {
                "max_retries": 2,
                "interval_start": 0,
                "interval_step": 0.2,
                "interval_max": 0.5,
            },
        }


def _setting_problem(loc: tuple[int | str, ...], msg: str) -> str:
    name = "_".join(str(part) for part in loc).upper()
    return f"PROMPTCOMPAT_{name}: {msg}" if name else msg


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env.

    A bad value becomes a ConfigError naming the environment variable, not pydantic's trace.
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_setting_problem(err["loc"], err["msg"]) for err in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from None

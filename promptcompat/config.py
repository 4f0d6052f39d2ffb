"""The one settings class; every value can be set through a ``PROMPTCOMPAT_`` variable."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    price_table: Path | None = None
    """YAML file of prices overriding the shipped table (USD per million tokens)."""

    concurrency: int = Field(default=16, ge=1, le=1024)
    """Concurrent calls per target."""

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

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'promptcompat.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()

"""Runtime configuration.

This is the only module that reads environment variables: everything else receives a
``Settings`` instance, so tests can build one with explicit values and nothing leaks in
from the shell by accident.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - marker for the embedded default


class Settings(BaseSettings):
    """Groundswell settings, read from ``GROUNDSWELL_*`` variables or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="GROUNDSWELL_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./groundswell.db"
    broker_url: str = "memory://"
    stream_prefix: str = Field(default="gs", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    """Prefix of the broker's stream names, so several installations can share one Redis."""
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    environment: Literal["development", "production", "test"] = "development"

    max_text_length: int = Field(default=10_000, ge=1)
    """Posts longer than this (in characters) are rejected, not truncated."""
    max_future_skew_seconds: int = Field(default=300, ge=0)
    """A post may claim a creation time at most this far ahead of the server clock."""
    earliest_post_year: int = Field(default=2006, ge=1970)

    batch_size: int = Field(default=500, ge=1, le=10_000)
    """How many broker messages a worker takes and commits in one transaction."""
    max_deliveries: int = Field(default=5, ge=1)
    """After this many failed deliveries a message goes to the dead-letter table."""
    reclaim_idle_ms: int = Field(default=30_000, ge=100)
    """A pending message idle for this long is considered abandoned by a dead worker."""

    sentiment: Literal["lexicon", "model"] = "model"
    """``model``: the shipped MiniLM fine-tune (calibrated, with intents); ``lexicon``:
    VADER, for very high volume."""

    enrichment_process: bool = True
    """Lexicon mode: enrich in a child process while this one stores
    (``workers/enrich_process.py``), so on two or more cores both run at once. Off, and in
    model mode (whose inference already runs on every core), one process does both."""

    brand_accounts: str = Field(default="", max_length=200_000)
    """The company's own accounts, comma-separated, as ``channel:handle`` or ``handle``
    (every channel): their posts are outbound, kept out of customer sentiment, intents and
    listening counts (``ingestion/outbound.py``)."""

    model_store_dir: str = Field(default="./groundswell-data/models", min_length=1)
    """The versioned model store (retrained models, the active version marker); workers
    follow its active version without a restart (``enrichment/model/store.py``)."""

    detector_warmup_minutes: int = Field(default=1440, ge=0, le=100_000)
    """Minutes a subject's spike detector learns before it may raise an alert."""

    api_max_batch: int = Field(default=1_000, ge=1)
    session_max_age_seconds: int = Field(default=12 * 3600, ge=60)

    smtp_host: str | None = None
    """Alert emails go through this SMTP server; without it email deliveries fail visibly."""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "groundswell@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    webhook_secret: SecretStr = SecretStr(DEV_SECRET)
    """Signs alert webhooks (HMAC-SHA256) so receivers can tell they came from us."""
    public_url: str = Field(default="http://127.0.0.1:8000", max_length=500)
    """Where customers reach public pages (CSAT survey links sent through channels)."""
    case_reopen_window_hours: int = Field(default=72, ge=0, le=24 * 365)
    """A customer message this long after resolution reopens the case; later, a new case."""
    case_horizon_minutes: int = Field(default=24 * 60, ge=1, le=60 * 24 * 365)
    """Rules act only on posts younger than this (by the post's own time): an import or a
    first sync of old posts is remembered and counted, not turned into overdue cases."""
    csat_link_days: int = Field(default=7, ge=1, le=90)
    analytics_fairness_margin: float = Field(default=0.25, ge=0.0, le=10.0)
    """A channel lags when its median response or resolution exceeds the other channels'
    combined median by more than this share (0.25: 25 % slower)."""
    analytics_fairness_min_samples: int = Field(default=20, ge=1, le=1_000_000)
    """Fewer measured cases than this on a channel (or the rest) and it is never flagged."""
    profiling_link_days: int = Field(default=14, ge=1, le=90)
    """How long a progressive-profiling link (``/p/<token>``) stays usable."""
    standin_channels: str = Field(default="", max_length=500)
    """Comma-separated channels whose replies go to an in-process stand-in (demo, tests)."""

    secrets_file: str | None = None
    """Where a development install keeps its generated session and webhook keys (mode 600);
    default: next to the SQLite database. Production must set the keys themselves."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or networks (CIDR) of reverse proxies whose ``X-Forwarded-For`` is believed;
    from anyone else the header is ignored."""
    login_max_failures_per_account: int = Field(default=10, ge=1, le=10_000)
    login_max_failures_per_address: int = Field(default=30, ge=1, le=100_000)
    login_failure_window_seconds: int = Field(default=900, ge=10, le=86_400)
    """Failed logins counted per account and per client address over this window."""
    rate_limit_storage_url: str | None = None
    """Where login failure counters live (``memory://``, ``redis://…``); default: the broker's
    Redis when the broker is Redis, else memory."""
    password_min_length: int = Field(default=12, ge=8, le=1000)
    password_min_strength: int = Field(default=3, ge=0, le=4)
    """zxcvbn score (0–4) a new password needs; common and guessable passwords score low."""
    api_token_max_days: int = Field(default=365, ge=1, le=3650)
    """Longest lifetime an API token may be given."""
    credentials_key: SecretStr | None = None
    """Fernet key (urlsafe base64, 32 bytes) that encrypts channel credentials at rest;
    unset, a key is derived from ``secret_key`` (HKDF-SHA256). Old keys stay readable
    when listed in ``credentials_old_keys`` (comma-separated), so keys can be rotated."""
    credentials_old_keys: SecretStr | None = None
    connectors_enabled: bool = True
    """Run the connector runner inside ``serve`` (the embedded worker) too."""
    outbound_allow_hosts: str = ""
    """Comma-separated hosts outbound targets may use although they resolve to loopback,
    private or other non-public addresses (e.g. an in-house webhook receiver)."""
    crm_sync_interval_seconds: float = Field(default=60.0, ge=1, le=86_400)
    """How often the worker inside ``serve`` syncs each enabled CRM connection."""
    metrics_token: SecretStr | None = None
    """A bearer token Prometheus may scrape ``/metrics`` with (besides any API token with
    the ``read`` scope); unset, only API tokens and logged-in sessions are accepted."""
    metrics_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    """How long the database-derived gauges of ``/metrics`` are reused between scrapes."""
    max_request_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    """Bodies larger than this are refused with 413 before they are read."""
    clv_horizon_weeks: float = Field(default=52.0, gt=0, le=520)
    """Customer lifetime value is the discounted value of purchases over this many weeks."""
    clv_annual_discount_rate: float = Field(default=0.10, ge=0, le=1)
    clv_refit_interval_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    """`groundswell clv schedule` refits when the latest fit is older than this."""
    identity_auto_merge_threshold: float = Field(default=0.99, gt=0, le=1)
    """Candidate pairs at or above this match probability are merged without review."""
    identity_review_threshold: float = Field(default=0.5, gt=0, le=1)
    """Pairs from here up to the auto-merge threshold wait in the review queue."""
    retention_private_days: int | None = Field(default=None, ge=1, le=36500)
    """Private messages (email, SMS, chat, DMs) older than this are purged; None keeps them."""
    retention_public_days: int | None = Field(default=None, ge=1, le=36500)
    retention_dead_letter_days: int | None = Field(default=90, ge=1, le=36500)
    """Refused records may hold raw personal data; `groundswell privacy purge` drops old ones."""

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        """Accept the common ``postgresql://`` spelling and use psycopg 3 for it."""
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url.startswith("memory://")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

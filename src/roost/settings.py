"""All configuration, read once from ROOST_* environment variables at start-up and passed down."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """roost's configuration. Every field is the environment variable ROOST_<FIELD NAME>."""

    model_config = SettingsConfigDict(env_prefix="ROOST_", extra="ignore", frozen=True)

    database_url: str = Field(
        "sqlite:///./roost.db",
        description="SQLAlchemy-style URL; sqlite:///path (embedded) or postgresql://user@host/db",
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db: switches on scaled mode (feeds, caches, event streams)",
    )
    redis_prefix: str = Field("roost:", description="Prefix of every Redis key roost writes")
    feed_max_items: int = Field(
        800, ge=1, le=3000, description="Entries kept in each home feed (Lua scripts unpack them)"
    )
    tweet_max_chars: int = Field(280, ge=1, le=10_000, description="Longest post, after NFC")
    celebrity_threshold: int = Field(
        10_000, ge=1, description="Followers from which an author's posts are pulled, not pushed"
    )
    inactive_after_days: float = Field(
        14, gt=0, description="Days unseen after which a user's feed gets no pushes"
    )
    fanout_batch_size: int = Field(
        1000, ge=1, le=10_000, description="Followers written per round trip during fanout"
    )
    worker_id: int = Field(
        0, ge=0, le=1023, description="Snowflake worker number; unique per running process"
    )
    token_ttl_days: float = Field(
        30, gt=0, description="How long a session token stays valid, in days (fractions allowed)"
    )
    rate_limit_posts_per_minute: int = Field(300, ge=1, description="Posts per user per minute")
    rate_limit_logins_per_minute: int = Field(
        20, ge=1, description="Login attempts per handle per minute"
    )
    password_hash_time_cost: int = Field(3, ge=1, description="argon2id iterations")
    password_hash_memory_kib: int = Field(
        65536, ge=32, description="argon2id memory in KiB (at least 8 per lane; roost uses 4)"
    )
    tweet_cache_size: int = Field(100_000, ge=0, description="Serialised tweets kept in memory")
    tweet_cache_ttl_seconds: int = Field(
        86_400, ge=1, description="How long Redis keeps a serialised tweet"
    )
    engagement_cache_seconds: int = Field(
        600, ge=1, description="How long a post's counts stay cached (bounds how long one may lag)"
    )
    engagement_cache_size: int = Field(
        100_000,
        ge=0,
        description="Posts' counts, and as many readers' flags on posts, kept in memory (embedded)",
    )
    rate_limit_actions_per_minute: int = Field(
        600, ge=1, description="Likes and unlikes per user per minute"
    )
    live_poll_seconds: float = Field(
        15.0, gt=0, description="Heartbeat of live streams; each also looks for notifications"
    )
    session_cache_seconds: float = Field(
        10.0, ge=0, description="How long a process trusts a token it has checked"
    )
    graphql_introspection: bool = Field(
        True, description="Whether /graphql answers introspection queries (and serves GraphiQL)"
    )
    consumer_poll_seconds: float = Field(
        0.25, gt=0, description="How often event consumers look for events they were not told of"
    )
    analytics_flush_seconds: float = Field(
        1.0,
        gt=0,
        le=1.0,
        description="How often a process writes the impressions and reads it counted in memory",
    )
    stream_claim_idle_seconds: float = Field(
        30.0, gt=0, description="Silence after which a worker's events are taken over by another"
    )
    stream_max_deliveries: int = Field(
        5, ge=1, description="Deliveries of one event before it goes to the dead letters"
    )
    stream_max_len: int = Field(
        1_000_000, ge=1000, description="Events the Redis stream keeps (approximately)"
    )
    usage_stream_max_len: int = Field(
        10_000,
        ge=100,
        description="Usage batches the Redis stream keeps for the workers (approximately)",
    )

"""Capacity planning: what N daily active users need, from the seed's ratios and the rates
measured on this project's machine (docs/benchmarks.md; docs/capacity.md explains each)."""

from __future__ import annotations

import math
from dataclasses import dataclass

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class Workload:
    """The seed's estimates, per daily active user: 20M DAU post 100M times a day, and read
    100 times for each write; a post is 100 bytes; storage is kept 10 years."""

    posts_per_user_per_day: float = 5.0
    reads_per_write: float = 100.0
    bytes_per_post: int = 100
    years: float = 10.0
    peak_to_mean: float = 2.0  # busiest hour against the day's mean (the forecast measures it)


@dataclass(frozen=True, slots=True)
class Measured:
    """Rates of one core, measured (docs/benchmarks.md, 2026-11-25, the 2-core machine)."""

    feed_reads_per_core: float = 1_357.0  # GET /feed?limit=50 over HTTP, slowest of 3 runs
    posts_per_core: float = 1_000.0  # POST /tweet: the budget's floor (see docs/capacity.md)
    fanout_inserts_per_core: float = 48_307.0  # roost bench fanout, 1,000 followers (worst)
    inserts_per_post: float = 85.0  # the hybrid's writes per post (fanout-strategies bench)
    feed_entries: int = 800  # ROOST_FEED_MAX_ITEMS
    bytes_per_feed_entry: int = 64  # sorted-set member of 19 digits plus skiplist overhead
    bytes_per_cached_tweet: int = 400  # serialised tweet JSON plus key and expiry overhead
    bytes_per_post_row: int = 100  # tweets row and index overhead beside the content


@dataclass(frozen=True, slots=True)
class Capacity:
    posts_per_second: float  # at peak
    feed_reads_per_second: float  # at peak
    api_cores: int
    worker_cores: int
    redis_bytes: int
    postgres_bytes: int


def plan(dau: int, workload: Workload | None = None, measured: Measured | None = None) -> Capacity:
    w, m = workload or Workload(), measured or Measured()
    posts_per_day = dau * w.posts_per_user_per_day
    peak_posts = posts_per_day / SECONDS_PER_DAY * w.peak_to_mean
    peak_reads = peak_posts * w.reads_per_write
    api = peak_reads / m.feed_reads_per_core + peak_posts / m.posts_per_core
    workers = peak_posts * m.inserts_per_post / m.fanout_inserts_per_core
    # Home feeds of every daily active user, full; a day of posts in the tweet cache.
    redis = dau * m.feed_entries * m.bytes_per_feed_entry + posts_per_day * m.bytes_per_cached_tweet
    postgres = posts_per_day * 365 * w.years * (w.bytes_per_post + m.bytes_per_post_row)
    return Capacity(
        posts_per_second=peak_posts,
        feed_reads_per_second=peak_reads,
        api_cores=math.ceil(api),
        worker_cores=math.ceil(workers),
        redis_bytes=math.ceil(redis),
        postgres_bytes=math.ceil(postgres),
    )

"""`roost bench fanout-strategies`: push-only, pull-only and hybrid on one synthetic graph.

A power-law social graph (a few users with very many followers, most with few) is loaded into
a scratch PostgreSQL database. A share of the users is active (seen today); the rest were last
seen a month ago, as in any real service. For each strategy, on a fresh Redis prefix, the
active users' feeds are built, then a mix of posts (each fanned out by the real Fanout service
as soon as it is committed) and feed reads (the real HomeFeed service, 50 hydrated entries)
runs, and we record: home-feed entries written per post, fanout lag (commit to end of fanout,
one worker, no queueing), feed read latency, and the Redis memory the feeds and lists take.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text, update

from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import users
from roost.bootstrap import Roost, build
from roost.domain.events import TWEET_CREATED, Event
from roost.domain.users import User
from roost.entrypoints.bench.scratch import scratch_database, scratch_prefix
from roost.settings import Settings

# Not for security: the bench wants the same graph and workload each run.
random_source = random.Random

_COUNT_FOLLOWS = (
    "UPDATE users SET followers_count = c.n FROM (SELECT followee_id AS id, count(*) AS n"
    " FROM followers GROUP BY followee_id) c WHERE users.id = c.id",
    "UPDATE users SET following_count = c.n FROM (SELECT follower_id AS id, count(*) AS n"
    " FROM followers GROUP BY follower_id) c WHERE users.id = c.id",
)

NEVER = 10**9  # a celebrity threshold no one reaches: push to everyone
EVERYONE = 0  # every author is a celebrity: pull from everyone


@dataclass(frozen=True)
class Workload:
    users: int = 10_000
    mean_following: int = 40
    active_share: float = 0.3
    posts: int = 300
    reads_per_post: int = 10
    seed: int = 7


@dataclass
class StrategyResult:
    strategy: str
    celebrity_threshold: int
    writes_per_post: float
    fanout_lag_p50_ms: float
    fanout_lag_p99_ms: float
    read_p50_ms: float
    read_p99_ms: float
    redis_memory_mb: float


async def bench_strategies(
    settings: Settings, workload: Workload, out_dir: Path
) -> list[StrategyResult]:
    if not settings.redis_url or not settings.database_url.startswith("postgresql"):
        raise SystemExit(
            "roost bench fanout-strategies needs ROOST_DATABASE_URL=postgresql://... "
            "and ROOST_REDIS_URL"
        )
    rng = random_source(workload.seed)
    results = []
    async with scratch_database(settings.database_url) as database_url:
        await upgrade_async(database_url)
        base = settings.model_copy(
            update={"database_url": database_url, "rate_limit_posts_per_minute": 10**6}
        )
        active = await _load_graph(base, workload, rng)
        strategies = [
            ("push-only", NEVER),
            ("pull-only", EVERYONE),
            ("hybrid", await _hybrid_threshold(base)),
        ]
        for name, threshold in strategies:
            async with scratch_prefix(settings.redis_url) as prefix:
                strategy = base.model_copy(
                    update={"redis_prefix": prefix, "celebrity_threshold": threshold}
                )
                result = await _run(name, strategy, workload, active, random_source(workload.seed))
                print(format_row(result), flush=True)
                results.append(result)
    _write(results, workload, out_dir)
    return results


def format_table(results: list[StrategyResult]) -> str:
    head = (
        f"{'strategy':<10} | {'threshold':>10} | {'writes/post':>11} | {'lag p50':>9} | "
        f"{'lag p99':>9} | {'read p50':>9} | {'read p99':>9} | {'Redis MB':>8}"
    )
    return "\n".join([head, "-" * len(head), *(format_row(r) for r in results)])


def format_row(r: StrategyResult) -> str:
    threshold = "never" if r.celebrity_threshold == NEVER else f"{r.celebrity_threshold:,}"
    return (
        f"{r.strategy:<10} | {threshold:>10} | {r.writes_per_post:>11,.1f} | "
        f"{r.fanout_lag_p50_ms:>6.1f} ms | {r.fanout_lag_p99_ms:>6.1f} ms | "
        f"{r.read_p50_ms:>6.2f} ms | {r.read_p99_ms:>6.2f} ms | {r.redis_memory_mb:>8.1f}"
    )


async def _load_graph(settings: Settings, workload: Workload, rng: random.Random) -> list[int]:
    """Users with Zipf-distributed popularity; returns the ids of the active ones."""
    count = workload.users
    ids = list(range(1, count + 1))
    popularity = [1.0 / rank for rank in range(1, count + 1)]
    follows: set[tuple[int, int]] = set()
    for follower in ids:
        wanted = min(
            count - 1, max(1, int(rng.lognormvariate(0, 1) * workload.mean_following / 1.65))
        )
        for followee in rng.choices(ids, weights=popularity, k=wanted):
            if followee != follower:
                follows.add((follower, followee))
    now = datetime.now(UTC)
    active = set(rng.sample(ids, int(count * workload.active_share)))
    roost = build(settings)
    try:
        async with roost.engines.writer.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).driver_connection
            await raw.copy_records_to_table(
                "users",
                columns=[
                    "id",
                    "handle",
                    "handle_key",
                    "display_name",
                    "password_hash",
                    "last_seen_at",
                    "created_at",
                ],
                records=[
                    (
                        u,
                        f"u{u}",
                        f"u{u}",
                        f"User {u}",
                        "-",
                        now if u in active else now - timedelta(days=30),
                        now,
                    )
                    for u in ids
                ],
            )
            await raw.copy_records_to_table(
                "followers",
                columns=["follower_id", "followee_id", "id", "created_at"],
                records=[(a, b, n + 1, now) for n, (a, b) in enumerate(sorted(follows))],
            )
            for statement in _COUNT_FOLLOWS:
                await conn.execute(text(statement))
            await conn.commit()
    finally:
        await roost.close()
    print(f"graph: {count:,} users, {len(follows):,} follows, {len(active):,} active", flush=True)
    return sorted(active)


async def _hybrid_threshold(settings: Settings) -> int:
    """ROOST_CELEBRITY_THRESHOLD, or on a graph too small to reach it, the follower count of the
    top 0.1% of users, so that the hybrid has celebrities to pull."""
    query = text(
        "SELECT max(followers_count), percentile_disc(0.999) WITHIN GROUP"
        " (ORDER BY followers_count) FROM users"
    )
    roost = build(settings)
    try:
        async with roost.engines.reader.connect() as conn:
            most, top = (await conn.execute(query)).one()
    finally:
        await roost.close()
    threshold = settings.celebrity_threshold if most >= settings.celebrity_threshold else top
    print(f"most followed: {most:,}; hybrid pulls authors with {threshold:,} or more", flush=True)
    return int(threshold)


async def _run(
    name: str, settings: Settings, workload: Workload, active: list[int], rng: random.Random
) -> StrategyResult:
    roost = build(settings)
    assert roost.redis is not None
    try:
        async with roost.engines.writer.begin() as conn:
            await conn.execute(
                update(users).values(pulled=users.c.followers_count >= settings.celebrity_threshold)
            )
        baseline = await _used_memory(roost.redis)
        for start in range(0, len(active), 100):  # the (empty) feeds a running system has
            batch = active[start : start + 100]
            await asyncio.gather(*(roost.feeds.materialise(user_id, []) for user_id in batch))
        readers = await _users(roost, rng.sample(active, min(len(active), 500)))
        everyone = await _users(roost, active)
        popularity = [user.followers_count + 1 for user in everyone]  # popular users post more
        authors = rng.choices(everyone, weights=popularity, k=workload.posts)
        lags, reads, writes = [], [], 0.0
        for author in authors:
            tweet = await roost.publishing.publish(author, _content(rng))
            before = _pushed(roost)
            event = Event(
                0, TWEET_CREATED, {"tweet_id": str(tweet.id), "author_id": str(author.id)}
            )
            await roost.fanout.handle(event)
            lags.append((datetime.now(UTC) - tweet.created_at).total_seconds() * 1000)
            writes += _pushed(roost) - before
            for _ in range(workload.reads_per_post):
                started = time.perf_counter()
                await roost.home_feed.page(rng.choice(readers), None, 50)
                reads.append((time.perf_counter() - started) * 1000)
        memory = (await _used_memory(roost.redis) - baseline) / 2**20
    finally:
        await roost.close()
    return StrategyResult(
        strategy=name,
        celebrity_threshold=settings.celebrity_threshold,
        writes_per_post=writes / len(authors),
        fanout_lag_p50_ms=_percentile(lags, 50),
        fanout_lag_p99_ms=_percentile(lags, 99),
        read_p50_ms=_percentile(reads, 50),
        read_p99_ms=_percentile(reads, 99),
        redis_memory_mb=memory,
    )


async def _users(roost: Roost, ids: list[int]) -> list[User]:
    async with roost.uow(read_only=True) as uow:
        found = await uow.users.many(ids)
    return [found[user_id] for user_id in ids]


def _pushed(roost: Roost) -> float:
    value = roost.metrics.get_sample_value("roost_fanout_inserts_total")
    return value or 0.0


async def _used_memory(redis: Redis) -> int:
    info: dict[str, Any] = await redis.info("memory")
    return int(info["used_memory"])


def _percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _content(rng: random.Random) -> str:
    words = ["feed", "post", "roost", "hello", "today", "news", "great", "coffee", "ship", "it"]
    return " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))[:280]


def _write(results: list[StrategyResult], workload: Workload, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    record = {"workload": asdict(workload), "results": [asdict(r) for r in results]}
    (out_dir / "fanout-strategies.json").write_text(json.dumps(record, indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'roost[bench]'): no chart written")
        return
    panels = [
        ("writes_per_post", "feed entries written per post"),
        ("fanout_lag_p99_ms", "fanout lag p99 (ms)"),
        ("read_p99_ms", "feed read p99 (ms)"),
        ("redis_memory_mb", "Redis memory (MB)"),
    ]
    figure, axes = plt.subplots(1, len(panels), figsize=(16, 4))
    names = [r.strategy for r in results]
    for axis, (field, title) in zip(axes, panels, strict=True):
        axis.bar(
            names, [getattr(r, field) for r in results], color=["#4c72b0", "#dd8452", "#55a868"]
        )
        axis.set_title(title)
    figure.suptitle(f"fanout strategies: {workload.users:,} users, {workload.posts} posts")
    figure.tight_layout()
    figure.savefig(out_dir / "fanout-strategies.png", dpi=100)
    print(f"chart: {out_dir / 'fanout-strategies.png'}")

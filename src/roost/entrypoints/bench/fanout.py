"""`roost bench fanout`: home-feed inserts per second from one worker, next to raw Redis.

For 1k, 10k and 100k followers, it times the real fanout path (followers paged from
PostgreSQL, each batch written by one Redis script call) and, in the same run, the floor: the
same number of ZADDs sent as plain pipelines with no application logic. Medians of --repeat.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from redis.asyncio import Redis

from roost.adapters.redis.keys import FEED_SENTINEL, Keys, member
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import followers, tweets, users
from roost.bootstrap import Roost, build
from roost.domain.events import TWEET_CREATED, Event
from roost.entrypoints.bench.scratch import scratch_database, scratch_prefix
from roost.settings import Settings

SIZES = (1_000, 10_000, 100_000)
FIRST_FOLLOWER = 1_000_000
BATCH = 1000


async def bench_fanout(settings: Settings, repeat: int = 3) -> list[dict[str, float]]:
    if not settings.redis_url or not settings.database_url.startswith("postgresql"):
        raise SystemExit(
            "roost bench fanout needs ROOST_DATABASE_URL=postgresql://... and ROOST_REDIS_URL"
        )
    rows = []
    async with (
        scratch_database(settings.database_url) as database_url,
        scratch_prefix(settings.redis_url) as prefix,
    ):
        await upgrade_async(database_url)
        scratch = settings.model_copy(update={"database_url": database_url, "redis_prefix": prefix})
        roost = build(scratch)
        try:
            print(f"seeding {max(SIZES):,} followers ...", flush=True)
            keys = Keys(prefix)
            redis = Redis.from_url(settings.redis_url)
            await _seed(roost, redis, keys, max(SIZES))
            for size in SIZES:
                raw = [await _raw_pipeline(redis, keys, size, round_) for round_ in range(repeat)]
                ours = [await _roost_fanout(roost, size, round_) for round_ in range(repeat)]
                row = {
                    "followers": size,
                    "raw_redis_per_s": statistics.median(raw),
                    "roost_per_s": statistics.median(ours),
                }
                row["ratio"] = row["roost_per_s"] / row["raw_redis_per_s"]
                rows.append(row)
                print(_row(row), flush=True)
            await redis.aclose()
        finally:
            await roost.close()
    return rows


def format_table(rows: list[dict[str, float]]) -> str:
    head = f"{'followers':>10} | {'raw Redis pipeline':>20} | {'roost fanout':>14} | {'ratio':>6}"
    lines = [head, "-" * len(head)] + [_row(row) for row in rows]
    return "\n".join(lines)


def _row(row: dict[str, float]) -> str:
    return (
        f"{int(row['followers']):>10,} | {row['raw_redis_per_s']:>15,.0f} /s  | "
        f"{row['roost_per_s']:>9,.0f} /s  | {row['ratio']:>6.2f}"
    )


async def _seed(roost: Roost, redis: Redis, keys: Keys, count: int) -> None:
    """Authors 1..len(SIZES) (author i is followed by the first SIZES[i] followers), and the
    followers' feeds built (a sentinel each), as a running system would have them."""
    now = datetime.now(UTC)
    people = [(author, f"author{author}") for author in range(1, len(SIZES) + 1)]
    people += [(FIRST_FOLLOWER + n, f"f{n}") for n in range(count)]
    follows = [
        {
            "follower_id": FIRST_FOLLOWER + n,
            "followee_id": author,
            "id": author * 10**7 + n,
            "created_at": now,
        }
        for author, size in enumerate(SIZES, start=1)
        for n in range(size)
    ]
    async with roost.engines.writer.begin() as conn:
        for start in range(0, len(people), 10_000):
            await conn.execute(
                users.insert(),
                [
                    {
                        "id": user_id,
                        "handle": handle,
                        "handle_key": handle,
                        "display_name": handle,
                        "password_hash": "-",
                        "created_at": now,
                    }
                    for user_id, handle in people[start : start + 10_000]
                ],
            )
        for start in range(0, len(follows), 10_000):
            await conn.execute(followers.insert(), follows[start : start + 10_000])
    owners = [user_id for user_id, _ in people]
    for start in range(0, len(owners), 10_000):
        async with redis.pipeline(transaction=False) as pipe:
            for owner in owners[start : start + 10_000]:
                pipe.zadd(keys.home_feed(owner), {FEED_SENTINEL: 0})
            await pipe.execute()


async def _raw_pipeline(redis: Redis, keys: Keys, size: int, round_: int) -> float:
    entry = member(10**12 + round_)
    started = time.perf_counter()
    for start in range(0, size, BATCH):
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(start, min(start + BATCH, size)):
                pipe.zadd(keys.home_feed(FIRST_FOLLOWER + n), {entry: 0})
            await pipe.execute()
    return size / (time.perf_counter() - started)


async def _roost_fanout(roost: Roost, size: int, round_: int) -> float:
    author = SIZES.index(size) + 1
    tweet_id = 2 * 10**12 + size * 10 + round_
    async with roost.engines.writer.begin() as conn:
        await conn.execute(
            tweets.insert().values(
                id=tweet_id, author_id=author, content="bench", created_at=datetime.now(UTC)
            )
        )
    event = Event(1, TWEET_CREATED, {"tweet_id": str(tweet_id), "author_id": str(author)})
    started = time.perf_counter()
    await roost.fanout.handle(event)
    return (size + 1) / (time.perf_counter() - started)

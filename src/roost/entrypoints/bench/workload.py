"""What `roost bench http` sends: session tokens for readers and writers, and the request files
wrk reads (one request a line, see wrk.py). Readers are active users who follow at least one
celebrity, so every feed read merges pulled posts; their feeds are built before the clock runs.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from roost.bootstrap import Roost, build
from roost.domain.ids import MAX_ID
from roost.entrypoints.bench.graphql import FEED_QUERY
from roost.entrypoints.demo.graph import SocialGraph
from roost.services.accounts import token_digest
from roost.settings import Settings

FEED_LIMIT = 50
_WARM_CONCURRENCY = 16


@dataclass(frozen=True, slots=True)
class RequestFiles:
    feed: Path  # token
    graphql: Path  # token, body
    tweet: Path  # token, body
    bare_feed: Path  # "?user=ID"


@dataclass(frozen=True, slots=True)
class StoreFloor:
    calls_per_second: float
    p50_ms: float
    p99_ms: float


def pick_users(
    graph: SocialGraph, threshold: int, readers: int, writers: int, seed: int
) -> tuple[list[int], list[int]]:
    """Readers: active users following a celebrity. Writers: active users. Both at random
    (user ids are popularity ranks in the demo graph: the first ones are the most followed)."""
    rng = random.Random(seed)  # noqa: S311 (not for security: the same users each run)
    recent = max(user.last_seen_at for user in graph.users) - timedelta(days=1)
    active = [user.id for user in graph.users if user.last_seen_at >= recent]
    celebrities = {user.id for user in graph.users if user.followers_count >= threshold}
    pulling = {follower for follower, followee in graph.follows if followee in celebrities}
    candidates = [u for u in active if u in pulling]
    return (
        rng.sample(candidates, min(readers, len(candidates))),
        rng.sample(active, min(writers, len(active))),
    )


async def prepare(
    settings: Settings, graph: SocialGraph, readers: list[int], writers: list[int], out: Path
) -> RequestFiles:
    """Tokens for every reader and writer; readers' feeds built (and tweets cached)."""
    roost = build(settings)
    try:
        tokens = await _tokens(roost, sorted({*readers, *writers}))
        await _warm_feeds(roost, readers)
    finally:
        await roost.close()
    graphql = msgspec.json.encode({"query": FEED_QUERY}).decode()
    contents = [tweet.content for tweet in graph.tweets[: len(writers)]]
    posts = [msgspec.json.encode({"content": c}).decode() for c in contents]
    files = RequestFiles(
        out / "feed.txt", out / "graphql.txt", out / "tweet.txt", out / "bare-feed.txt"
    )
    _lines(files.feed, [tokens[u] for u in readers])
    _lines(files.graphql, [f"{tokens[u]}\t{graphql}" for u in readers])
    _lines(files.tweet, [f"{tokens[u]}\t{post}" for u, post in zip(writers, posts, strict=False)])
    _lines(files.bare_feed, [f"?user={u}" for u in readers])
    return files


async def store_floor(settings: Settings, readers: list[int], seconds: float) -> StoreFloor:
    """The feed store's page call alone (scaled: the one Redis script call), 64 in flight,
    from this process: no HTTP, no framework, no service."""
    roost = build(settings)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def reader(offset: int) -> None:
        n = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await roost.feeds.page(readers[n % len(readers)], MAX_ID, FEED_LIMIT)
            latencies.append(time.perf_counter() - started)
            n += 1

    try:
        started = time.perf_counter()
        await asyncio.gather(*(reader(n) for n in range(64)))
        elapsed = time.perf_counter() - started
    finally:
        await roost.close()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return StoreFloor(len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000)


async def _tokens(roost: Roost, user_ids: list[int]) -> dict[int, str]:
    now = datetime.now(UTC)
    tokens = {user_id: secrets.token_urlsafe(32) for user_id in user_ids}
    async with roost.uow() as uow:
        for user_id, token in tokens.items():
            await uow.tokens.add(token_digest(token), user_id, now, now + timedelta(days=1))
        await uow.commit()
    return tokens


async def _warm_feeds(roost: Roost, readers: list[int]) -> None:
    async with roost.uow(read_only=True) as uow:
        found = await uow.users.many(readers)
    users = [found[user_id] for user_id in readers]
    for start in range(0, len(users), _WARM_CONCURRENCY):
        batch = users[start : start + _WARM_CONCURRENCY]
        await asyncio.gather(*(roost.home_feed.page(user, None, FEED_LIMIT) for user in batch))


def _lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")

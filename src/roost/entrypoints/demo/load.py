"""`roost demo --users N --seed S`: a synthetic social graph loaded into a fresh database.

Rows are written in bulk, not through the services: the graph is the state a running system
would have reached, not a replay of how it got there. Home feeds are left empty and marked
stale: like any feed that is missing (dropped, lost with Redis) they are built by pull on their
first read. Every demo user's password is DEMO_PASSWORD.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.adapters.passwords import Argon2PasswordHasher
from roost.adapters.sql.feed_store import STALE
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.repositories import HOME_FEED
from roost.adapters.sql.tables import feeds, followers, tweets, users
from roost.bootstrap import build
from roost.entrypoints.demo.graph import SocialGraph
from roost.settings import Settings

DEMO_PASSWORD = "demo password"  # noqa: S105 (public: demo accounts hold nothing)
_CHUNK = 5_000


async def load(settings: Settings, graph: SocialGraph) -> None:
    """Into the database of ``settings``, which must hold no users yet."""
    await upgrade_async(settings.database_url)
    roost = build(settings)
    hasher = Argon2PasswordHasher(
        settings.password_hash_time_cost, settings.password_hash_memory_kib
    )
    password_hash = await hasher.hash(DEMO_PASSWORD)
    try:
        async with roost.engines.writer.begin() as conn:
            if (await conn.execute(select(func.count()).select_from(users))).scalar_one():
                raise SystemExit("roost demo loads into an empty database; this one has users")
        columns = (
            *Progress.get_default_columns()[:-1],
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns) as progress:
            for table, rows in (
                (users, _user_rows(graph, password_hash, settings.celebrity_threshold)),
                (feeds, _feed_rows(graph)),
                (followers, _follow_rows(graph)),
                (tweets, _tweet_rows(graph)),
            ):
                task = progress.add_task(f"demo: {table.name}", total=len(rows))
                for start in range(0, len(rows), _CHUNK):
                    chunk = rows[start : start + _CHUNK]
                    await _insert(roost.engines.writer, table, chunk)
                    progress.advance(task, len(chunk))
        # PostgreSQL: the planner's statistics, as autovacuum would refresh them after a bulk
        # load; until then it reads the followers of a batch of posts 10x slower. Not SQLite,
        # which nothing analyses by itself: its statistics led its planner to a page query
        # 90x slower (the earlier reposts of a post looked up by author, not by original).
        if roost.engines.writer.dialect.name == "postgresql":
            async with roost.engines.writer.begin() as conn:
                await conn.execute(text("ANALYZE"))
    finally:
        await roost.close()


async def _insert(engine: AsyncEngine, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        await conn.execute(table.insert(), list(rows))


def _user_rows(graph: SocialGraph, password_hash: str, threshold: int) -> list[dict[str, Any]]:
    return [
        {
            "id": user.id,
            "handle": user.handle,
            "handle_key": user.handle,
            "display_name": user.display_name,
            "password_hash": password_hash,
            "followers_count": user.followers_count,
            "following_count": user.following_count,
            "last_seen_at": user.last_seen_at,
            "created_at": user.created_at,
            "pulled": user.followers_count >= threshold,
        }
        for user in graph.users
    ]


def _feed_rows(graph: SocialGraph) -> list[dict[str, Any]]:
    """Each user's home feed, stale: built by pull on its first read (embedded mode)."""
    return [
        {"id": user.id, "owner_id": user.id, "kind": HOME_FEED, "state": STALE}
        for user in graph.users
    ]


def _follow_rows(graph: SocialGraph) -> list[dict[str, Any]]:
    created_at = graph.users[0].created_at if graph.users else None
    return [
        {"follower_id": a, "followee_id": b, "id": n, "created_at": created_at}
        for n, (a, b) in enumerate(graph.follows, start=1)
    ]


def _tweet_rows(graph: SocialGraph) -> list[dict[str, Any]]:
    return [
        {
            "id": tweet.id,
            "author_id": tweet.author_id,
            "content": tweet.content,
            "created_at": tweet.created_at,
        }
        for tweet in graph.tweets
    ]


def summary(graph: SocialGraph, threshold: int) -> str:
    celebrities = sum(1 for user in graph.users if user.followers_count >= threshold)
    return (
        f"demo: {len(graph.users):,} users, {len(graph.follows):,} follows, "
        f"{len(graph.tweets):,} posts; most followed: {graph.followers_of_rank(1):,} followers; "
        f"{celebrities} celebrities at ROOST_CELEBRITY_THRESHOLD={threshold:,}"
    )

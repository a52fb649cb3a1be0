"""Home feeds in the ``feeds_tweets`` table: the embedded feed store. A home feed's id is its
owner's user id, and every user's feed exists from sign-up, so no feed is ever missing here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.dialect import insert_ignoring_duplicates
from roost.adapters.sql.engine import Engines
from roost.adapters.sql.tables import feeds, feeds_tweets
from roost.ports import FeedSlice


class SqlHomeFeeds:
    def __init__(self, engines: Engines, max_items: int) -> None:
        self._engines = engines
        newest = feeds_tweets.alias("newest")
        # The oldest entry a feed may keep; nothing when the feed is not full.
        cutoff = (
            select(newest.c.tweet_id)
            .where(newest.c.feed_id == bindparam("owner"))
            .order_by(newest.c.tweet_id.desc())
            .limit(1)
            .offset(max_items - 1)
            .scalar_subquery()
        )
        self._trim = feeds_tweets.delete().where(
            feeds_tweets.c.feed_id == bindparam("owner"), feeds_tweets.c.tweet_id < cutoff
        )

    async def push(self, tweet_id: int, owner_ids: Sequence[int]) -> int:
        if not owner_ids:
            return 0
        async with self._engines.writer.begin() as conn:
            rows = select(feeds.c.id, literal(tweet_id, BigInteger)).where(
                feeds.c.id.in_(list(owner_ids))
            )
            statement = insert_ignoring_duplicates(conn.dialect.name, feeds_tweets).from_select(
                ["feed_id", "tweet_id"], rows
            )
            inserted = (await conn.execute(statement)).rowcount
            await self._trim_feeds(conn, owner_ids)
        return max(inserted, 0)

    async def backfill(self, owner_id: int, tweet_ids: Sequence[int]) -> None:
        await self.materialise(owner_id, tweet_ids)

    async def materialise(self, owner_id: int, tweet_ids: Sequence[int]) -> None:
        if not tweet_ids:
            return
        async with self._engines.writer.begin() as conn:
            await conn.execute(
                insert_ignoring_duplicates(conn.dialect.name, feeds_tweets),
                [{"feed_id": owner_id, "tweet_id": tweet_id} for tweet_id in tweet_ids],
            )
            await self._trim_feeds(conn, [owner_id])

    async def remove(self, tweet_id: int, owner_ids: Sequence[int]) -> None:
        if not owner_ids:
            return
        async with self._engines.writer.begin() as conn:
            await conn.execute(
                feeds_tweets.delete().where(
                    feeds_tweets.c.tweet_id == tweet_id, feeds_tweets.c.feed_id.in_(list(owner_ids))
                )
            )

    async def remove_from(self, owner_id: int, tweet_ids: Sequence[int]) -> None:
        if not tweet_ids:
            return
        async with self._engines.writer.begin() as conn:
            await conn.execute(
                feeds_tweets.delete().where(
                    feeds_tweets.c.feed_id == owner_id, feeds_tweets.c.tweet_id.in_(list(tweet_ids))
                )
            )

    async def oldest(self, owner_id: int) -> int | None:
        query = select(func.min(feeds_tweets.c.tweet_id)).where(feeds_tweets.c.feed_id == owner_id)
        async with self._engines.reader.connect() as conn:
            oldest: int | None = (await conn.execute(query)).scalar()
        return oldest

    async def page(self, owner_id: int, before_id: int, limit: int) -> FeedSlice:
        query = (
            select(feeds_tweets.c.tweet_id)
            .where(feeds_tweets.c.feed_id == owner_id, feeds_tweets.c.tweet_id < before_id)
            .order_by(feeds_tweets.c.tweet_id.desc())
            .limit(limit)
        )
        async with self._engines.reader.connect() as conn:
            return FeedSlice(list((await conn.execute(query)).scalars()))

    async def _trim_feeds(self, conn: AsyncConnection, owner_ids: Sequence[int]) -> None:
        """Keep each feed's newest ``max_items`` entries (one index walk per feed)."""
        await conn.execute(self._trim, [{"owner": owner} for owner in owner_ids])

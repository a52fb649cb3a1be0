"""Home feeds in the ``feeds_tweets`` table: the embedded feed store. A home feed's id is its
owner's user id. A feed whose ``state`` is "stale" is missing: its entries were dropped and the
next read rebuilds it. Pulled authors' posts are merged from ``tweets`` in the page query, so
the pull model's structures need no storage here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Select,
    and_,
    bindparam,
    func,
    literal,
    select,
    true,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.dialect import insert_ignoring_duplicates
from roost.adapters.sql.engine import Engines
from roost.adapters.sql.loop_reader import LoopReader
from roost.adapters.sql.tables import feeds, feeds_tweets, followers, tweets, users
from roost.domain.tweets import FeedEntry
from roost.ports import FeedSlice

FRESH, STALE = "fresh", "stale"


class SqlHomeFeeds:
    def __init__(self, engines: Engines, max_items: int) -> None:
        self._engines = engines
        self._max_items = max_items
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
        # Built once: building it for each page took twice the CPU SQLite takes to run it.
        self._page = _page_query()
        # SQLite: read on the event loop's thread (loop_reader.py)
        self._loop_reader = engines.loop_reader
        self._loop_page = LoopReader.prepare(self._page) if self._loop_reader else None

    async def push(self, entry: FeedEntry, owner_ids: Sequence[int]) -> int:
        return await self.push_many([(entry, owner_ids)])

    async def push_many(self, pushes: Sequence[tuple[FeedEntry, Sequence[int]]]) -> int:
        """One transaction. An entry whose origin a feed already shows is ignored by the
        unique index on (feed, origin), like a duplicate. Each entry's feeds are trimmed
        before the next entry goes in, as separate pushes would leave them: an entry trimmed
        away no longer keeps a later one with its origin out."""
        pushes = [(entry, list(owner_ids)) for entry, owner_ids in pushes if owner_ids]
        if not pushes:
            return 0
        inserted = 0
        async with self._engines.writer.begin() as conn:
            insert = insert_ignoring_duplicates(conn.dialect.name, feeds_tweets)
            for entry, owner_ids in pushes:
                rows = select(
                    feeds.c.id,
                    literal(entry.tweet_id, BigInteger),
                    literal(entry.origin_id, BigInteger),
                ).where(feeds.c.id.in_(owner_ids), feeds.c.state == FRESH)
                statement = insert.from_select(["feed_id", "tweet_id", "origin_id"], rows)
                inserted += max((await conn.execute(statement)).rowcount, 0)
                await self._trim_feeds(conn, owner_ids)
        return inserted

    async def drop(self, owner_ids: Sequence[int]) -> None:
        if owner_ids:
            async with self._engines.writer.begin() as conn:
                await self._drop(conn, owner_ids)

    async def backfill(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        if not entries:
            return
        async with self._engines.writer.begin() as conn:
            if await self._state(conn, owner_id) == FRESH:
                await self._insert(conn, owner_id, entries)

    async def materialise(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        async with self._engines.writer.begin() as conn:
            await conn.execute(update(feeds).where(feeds.c.id == owner_id).values(state=FRESH))
            await self._insert(conn, owner_id, entries)

    async def remove(self, entry: FeedEntry, owner_ids: Sequence[int]) -> None:
        if owner_ids:
            await self._remove(list(owner_ids), [entry.tweet_id])

    async def remove_from(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        if entries:
            await self._remove([owner_id], [entry.tweet_id for entry in entries])

    async def oldest(self, owner_id: int) -> int | None:
        query = select(func.min(feeds_tweets.c.tweet_id)).where(feeds_tweets.c.feed_id == owner_id)
        async with self._engines.reader.connect() as conn:
            oldest: int | None = (await conn.execute(query)).scalar()
        return oldest

    async def page(self, owner_id: int, before_id: int, limit: int) -> FeedSlice | None:
        values = {"owner": owner_id, "before": before_id, "limit": limit, "last": limit - 1}
        rows = None
        if self._loop_reader is not None and self._loop_page is not None:
            rows = self._loop_reader.fetch(self._loop_page, values)
        if rows is None:  # SQLite busy, or PostgreSQL
            async with self._engines.reader.connect() as conn:
                rows = list((await conn.execute(self._page, values)).all())
        if not rows or rows[0][0] != FRESH:
            return None
        # an empty page is one row with no entry (see _page_query)
        entries = [FeedEntry(i, o) for _, i, o in rows if i is not None and o is not None]
        return FeedSlice(entries, cache_read=False)  # engagement: the service asks the cache

    async def set_pulled_authors(self, owner_id: int, author_ids: Sequence[int]) -> None:
        """Derived from ``users.pulled`` in the page query: nothing to store."""

    async def forget_pulled_authors(self, owner_ids: Sequence[int]) -> None:
        """Derived from ``users.pulled`` in the page query: nothing to forget."""

    async def set_author_posts(self, author_id: int, entries: Sequence[FeedEntry]) -> None:
        """Read from ``tweets`` in the page query: nothing to store."""

    async def add_author_posts(self, posts: Sequence[tuple[int, FeedEntry]]) -> None:
        """Read from ``tweets`` in the page query: nothing to store."""

    async def remove_author_post(self, author_id: int, entry: FeedEntry) -> None:
        """Read from ``tweets`` in the page query: nothing to store."""

    async def _remove(self, owner_ids: list[int], tweet_ids: list[int]) -> None:
        """Remove entries; feeds that were full and lost one are dropped (see HomeFeeds)."""
        holding = feeds_tweets.c.tweet_id.in_(tweet_ids)
        size = (
            select(func.count())
            .where(feeds_tweets.c.feed_id == feeds.c.id)
            .correlate(feeds)
            .scalar_subquery()
        )
        full_holders = select(feeds.c.id).where(
            feeds.c.id.in_(owner_ids),
            size >= self._max_items,
            select(feeds_tweets.c.tweet_id)
            .where(and_(feeds_tweets.c.feed_id == feeds.c.id, holding))
            .correlate(feeds)
            .exists(),
        )
        async with self._engines.writer.begin() as conn:
            to_drop = list((await conn.execute(full_holders)).scalars())
            await self._drop(conn, to_drop)
            await conn.execute(
                feeds_tweets.delete().where(feeds_tweets.c.feed_id.in_(owner_ids), holding)
            )

    async def _drop(self, conn: AsyncConnection, owner_ids: Sequence[int]) -> None:
        if owner_ids:
            await conn.execute(
                update(feeds).where(feeds.c.id.in_(list(owner_ids))).values(state=STALE)
            )
            await conn.execute(
                feeds_tweets.delete().where(feeds_tweets.c.feed_id.in_(list(owner_ids)))
            )

    async def _insert(
        self, conn: AsyncConnection, owner_id: int, entries: Sequence[FeedEntry]
    ) -> None:
        """Oldest first, so that of two entries showing one origin the first to arrive stays,
        as when they are pushed one by one."""
        if entries:
            await conn.execute(
                insert_ignoring_duplicates(conn.dialect.name, feeds_tweets),
                [
                    {"feed_id": owner_id, "tweet_id": entry.tweet_id, "origin_id": entry.origin_id}
                    for entry in sorted(entries)
                ],
            )
            await self._trim_feeds(conn, [owner_id])

    async def _state(self, conn: AsyncConnection, owner_id: int) -> str | None:
        found: str | None = (
            await conn.execute(select(feeds.c.state).where(feeds.c.id == owner_id))
        ).scalar()
        return found

    async def _trim_feeds(self, conn: AsyncConnection, owner_ids: Sequence[int]) -> None:
        """Keep each feed's newest ``max_items`` entries (one index walk per feed)."""
        await conn.execute(self._trim, [{"owner": owner} for owner in owner_ids])


def _page_query() -> Select[str, int | None, int | None]:
    """A page of a feed, ``:limit`` entries below ``:before``, for the feed of ``:owner``:
    its pushed entries merged with the posts of the authors it pulls."""
    owner: BindParameter[int] = bindparam("owner")
    before: BindParameter[int] = bindparam("before")
    limit: BindParameter[int] = bindparam("limit")
    last: BindParameter[int] = bindparam("last")  # limit - 1
    origin = func.coalesce(tweets.c.repost_of, tweets.c.id)
    pushed = select(
        feeds_tweets.c.tweet_id.label("id"), feeds_tweets.c.origin_id.label("origin")
    ).where(feeds_tweets.c.feed_id == owner, feeds_tweets.c.tweet_id < before)
    # Every pushed entry is shown, so a pulled post older than a full page of them never is:
    # the pulled authors' posts are read down to the page's last pushed entry only, not all
    # of them (a celebrity's hundreds) to be checked, sorted and cut.
    pushed_floor = func.coalesce(
        select(feeds_tweets.c.tweet_id)
        .where(feeds_tweets.c.feed_id == owner, feeds_tweets.c.tweet_id < before)
        .order_by(feeds_tweets.c.tweet_id.desc())
        .limit(1)
        .offset(last)
        .scalar_subquery(),
        0,
    )
    pulled_authors = (
        select(followers.c.followee_id)
        .join(users, users.c.id == followers.c.followee_id)
        .where(followers.c.follower_id == owner, users.c.pulled.is_(True))
    )
    earlier, original = tweets.alias("earlier"), tweets.alias("original")
    pulled = select(tweets.c.id, origin.label("origin")).where(
        tweets.c.author_id.in_(pulled_authors),
        tweets.c.deleted_at.is_(None),
        tweets.c.id < before,
        tweets.c.id > pushed_floor,
        # one entry per origin: none the pushed feed shows, none an older pulled entry shows
        # (an earlier repost of the same original, or the original itself); each check is
        # an index lookup, and none for an original
        ~select(feeds_tweets.c.tweet_id)
        .where(feeds_tweets.c.feed_id == owner, feeds_tweets.c.origin_id == origin)
        .exists(),
        ~select(earlier.c.id)
        .where(
            earlier.c.repost_of == tweets.c.repost_of,
            earlier.c.id < tweets.c.id,
            earlier.c.author_id.in_(pulled_authors),
            earlier.c.deleted_at.is_(None),
        )
        .exists(),
        ~select(original.c.id)
        .where(
            original.c.id == tweets.c.repost_of,
            original.c.author_id.in_(pulled_authors),
            original.c.deleted_at.is_(None),
        )
        .exists(),
    )
    # Each side is cut to the page before the merge, so a page never reads every post of
    # every pulled author; UNION then drops an entry that is both pushed and pulled.
    pushed = pushed.order_by(feeds_tweets.c.tweet_id.desc()).limit(limit)
    pulled = pulled.order_by(tweets.c.id.desc()).limit(limit)
    merged = union(pushed.subquery().select(), pulled.subquery().select()).subquery()
    page = select(merged.c.id, merged.c.origin).order_by(merged.c.id.desc()).limit(limit)
    # With the feed's state, in the same statement: one row with no entry when the page is
    # empty, no row when the feed does not exist.
    entries = page.subquery()
    return (
        select(feeds.c.state, entries.c.id, entries.c.origin)
        .outerjoin(entries, true())
        .where(feeds.c.id == owner)
        .order_by(entries.c.id.desc())
    )

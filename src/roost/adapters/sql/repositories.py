"""The SQL repositories: each works inside the connection (transaction) of a unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.dialect import insert_ignoring_duplicates
from roost.adapters.sql.tables import (
    auth_tokens,
    feeds,
    followers,
    likes,
    mentions,
    reposts,
    tweets,
    users,
)
from roost.domain.errors import HandleTaken
from roost.domain.tweets import Author, Counts, FeedEntry, Flags, Tweet
from roost.domain.users import User, handle_key

HOME_FEED = "home"

_USER_COLUMNS = (
    users.c.id,
    users.c.handle,
    users.c.display_name,
    users.c.followers_count,
    users.c.following_count,
    users.c.created_at,
    users.c.last_seen_at,
    users.c.pulled,
)


def _user(row: Sequence[Any]) -> User:
    return User(*row)


class SqlUsers:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, user: User, password_hash: str) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    users.insert().values(
                        id=user.id,
                        handle=user.handle,
                        handle_key=handle_key(user.handle),
                        display_name=user.display_name,
                        password_hash=password_hash,
                        created_at=user.created_at,
                        last_seen_at=user.created_at,
                    )
                )
        except IntegrityError:
            raise HandleTaken(f"The handle {user.handle!r} is taken.") from None
        await self._conn.execute(
            feeds.insert().values(id=user.id, owner_id=user.id, kind=HOME_FEED)
        )

    async def get(self, user_id: int) -> User | None:
        row = (
            await self._conn.execute(select(*_USER_COLUMNS).where(users.c.id == user_id))
        ).first()
        return _user(row) if row else None

    async def by_handle(self, handle: str) -> User | None:
        query = select(*_USER_COLUMNS).where(users.c.handle_key == handle_key(handle))
        row = (await self._conn.execute(query)).first()
        return _user(row) if row else None

    async def credentials(self, handle: str) -> tuple[User, str] | None:
        query = select(*_USER_COLUMNS, users.c.password_hash).where(
            users.c.handle_key == handle_key(handle)
        )
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        return User(*row[:-1]), row[-1]

    async def many(self, user_ids: Sequence[int]) -> dict[int, User]:
        if not user_ids:
            return {}
        query = select(*_USER_COLUMNS).where(users.c.id.in_(list(user_ids)))
        return {row.id: _user(row) for row in await self._conn.execute(query)}

    async def ids_by_handle_key(self, keys: Sequence[str]) -> dict[str, int]:
        query = select(users.c.handle_key, users.c.id).where(users.c.handle_key.in_(list(keys)))
        return dict((await self._conn.execute(query)).all())

    async def ids_after(self, after_id: int, limit: int) -> list[int]:
        query = select(users.c.id).where(users.c.id > after_id).order_by(users.c.id).limit(limit)
        return list((await self._conn.execute(query)).scalars())

    async def count(self) -> int:
        return int((await self._conn.execute(select(func.count()).select_from(users))).scalar_one())

    async def touch(self, user_id: int, at: datetime) -> None:
        await self._conn.execute(update(users).where(users.c.id == user_id).values(last_seen_at=at))

    async def set_pulled(self, user_id: int, pulled: bool) -> None:
        await self._conn.execute(update(users).where(users.c.id == user_id).values(pulled=pulled))

    async def misclassified(self, celebrity_threshold: int) -> list[int]:
        celebrity = users.c.followers_count >= celebrity_threshold
        query = select(users.c.id).where(
            or_(and_(celebrity, users.c.pulled.is_(False)), and_(~celebrity, users.c.pulled))
        )
        return list((await self._conn.execute(query)).scalars())

    async def add_to_follow_counts(self, follower_id: int, followee_id: int, delta: int) -> None:
        """One statement for both rows, so two users following each other at once lock them
        in the same order and cannot deadlock."""
        await self._conn.execute(
            update(users)
            .where(users.c.id.in_([follower_id, followee_id]))
            .values(
                following_count=case(
                    (users.c.id == follower_id, users.c.following_count + delta),
                    else_=users.c.following_count,
                ),
                followers_count=case(
                    (users.c.id == followee_id, users.c.followers_count + delta),
                    else_=users.c.followers_count,
                ),
            )
        )


class SqlTokens:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(
        self, token_hash: str, user_id: int, created_at: datetime, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            auth_tokens.insert().values(
                token_hash=token_hash, user_id=user_id, created_at=created_at, expires_at=expires_at
            )
        )

    async def owner(self, token_hash: str, now: datetime) -> tuple[int, datetime] | None:
        query = select(auth_tokens.c.user_id, auth_tokens.c.expires_at).where(
            auth_tokens.c.token_hash == token_hash,
            auth_tokens.c.revoked.is_(False),
            auth_tokens.c.expires_at > now,
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else (row.user_id, row.expires_at)

    async def revoke(self, token_hash: str) -> None:
        await self._conn.execute(
            update(auth_tokens).where(auth_tokens.c.token_hash == token_hash).values(revoked=True)
        )


_TWEET_QUERY = select(
    tweets.c.id,
    tweets.c.author_id,
    users.c.handle,
    users.c.display_name,
    tweets.c.content,
    tweets.c.created_at,
    tweets.c.in_reply_to,
    tweets.c.repost_of,
).join_from(tweets, users, users.c.id == tweets.c.author_id)
_LIVE = tweets.c.deleted_at.is_(None)
_ORIGIN = func.coalesce(tweets.c.repost_of, tweets.c.id)


def _tweet(row: Sequence[Any], originals: dict[int, Tweet]) -> Tweet | None:
    """A tweet from its row; a repost whose original is gone is gone too (None)."""
    tweet_id, author_id, handle, display_name, content, created_at, in_reply_to, repost_of = row
    shown = None
    if repost_of is not None:
        shown = originals.get(repost_of)
        if shown is None:
            return None
    return Tweet(
        tweet_id, Author(author_id, handle, display_name), content, created_at, in_reply_to, shown
    )


def _entry(row: Sequence[Any]) -> FeedEntry:
    return FeedEntry(row[0], row[1])


class SqlTweets:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, new: Sequence[Tweet]) -> None:
        if new:
            await self._conn.execute(
                tweets.insert(),
                [
                    {
                        "id": tweet.id,
                        "author_id": tweet.author.id,
                        "content": tweet.content,
                        "created_at": tweet.created_at,
                        "in_reply_to": tweet.in_reply_to,
                        "repost_of": None if tweet.repost_of is None else tweet.repost_of.id,
                    }
                    for tweet in new
                ],
            )

    async def get(self, tweet_id: int) -> Tweet | None:
        return (await self.many([tweet_id])).get(tweet_id)

    async def many(self, tweet_ids: Sequence[int]) -> dict[int, Tweet]:
        if not tweet_ids:
            return {}
        found = await self._tweets(_TWEET_QUERY.where(tweets.c.id.in_(list(tweet_ids)), _LIVE))
        return {tweet.id: tweet for tweet in found}

    async def mark_deleted(self, tweet_id: int, at: datetime) -> None:
        await self._conn.execute(
            update(tweets).where(tweets.c.id == tweet_id, _LIVE).values(deleted_at=at)
        )

    async def by_author(self, author_id: int, before_id: int, limit: int) -> list[Tweet]:
        return await self._tweets(
            _TWEET_QUERY.where(tweets.c.author_id == author_id, tweets.c.id < before_id, _LIVE)
            .order_by(tweets.c.id.desc())
            .limit(limit)
        )

    async def replies(self, tweet_id: int, before_id: int, limit: int) -> list[Tweet]:
        return await self._tweets(
            _TWEET_QUERY.where(tweets.c.in_reply_to == tweet_id, tweets.c.id < before_id, _LIVE)
            .order_by(tweets.c.id.desc())
            .limit(limit)
        )

    async def mentioning(self, user_id: int, before_id: int, limit: int) -> list[Tweet]:
        return await self._tweets(
            _TWEET_QUERY.join(mentions, mentions.c.tweet_id == tweets.c.id)
            .where(mentions.c.user_id == user_id, tweets.c.id < before_id, _LIVE)
            .order_by(tweets.c.id.desc())
            .limit(limit)
        )

    async def entries_by_id(self, tweet_ids: Sequence[int]) -> dict[int, FeedEntry]:
        if not tweet_ids:
            return {}
        query = select(tweets.c.id, _ORIGIN).where(tweets.c.id.in_(list(tweet_ids)))
        return {row[0]: _entry(row) for row in await self._conn.execute(query)}

    async def entries_by_author_since(
        self, author_id: int, since_id: int, limit: int
    ) -> list[FeedEntry]:
        query = (
            select(tweets.c.id, _ORIGIN)
            .where(tweets.c.author_id == author_id, tweets.c.id >= since_id)
            .order_by(tweets.c.id.desc())
            .limit(limit)
        )
        return [_entry(row) for row in await self._conn.execute(query)]

    async def home_timeline_entries(self, user_id: int, limit: int) -> list[FeedEntry]:
        followees = select(followers.c.followee_id).where(followers.c.follower_id == user_id)
        query = (
            select(tweets.c.id, _ORIGIN)
            .where(or_(tweets.c.author_id == user_id, tweets.c.author_id.in_(followees)), _LIVE)
            .order_by(tweets.c.id.desc())
            .limit(limit)
        )
        return [_entry(row) for row in await self._conn.execute(query)]

    async def recent_entries_by_author(self, author_id: int, limit: int) -> list[FeedEntry]:
        query = (
            select(tweets.c.id, _ORIGIN)
            .where(tweets.c.author_id == author_id, _LIVE)
            .order_by(tweets.c.id.desc())
            .limit(limit)
        )
        return [_entry(row) for row in await self._conn.execute(query)]

    async def links(self, tweet_ids: Sequence[int]) -> dict[int, tuple[int | None, int | None]]:
        if not tweet_ids:
            return {}
        query = select(tweets.c.id, tweets.c.in_reply_to, tweets.c.repost_of).where(
            tweets.c.id.in_(list(tweet_ids))
        )
        return {row[0]: (row[1], row[2]) for row in await self._conn.execute(query)}

    async def recount(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        """One statement, whatever happened before: replaying it changes nothing."""
        if not tweet_ids:
            return {}
        replies = tweets.alias("replies")
        await self._conn.execute(
            update(tweets)
            .where(tweets.c.id.in_(list(tweet_ids)))
            .values(
                like_count=select(func.count())
                .where(likes.c.tweet_id == tweets.c.id)
                .scalar_subquery(),
                reply_count=select(func.count())
                .where(replies.c.in_reply_to == tweets.c.id, replies.c.deleted_at.is_(None))
                .scalar_subquery(),
                repost_count=select(func.count())
                .where(reposts.c.tweet_id == tweets.c.id)
                .scalar_subquery(),
            )
        )
        return await self._counts(tweet_ids)

    async def _counts(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        if not tweet_ids:
            return {}
        query = select(
            tweets.c.id, tweets.c.like_count, tweets.c.reply_count, tweets.c.repost_count
        ).where(tweets.c.id.in_(list(tweet_ids)))
        return {row[0]: Counts(*row[1:]) for row in await self._conn.execute(query)}

    async def engagement(
        self, reader_id: int, tweet_ids: Sequence[int]
    ) -> dict[int, tuple[Counts, Flags]]:
        if not tweet_ids:
            return {}
        liked = (
            select(likes.c.tweet_id)
            .where(likes.c.tweet_id == tweets.c.id, likes.c.user_id == reader_id)
            .exists()
        )
        reposted = (
            select(reposts.c.tweet_id)
            .where(reposts.c.tweet_id == tweets.c.id, reposts.c.user_id == reader_id)
            .exists()
        )
        query = select(
            tweets.c.id,
            tweets.c.like_count,
            tweets.c.reply_count,
            tweets.c.repost_count,
            liked,
            reposted,
        ).where(tweets.c.id.in_(list(tweet_ids)))
        return {
            row[0]: (Counts(*row[1:4]), Flags(bool(row[4]), bool(row[5])))
            for row in await self._conn.execute(query)
        }

    async def flagged_since(
        self, reader_id: int, since_id: int, limit: int
    ) -> dict[int, Flags] | None:
        liked = select(likes.c.tweet_id).where(
            likes.c.user_id == reader_id, likes.c.tweet_id >= since_id
        )
        reposted = select(reposts.c.tweet_id).where(
            reposts.c.user_id == reader_id, reposts.c.tweet_id >= since_id
        )
        liked_ids = set((await self._conn.execute(liked.limit(limit + 1))).scalars())
        reposted_ids = set((await self._conn.execute(reposted.limit(limit + 1))).scalars())
        if len(liked_ids) > limit or len(reposted_ids) > limit:
            return None
        return {
            tweet_id: Flags(tweet_id in liked_ids, tweet_id in reposted_ids)
            for tweet_id in liked_ids | reposted_ids
        }

    async def flags_of(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Flags]:
        if not pairs:
            return {}
        wanted = list(pairs)
        liked_query = select(likes.c.user_id, likes.c.tweet_id).where(
            tuple_(likes.c.user_id, likes.c.tweet_id).in_(wanted)
        )
        reposted_query = select(reposts.c.user_id, reposts.c.tweet_id).where(
            tuple_(reposts.c.user_id, reposts.c.tweet_id).in_(wanted)
        )
        liked = {(user, tweet) for user, tweet in await self._conn.execute(liked_query)}
        reposted = {(user, tweet) for user, tweet in await self._conn.execute(reposted_query)}
        return {pair: Flags(pair in liked, pair in reposted) for pair in wanted}

    async def _tweets(self, query: Select[Any]) -> list[Tweet]:
        """Tweets in the query's order, reposts with their (live) original."""
        rows = list(await self._conn.execute(query))
        wanted = {row.repost_of for row in rows if row.repost_of is not None}
        originals: dict[int, Tweet] = {}
        if wanted:
            found = await self._conn.execute(
                _TWEET_QUERY.where(tweets.c.id.in_(list(wanted)), _LIVE)
            )
            originals = {row.id: tweet for row in found if (tweet := _tweet(row, {}))}
        return [tweet for row in rows if (tweet := _tweet(row, originals))]


class SqlLikes:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, user_id: int, tweet_id: int, at: datetime) -> bool:
        statement = insert_ignoring_duplicates(self._conn.dialect.name, likes).values(
            user_id=user_id, tweet_id=tweet_id, created_at=at
        )
        return (await self._conn.execute(statement)).rowcount == 1

    async def remove(self, user_id: int, tweet_id: int) -> bool:
        result = await self._conn.execute(
            likes.delete().where(likes.c.user_id == user_id, likes.c.tweet_id == tweet_id)
        )
        return result.rowcount == 1

    async def exists(self, user_id: int, tweet_id: int) -> bool:
        query = select(
            exists().where(and_(likes.c.user_id == user_id, likes.c.tweet_id == tweet_id))
        )
        return bool((await self._conn.execute(query)).scalar())


class SqlReposts:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, user_id: int, tweet_id: int, repost_id: int) -> bool:
        statement = insert_ignoring_duplicates(self._conn.dialect.name, reposts).values(
            user_id=user_id, tweet_id=tweet_id, repost_id=repost_id
        )
        return (await self._conn.execute(statement)).rowcount == 1

    async def of(self, user_id: int, tweet_id: int) -> int | None:
        query = select(reposts.c.repost_id).where(
            reposts.c.user_id == user_id, reposts.c.tweet_id == tweet_id
        )
        found: int | None = (await self._conn.execute(query)).scalar()
        return found

    async def remove(self, user_id: int, tweet_id: int) -> int | None:
        repost_id = await self.of(user_id, tweet_id)
        if repost_id is not None:
            await self._conn.execute(
                reposts.delete().where(reposts.c.user_id == user_id, reposts.c.tweet_id == tweet_id)
            )
        return repost_id

    async def remove_all_of(self, tweet_id: int) -> list[tuple[int, int]]:
        query = select(reposts.c.repost_id, reposts.c.user_id).where(reposts.c.tweet_id == tweet_id)
        found = [(row[0], row[1]) for row in await self._conn.execute(query)]
        await self._conn.execute(reposts.delete().where(reposts.c.tweet_id == tweet_id))
        return found


class SqlMentions:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, mentioned: Mapping[int, Sequence[int]]) -> None:
        rows = [
            {"tweet_id": tweet_id, "user_id": user_id}
            for tweet_id, user_ids in mentioned.items()
            for user_id in user_ids
        ]
        if rows:
            await self._conn.execute(mentions.insert(), rows)

    async def of_tweets(self, tweet_ids: Sequence[int]) -> dict[int, list[int]]:
        query = select(mentions.c.tweet_id, mentions.c.user_id).where(
            mentions.c.tweet_id.in_(list(tweet_ids))
        )
        found: dict[int, list[int]] = {}
        for tweet_id, user_id in await self._conn.execute(query):
            found.setdefault(tweet_id, []).append(user_id)
        return found


class SqlFollows:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, follow_id: int, follower_id: int, followee_id: int, at: datetime) -> bool:
        statement = insert_ignoring_duplicates(self._conn.dialect.name, followers).values(
            id=follow_id, follower_id=follower_id, followee_id=followee_id, created_at=at
        )
        result = await self._conn.execute(statement)
        return result.rowcount == 1

    async def remove(self, follower_id: int, followee_id: int) -> bool:
        result = await self._conn.execute(
            followers.delete().where(
                followers.c.follower_id == follower_id, followers.c.followee_id == followee_id
            )
        )
        return result.rowcount == 1

    async def exists(self, follower_id: int, followee_id: int) -> bool:
        query = select(
            exists().where(
                and_(followers.c.follower_id == follower_id, followers.c.followee_id == followee_id)
            )
        )
        return bool((await self._conn.execute(query)).scalar())

    async def followers_page(
        self, user_id: int, before_id: int, limit: int
    ) -> list[tuple[int, int]]:
        query = (
            select(followers.c.id, followers.c.follower_id)
            .where(followers.c.followee_id == user_id, followers.c.id < before_id)
            .order_by(followers.c.id.desc())
            .limit(limit)
        )
        return [(row[0], row[1]) for row in await self._conn.execute(query)]

    async def following_page(
        self, user_id: int, before_id: int, limit: int
    ) -> list[tuple[int, int]]:
        query = (
            select(followers.c.id, followers.c.followee_id)
            .where(followers.c.follower_id == user_id, followers.c.id < before_id)
            .order_by(followers.c.id.desc())
            .limit(limit)
        )
        return [(row[0], row[1]) for row in await self._conn.execute(query)]

    async def followers_after(
        self, user_id: int, after_id: int, limit: int
    ) -> list[tuple[int, datetime | None]]:
        query = (
            select(followers.c.follower_id, users.c.last_seen_at)
            .join(users, users.c.id == followers.c.follower_id)
            .where(followers.c.followee_id == user_id, followers.c.follower_id > after_id)
            .order_by(followers.c.follower_id)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in await self._conn.execute(query)]

    async def followers_of_many(
        self, user_ids: Sequence[int], limit: int
    ) -> list[tuple[int, int, datetime | None]]:
        if not user_ids:
            return []
        query = (
            select(followers.c.followee_id, followers.c.follower_id, users.c.last_seen_at)
            .join(users, users.c.id == followers.c.follower_id)
            .where(followers.c.followee_id.in_(list(user_ids)))
            .order_by(followers.c.followee_id, followers.c.follower_id)
            .limit(limit)
        )
        return [(row[0], row[1], row[2]) for row in await self._conn.execute(query)]

    async def followee_ids(self, user_id: int) -> list[int]:
        query = select(followers.c.followee_id).where(followers.c.follower_id == user_id)
        return list((await self._conn.execute(query)).scalars())

    async def pulled_followees(self, user_id: int) -> list[int]:
        query = (
            select(followers.c.followee_id)
            .join(users, users.c.id == followers.c.followee_id)
            .where(followers.c.follower_id == user_id, users.c.pulled.is_(True))
        )
        return list((await self._conn.execute(query)).scalars())

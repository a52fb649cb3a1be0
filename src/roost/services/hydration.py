"""Turning tweet ids into the bytes the API sends, through the tweet cache."""

from __future__ import annotations

from collections.abc import Sequence

from roost.ports import TweetCache, UnitOfWorkFactory
from roost.services.views import render_tweet


class TweetHydrator:
    """Cache first, then one SQL query for all misses, which are then cached.

    Deleted tweets are absent from the result: their cache entries are discarded on delete and
    SQL returns live tweets only, which is what hides a deleted post on read at once.
    """

    def __init__(self, uow: UnitOfWorkFactory, cache: TweetCache) -> None:
        self._uow = uow
        self._cache = cache

    async def rendered(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
        found = await self._cache.get_many(tweet_ids)
        missing = [tweet_id for tweet_id in tweet_ids if tweet_id not in found]
        if missing:
            async with self._uow(read_only=True) as uow:
                loaded = await uow.tweets.many(missing)
            fresh = {tweet_id: render_tweet(tweet) for tweet_id, tweet in loaded.items()}
            await self._cache.put_many(fresh)
            found.update(fresh)
        return found

    async def forget(self, tweet_id: int) -> None:
        await self._cache.discard(tweet_id)

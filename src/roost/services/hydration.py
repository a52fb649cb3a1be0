"""Turning tweet ids into the bytes the API sends, through the tweet cache."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from roost.ports import StoreUnavailable, TweetCache, UnitOfWorkFactory
from roost.services.views import render_tweet

log = logging.getLogger(__name__)


class TweetHydrator:
    """Cache first, then one SQL query for all misses, which are then cached.

    Deleted tweets are absent from the result: the cache holds a deletion mark for them and SQL
    returns live tweets only, which is what hides a deleted post on read at once. Without its
    cache (Redis down) hydration still answers, from SQL.
    """

    def __init__(self, uow: UnitOfWorkFactory, cache: TweetCache) -> None:
        self._uow = uow
        self._cache = cache

    async def rendered(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
        try:
            cached = await self._cache.get_many(tweet_ids)
        except StoreUnavailable:
            cached = {}
        if len(cached) == len(tweet_ids) and b"" not in cached.values():
            return cached  # each of them cached (as many as asked for) and none deleted
        missing = [tweet_id for tweet_id in tweet_ids if tweet_id not in cached]
        found = {tweet_id: body for tweet_id, body in cached.items() if body}
        if missing:
            fresh = await self._load(missing)
            found.update(fresh)
        return found

    async def _load(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
        async with self._uow(read_only=True) as uow:
            loaded = await uow.tweets.many(tweet_ids)
        fresh = {tweet_id: render_tweet(tweet) for tweet_id, tweet in loaded.items()}
        try:
            await self._cache.put_many(fresh)
        except StoreUnavailable:
            log.warning("tweet cache unavailable; serving from SQL")
        return fresh

    async def forget(self, tweet_id: int) -> None:
        """Never serve this tweet from a cache again (it was deleted). Without the cache, the
        ``tweet.deleted`` fanout repeats this once it is back."""
        try:
            await self._cache.mark_deleted(tweet_id)
        except StoreUnavailable:
            log.warning("tweet cache unavailable; deletion of %s is marked by fanout", tweet_id)

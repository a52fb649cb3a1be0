"""Engagement counts and each reader's likes and reposts in Redis.

Counts: a string per post ("likes replies reposts"), set by the counting consumer after each
recount and filled by readers where missing (SET NX). A reader that read SQL just before a
recount and fills just after it (a fill never replaces what is there, but the recount may have
found nothing to replace) can leave a count behind; the string expires after
ROOST_ENGAGEMENT_CACHE_SECONDS, which bounds how long. Flags: a hash per reader, a field per
post and action ("l<id>", "p<id>", ids as feed members, so the feed script reads them too),
written by the reader's own likes and reposts; fills from SQL never overwrite them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys, member
from roost.domain.tweets import Counts, Flags

FLAGS_TTL_SECONDS = 86_400
FlagFields = dict[Any, str]  # field -> "1" or "0" (redis-py types hash fields loosely)


def encode_counts(counts: Counts) -> bytes:
    return b"%d %d %d" % counts


def decode_counts(raw: bytes | None) -> Counts | None:
    if raw is None:
        return None
    return _decoded_counts(raw)


@functools.lru_cache(maxsize=4096)
def _decoded_counts(raw: bytes) -> Counts:
    """Memoised: few distinct values ("0 0 0", "1 0 0", ...) make up nearly every page, and
    decoding 50 of them a page was a sixth of a feed read's CPU."""
    likes, replies, reposts = raw.split()
    return Counts(int(likes), int(replies), int(reposts))


_FLAGS: dict[tuple[bytes | None, bytes | None], Flags] = {
    (liked, reposted): Flags(liked == b"1", reposted == b"1")
    for liked in (b"0", b"1")
    for reposted in (b"0", b"1")
}


def decode_flags(liked: bytes | None, reposted: bytes | None) -> Flags | None:
    """A reader's two fields for a post, or None unless both are known."""
    return _FLAGS.get((liked, reposted))


class RedisEngagementCache:
    def __init__(self, redis: Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds

    async def counts(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        if not tweet_ids:
            return {}
        with unavailable_on_error():
            found: list[Any] = await self._redis.mget([self._keys.counts(t) for t in tweet_ids])
        decoded = {t: decode_counts(raw) for t, raw in zip(tweet_ids, found, strict=True)}
        return {tweet_id: counts for tweet_id, counts in decoded.items() if counts is not None}

    async def put_counts(self, counts: dict[int, Counts]) -> None:
        await self._write_counts(counts, only_missing=True)

    async def set_counts(self, counts: dict[int, Counts]) -> None:
        await self._write_counts(counts, only_missing=False)

    async def _write_counts(self, counts: dict[int, Counts], *, only_missing: bool) -> None:
        if not counts:
            return
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=False) as pipe:
                for tweet_id, value in counts.items():
                    key = self._keys.counts(tweet_id)
                    pipe.set(key, encode_counts(value), ex=self._ttl, nx=only_missing)
                await pipe.execute()

    async def flags(self, user_id: int, tweet_ids: Sequence[int]) -> dict[int, Flags]:
        if not tweet_ids:
            return {}
        fields = [f"{kind}{member(tweet_id)}" for tweet_id in tweet_ids for kind in "lp"]
        with unavailable_on_error():
            found: list[Any] = await self._redis.hmget(self._keys.acts(user_id), fields)
        decoded = zip(tweet_ids, map(decode_flags, found[0::2], found[1::2]), strict=True)
        return {tweet_id: flags for tweet_id, flags in decoded if flags is not None}

    async def put_flags(self, user_id: int, flags: dict[int, Flags]) -> None:
        """Fields already there are kept: they were written by the user's own like or repost,
        which committed after this was read from SQL."""
        mapping: FlagFields = {}
        for tweet_id, (liked, reposted) in flags.items():
            mapping[f"l{member(tweet_id)}"] = "1" if liked else "0"
            mapping[f"p{member(tweet_id)}"] = "1" if reposted else "0"
        await self._write_flags(user_id, mapping, overwrite=False)

    async def set_liked(self, user_id: int, tweet_id: int, liked: bool) -> None:
        mapping: FlagFields = {f"l{member(tweet_id)}": "1" if liked else "0"}
        await self._write_flags(user_id, mapping, overwrite=True)

    async def set_reposted(self, user_id: int, tweet_id: int, reposted: bool) -> None:
        mapping: FlagFields = {f"p{member(tweet_id)}": "1" if reposted else "0"}
        await self._write_flags(user_id, mapping, overwrite=True)

    async def _write_flags(self, user_id: int, mapping: FlagFields, *, overwrite: bool) -> None:
        if not mapping:
            return
        key = self._keys.acts(user_id)
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=True) as pipe:
                if overwrite:
                    pipe.hset(key, mapping=mapping)
                else:
                    for field, value in mapping.items():
                        pipe.hsetnx(key, field, value)
                pipe.expire(key, FLAGS_TTL_SECONDS)
                await pipe.execute()

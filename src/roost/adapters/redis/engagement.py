"""Engagement counts and each reader's likes and reposts in Redis.

Counts: a hash per post (l, r, p), set by the counting consumer after each recount and filled
by readers where missing. A reader that read SQL just before a recount and fills just after it
(a fill never replaces what is there, but the recount may have found nothing to replace) can
leave a count behind; the hash expires after ROOST_ENGAGEMENT_CACHE_SECONDS, which bounds how
long. Flags: a hash per reader, a field per
post and action ("l<id>", "p<id>", ids as feed members, so the feed script reads them too),
written by the reader's own likes and reposts; fills from SQL never overwrite them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys, member
from roost.domain.tweets import Counts, Flags

FLAGS_TTL_SECONDS = 86_400
FlagFields = dict[Any, str]  # field -> "1" or "0" (redis-py types hash fields loosely)

# KEYS: count hashes. ARGV: ttl, then likes, replies, reposts per key. Fills only the missing.
_FILL = """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then
    local at = 2 + (i - 1) * 3
    redis.call('HSET', key, 'l', ARGV[at], 'r', ARGV[at + 1], 'p', ARGV[at + 2])
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return 0
"""


class RedisEngagementCache:
    def __init__(self, redis: Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        self._fill = redis.register_script(_FILL)

    async def counts(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=False) as pipe:
                for tweet_id in tweet_ids:
                    pipe.hmget(self._keys.counts(tweet_id), "l", "r", "p")
                found: list[Any] = await pipe.execute()
        return {
            tweet_id: Counts(int(values[0]), int(values[1]), int(values[2]))
            for tweet_id, values in zip(tweet_ids, found, strict=True)
            if None not in values
        }

    async def put_counts(self, counts: dict[int, Counts]) -> None:
        if not counts:
            return
        keys = [self._keys.counts(tweet_id) for tweet_id in counts]
        args: list[int] = [self._ttl]
        for value in counts.values():
            args += value
        with unavailable_on_error():
            await self._fill(keys=keys, args=args)

    async def set_counts(self, counts: dict[int, Counts]) -> None:
        if not counts:
            return
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=False) as pipe:
                for tweet_id, (likes, replies, reposts) in counts.items():
                    key = self._keys.counts(tweet_id)
                    pipe.hset(key, mapping={"l": likes, "r": replies, "p": reposts})
                    pipe.expire(key, self._ttl)
                await pipe.execute()

    async def flags(self, user_id: int, tweet_ids: Sequence[int]) -> dict[int, Flags]:
        if not tweet_ids:
            return {}
        fields = [f"{kind}{member(tweet_id)}" for tweet_id in tweet_ids for kind in "lp"]
        with unavailable_on_error():
            found: list[Any] = await self._redis.hmget(self._keys.acts(user_id), fields)
        flags = {}
        for i, tweet_id in enumerate(tweet_ids):
            liked, reposted = found[2 * i], found[2 * i + 1]
            if liked is not None and reposted is not None:
                flags[tweet_id] = Flags(liked == b"1", reposted == b"1")
        return flags

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

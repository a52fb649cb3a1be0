"""Engagement counts and each reader's likes and reposts in Redis.

Counts: a string per post ("likes replies reposts"), set by the counting consumer after each
recount and filled by readers where missing (SET NX). A reader that read SQL just before a
recount and fills just after it (a fill never replaces what is there, but the recount may have
found nothing to replace) can leave a count behind; the string expires after
ROOST_ENGAGEMENT_CACHE_SECONDS, which bounds how long.

Flags: a hash per reader, a field per post (its id as a feed member, so the feed script reads
it too) holding two characters, liked and reposted: "1", "0", or "?" for not known yet. The
reader's own like or repost sets its character whatever the field holds; a fill from SQL sets
only the characters not known yet, so it never undoes an action committed after its read. One
field a post, not one a flag: the feed script reads a page's flags with half the lookups.

The field ``since`` (a feed member) says the hash is complete from that post on: a post at or
after it with no field was neither liked nor reposted. A fill that read all of the reader's
likes and reposts from some post on writes those (few) and moves ``since`` back to it, so the
hash holds what the reader did, not an entry for every post they were shown: it stays a few
fields long, and Redis scans small hashes (the page script's HMGET of 51 fields in a hash of
50 was a sixth of its time, and the hash grew with every post shown). A like the fill did not
see is set by its own action, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys, member
from roost.domain.tweets import Counts, Flags
from roost.services.memo import BoundedMemo

FLAGS_TTL_SECONDS = 86_400
FLAGS_SINCE = "since"  # the flags hash's completeness mark (a field no post id can be)


def encode_counts(counts: Counts) -> bytes:
    return b"%d %d %d" % counts


def _decoded_counts(raw: bytes | None) -> Counts | None:
    return None if raw is None else Counts(*map(int, raw.split()))


# Few distinct values ("0 0 0", "1 0 0", ...) make up nearly every page, and decoding 50 of
# them a page was a sixth of a feed read's CPU.
_COUNTS = BoundedMemo(_decoded_counts, 4096)
_FLAGS: dict[bytes | None, Flags] = {
    liked + reposted: Flags(liked == b"1", reposted == b"1")
    for liked in (b"0", b"1")
    for reposted in (b"0", b"1")
}
_NEITHER = _FLAGS[b"00"]
# Decoders in C, for map() over a page's values: no Python frame a value. A reader's flags
# field decodes to None unless both flags are known; a missing one to None, or, for a post the
# hash is complete for (see FLAGS_SINCE), to neither.
decode_counts: Callable[[bytes | None], Counts | None] = _COUNTS.__getitem__
decode_flags: Callable[[bytes | None], Flags | None] = _FLAGS.get
# For a covered post a "?" is "0": the fill that set the mark would have filled it had it found
# that flag done (it writes every post from the mark on that was liked or reposted), and an
# action since would have set its own character.
_COVERED: dict[bytes | None, Flags] = {
    **_FLAGS,
    None: _NEITHER,
    **{
        (liked + reposted).encode(): Flags(liked == "1", reposted == "1")
        for liked in "01?"
        for reposted in "01?"
        if "?" in liked + reposted
    },
}
decode_covered_flags: Callable[[bytes | None], Flags | None] = _COVERED.get


# By (whether the hash is complete for the post, its field): both decoders in one table.
_FLAGS_BY_COVER: dict[tuple[bool, bytes | None], Flags | None] = {
    **{(False, raw): flags for raw, flags in _FLAGS.items()},
    **{(True, raw): flags for raw, flags in _COVERED.items()},
}


def flags_since(raw: bytes | None) -> int | None:
    """The first post a flags hash is complete for (its ``since`` field), if any."""
    return None if raw is None else int(raw)


# KEYS: the reader's flags. ARGV: the TTL, the post the fill is complete from ('' if it is
# not), then field and value pairs. Sets the characters the fields do not know yet, and moves
# ``since`` back (never forward: the hash stays complete from where it was).
_FILL_FLAGS = """
for i = 3, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  elseif string.find(current, '?', 1, true) then
    local known = ''
    for k = 1, 2 do
      local flag = string.sub(current, k, k)
      if flag == '?' then flag = string.sub(ARGV[i + 1], k, k) end
      known = known .. flag
    end
    redis.call('HSET', KEYS[1], ARGV[i], known)
  end
end
if ARGV[2] ~= '' then
  local since = redis.call('HGET', KEYS[1], 'since')
  if not since or ARGV[2] < since then redis.call('HSET', KEYS[1], 'since', ARGV[2]) end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 0
"""

# KEYS: the reader's flags. ARGV: the TTL, the field, which flag (1 liked, 2 reposted) and its
# value ("1" or "0"). Sets that character, keeping the other ("?" if not known; "0" if the hash
# is complete for the post). The field stays even when it says neither: a fill that read SQL
# before this action must find it, or it would write back what this action undid.
_SET_FLAG = """
local since = redis.call('HGET', KEYS[1], 'since')
local absent = (since and ARGV[2] >= since) and '00' or '??'
local current = redis.call('HGET', KEYS[1], ARGV[2]) or absent
local flags
if ARGV[3] == '1' then
  flags = ARGV[4] .. string.sub(current, 2, 2)
else
  flags = string.sub(current, 1, 1) .. ARGV[4]
end
redis.call('HSET', KEYS[1], ARGV[2], flags)
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 0
"""
_LIKED, _REPOSTED = 1, 2


class RedisEngagementCache:
    def __init__(self, redis: Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        self._fill_flags = redis.register_script(_FILL_FLAGS)
        self._set_flag_script = redis.register_script(_SET_FLAG)

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
        fields = [member(tweet_id) for tweet_id in tweet_ids]
        with unavailable_on_error():
            found: list[Any] = await self._redis.hmget(
                self._keys.flags(user_id), [*fields, FLAGS_SINCE]
            )
        return {
            tweet_id: flags
            for tweet_id, flags in zip(tweet_ids, decoded_flags(tweet_ids, found), strict=True)
            if flags is not None
        }

    complete_flags = True  # a reader's flags are one hash, kept or evicted whole

    async def put_flags(
        self, user_id: int, flags: dict[int, Flags], *, complete_since: int | None = None
    ) -> None:
        """Posts from ``complete_since`` on that were neither liked nor reposted are left out:
        the hash's ``since`` says so."""
        if not flags and complete_since is None:
            return
        since = "" if complete_since is None else member(complete_since)
        args: list[str | int] = [FLAGS_TTL_SECONDS, since]
        for tweet_id, (liked, reposted) in flags.items():
            if liked or reposted or complete_since is None or tweet_id < complete_since:
                args += [member(tweet_id), _encoded(liked, reposted)]
        with unavailable_on_error():
            await self._fill_flags(keys=[self._keys.flags(user_id)], args=args)

    async def set_liked(self, user_id: int, tweet_id: int, liked: bool) -> None:
        await self._set_flag(user_id, tweet_id, _LIKED, liked)

    async def set_reposted(self, user_id: int, tweet_id: int, reposted: bool) -> None:
        await self._set_flag(user_id, tweet_id, _REPOSTED, reposted)

    async def set_flags(self, flags: Mapping[tuple[int, int], Flags]) -> None:
        """Each field written whole, in one round trip; a field saying neither stays, as in
        ``_SET_FLAG``."""
        if not flags:
            return
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=False) as pipe:
                for (user_id, tweet_id), (liked, reposted) in flags.items():
                    key = self._keys.flags(user_id)
                    pipe.hset(key, member(tweet_id), _encoded(liked, reposted))
                    pipe.expire(key, FLAGS_TTL_SECONDS)
                await pipe.execute()

    async def _set_flag(self, user_id: int, tweet_id: int, flag: int, value: bool) -> None:
        args: list[str | int] = [FLAGS_TTL_SECONDS, member(tweet_id), flag, _encoded(value)]
        with unavailable_on_error():
            await self._set_flag_script(keys=[self._keys.flags(user_id)], args=args)


def _encoded(*flags: bool) -> str:
    """Flags as a field holds them: a character each, "1" or "0"."""
    return "".join("1" if flag else "0" for flag in flags)


def decoded_flags(origins: Sequence[int], found: Sequence[bytes | None]) -> list[Flags | None]:
    """The flags of posts from an HMGET of their fields followed by ``since``: in C when the
    hash is complete for all of them or for none (the usual cases)."""
    if not found:  # a page with no entries
        return []
    *values, since_raw = found
    since = flags_since(since_raw)
    if since is None or not origins:
        return list(map(decode_flags, values))
    if min(origins) >= since:
        return list(map(decode_covered_flags, values))
    if len(origins) > 1 and min(origins[:-1]) >= since:
        # past the mark by the last entry only: a feed page's extra one, read to see whether
        # there is more, whose flags no fill asked for
        return [*map(decode_covered_flags, values[:-1]), decode_flags(values[-1])]
    covered = map(since.__le__, origins)
    return list(map(_FLAGS_BY_COVER.get, zip(covered, values, strict=True)))

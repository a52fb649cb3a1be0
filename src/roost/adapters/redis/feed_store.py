"""Home feeds in Redis sorted sets (see keys.py for the member encoding and the sentinel), and
the two structures of the pull model: each author's recent posts, and each reader's set of
pulled authors (the celebrities they follow).

Entries are tweet ids, and for a repost also the id of the original it shows (see keys.py); a
list holds one entry per original. Every write is one round trip: during fanout a batch of up
to 1,000 feeds per script call, for one post of many followers (`roost bench fanout` measures
it) or for a run of posts of few followers each. A read is one round trip
too: the page script reads the feed, merges the recent posts of the pulled authors, and returns
their counts and the reader's likes and reposts with them (the tweets come from the tweet cache).
Structures that are missing (never built, evicted, lost with Redis) are rebuilt from SQL by the
service, never written to piecemeal, so nothing in Redis is ever silently incomplete.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.engagement import decode_counts, decoded_flags
from roost.adapters.redis.keys import (
    FEED_SENTINEL,
    Keys,
    entry_member,
    member,
    parse_entry,
    parse_member,
)
from roost.adapters.redis.multiplexed import MultiplexedRedis, Script
from roost.domain.tweets import FeedEntry
from roost.ports import FeedSlice

# Shared by the scripts that add entries. A list (a home feed or an author's recent posts) holds
# one entry per origin; ``<list>:o`` maps each original that a repost in the list shows to that
# repost. ``origin`` is '' for an original. Returns 1 when the entry was added.
_ADD_ENTRY = """
local function add_entry(list, entry, origin, max_items)
  local index = list .. ':o'
  if origin == '' then
    if redis.call('HEXISTS', index, entry) == 1 then return 0 end
    return redis.call('ZADD', list, 0, entry)
  end
  if redis.call('ZSCORE', list, origin) or redis.call('HEXISTS', index, origin) == 1 then
    return 0
  end
  if redis.call('HLEN', index) >= max_items then
    local mapped = redis.call('HGETALL', index)
    for i = 1, #mapped, 2 do
      if not redis.call('ZSCORE', list, mapped[i + 1]) then redis.call('HDEL', index, mapped[i]) end
    end
  end
  redis.call('HSET', index, origin, entry)
  return redis.call('ZADD', list, 0, entry)
end
"""

# ARGV: max items, the parts of a list's key around its owner's id, then for each entry in
# order: entry, origin, and the ids of the owners of its lists joined by ",". Adds each entry
# to those of its lists that exist (home feeds, or authors' recent posts) and trims them before
# the next entry, as one call per entry would. A list that exists keeps existing (the sentinel
# is never trimmed) and one that does not is never created, so each is looked up once. Owners
# travel as one string an entry, not a key each: packing thousands of arguments was most of
# the client's cost of a push (`bench/fanout_batches.py`). It builds keys it was not given, so
# it needs a single Redis, not a Cluster (pushes to many feeds span slots anyway). Returns how
# many entries were added.
_PUSH = (
    _ADD_ENTRY
    + """
local added = 0
local max_items = tonumber(ARGV[1])
local exists = {}
for i = 4, #ARGV, 3 do
  for owner in string.gmatch(ARGV[i + 2], '[^,]+') do
    local list = ARGV[2] .. owner .. ARGV[3]
    if exists[list] == nil then exists[list] = redis.call('EXISTS', list) == 1 end
    if exists[list] then
      added = added + add_entry(list, ARGV[i], ARGV[i + 1], max_items)
      redis.call('ZREMRANGEBYRANK', list, 1, -(max_items + 1))
    end
  end
end
return added
"""
)

# ARGV: the parts of a feed's key around its owner's id, then the owners' ids joined by ",".
# Unlinks each feed and its originals index: one argument for any number of feeds, as _PUSH
# (fanout drops the feeds of every inactive follower of each post, most of them dropped before).
_DROP = """
for owner in string.gmatch(ARGV[3], '[^,]+') do
  local feed = ARGV[1] .. owner .. ARGV[2]
  redis.call('UNLINK', feed, feed .. ':o')
end
return 0
"""

# KEYS: one list. ARGV: create (1/0), max items, sentinel, then entry and origin pairs, oldest
# first. The sentinel stays rank 0.
_MERGE = (
    _ADD_ENTRY
    + """
local max_items = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '0' then return 0 end
  redis.call('DEL', KEYS[1] .. ':o')
  redis.call('ZADD', KEYS[1], 0, ARGV[3])
end
for i = 4, #ARGV, 2 do add_entry(KEYS[1], ARGV[i], ARGV[i + 1], max_items) end
redis.call('ZREMRANGEBYRANK', KEYS[1], 1, -(max_items + 1))
return 1
"""
)

# KEYS: lists. ARGV: max items, then entry and origin pairs. Removes the entries from each list.
# A list that was full may have trimmed older entries that now belong in it: it is dropped, to
# be rebuilt.
_REMOVE = """
local dropped = 0
local full = tonumber(ARGV[1]) + 1
for _, key in ipairs(KEYS) do
  local index = key .. ':o'
  local before = redis.call('ZCARD', key)
  local removed = 0
  for i = 2, #ARGV, 2 do
    if redis.call('ZREM', key, ARGV[i]) == 1 then
      removed = removed + 1
      if ARGV[i + 1] ~= '' and redis.call('HGET', index, ARGV[i + 1]) == ARGV[i] then
        redis.call('HDEL', index, ARGV[i + 1])
      end
    end
  end
  if removed > 0 and before >= full then
    redis.call('DEL', key, index)
    dropped = dropped + 1
  end
end
return dropped
"""

# KEYS: feed, pulled-authors set, the reader's flags. ARGV: upper bound "(entry", limit, counts
# key prefix, sentinel, author posts key prefix and suffix.
# ONE round trip for a page: the feed's entries, merged with the recent posts of the pulled
# authors, and their cached counts and the reader's flags (measured 6.6-7.3k req/s per core
# against 4.2k for two round trips). A pulled entry is left out when its origin is shown by the
# pushed feed or by an older pulled entry, so a page shows each original once. It builds keys it
# was not given, so it needs a single Redis, not a Cluster. Returns {'feed'} or {'pulls'} or
# {'posts', author ids} when something is missing, else {'ok', entries, counts ("likes replies
# reposts" per entry), flags (two characters per entry, then the hash's ``since``: see
# engagement.py)}.
_PAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'feed'} end
local pulls = redis.call('SMEMBERS', KEYS[2])
if #pulls == 0 then return {'pulls'} end
local limit = tonumber(ARGV[2])
local low = '(' .. ARGV[4]
local feed_index = KEYS[1] .. ':o'
local ids = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[1], low, 'LIMIT', 0, limit)
local function origin_of(entry)
  if #entry > 19 then return string.sub(entry, 21) end
  return entry
end
local lists = {}
local missing = {}
for _, author in ipairs(pulls) do
  if author ~= '0' then
    local key = ARGV[5] .. author .. ARGV[6]
    if redis.call('EXISTS', key) == 0 then
      missing[#missing + 1] = author
    else
      lists[#lists + 1] = key
    end
  end
end
if #missing > 0 then return {'posts', missing} end
local function shown_earlier(entry, origin)
  if redis.call('ZSCORE', KEYS[1], entry) or redis.call('HEXISTS', feed_index, origin) == 1 then
    return true
  end
  if origin == entry then return false end
  if redis.call('ZSCORE', KEYS[1], origin) then return true end
  local tweet = string.sub(entry, 1, 19)
  for _, key in ipairs(lists) do
    if redis.call('ZSCORE', key, origin) then return true end
    local other = redis.call('HGET', key .. ':o', origin)
    if other and string.sub(other, 1, 19) < tweet then return true end
  end
  return false
end
if #lists > 0 then
  -- Every pushed entry is shown, so a pulled entry older than a full page of them never is:
  -- the pulled lists are read down to the page's last pushed entry only. Those already in the
  -- page (a feed rebuilt from SQL holds the pulled authors' posts too) are left out at once;
  -- the rest, usually few, are merged in order, each checked against what the feed shows.
  local pulled_low = low
  if #ids == limit then pulled_low = '[' .. ids[limit] end
  local in_page = {}
  for _, id in ipairs(ids) do in_page[id] = true end
  local pulled = {}
  for _, key in ipairs(lists) do
    local recent = redis.call('ZREVRANGEBYLEX', key, ARGV[1], pulled_low, 'LIMIT', 0, limit)
    for _, entry in ipairs(recent) do
      if not in_page[entry] then pulled[#pulled + 1] = entry end
    end
  end
  if #pulled > 0 then
    table.sort(pulled, function(a, b) return a > b end)
    local merged = {}
    local i, j = 1, 1
    while #merged < limit and (ids[i] or pulled[j]) do
      local pushed, candidate = ids[i], pulled[j]
      if candidate == nil or (pushed and pushed > candidate) then
        merged[#merged + 1] = pushed
        i = i + 1
      else
        j = j + 1
        if not shown_earlier(candidate, origin_of(candidate)) then
          merged[#merged + 1] = candidate
        end
      end
    end
    ids = merged
  end
end
if #ids == 0 then return {'ok', ids, {}, {}} end
-- the tweets themselves are not read here: the API process keeps them (immutable, so an LRU
-- in front of Redis serves nearly all), and moving 50 of them through Lua doubled the cost
local count_keys = {}
local flag_fields = {}
for i, id in ipairs(ids) do
  local origin = origin_of(id)
  count_keys[i] = ARGV[3] .. origin
  flag_fields[i] = origin
end
flag_fields[#flag_fields + 1] = 'since'
return {'ok', ids, redis.call('MGET', unpack(count_keys)),
  redis.call('HMGET', KEYS[3], unpack(flag_fields))}
"""

_NO_AUTHORS = "0"
# A reader's set of pulled authors is looked up again at least this often (seconds), whatever
# happens: a bound on how long any race between a threshold switch and a read can last.
PULLED_AUTHORS_TTL = 600


class RedisHomeFeeds:
    """Pages are read through ``reads`` (one shared connection: the hot path), everything else
    through the pooled client."""

    def __init__(self, redis: Redis, reads: MultiplexedRedis, keys: Keys, max_items: int) -> None:
        self._redis = redis
        self._reads = reads
        self._keys = keys
        self._max_items = max_items
        self._push = redis.register_script(_PUSH)
        self._drop = redis.register_script(_DROP)
        self._merge = redis.register_script(_MERGE)
        self._remove = redis.register_script(_REMOVE)
        self._page = Script(_PAGE)

    async def push(self, entry: FeedEntry, owner_ids: Sequence[int]) -> int:
        return await self.push_many([(entry, owner_ids)])

    async def push_many(self, pushes: Sequence[tuple[FeedEntry, Sequence[int]]]) -> int:
        return await self._add_to_lists(self._keys.home_feed_parts, pushes)

    async def drop(self, owner_ids: Sequence[int]) -> None:
        if owner_ids:
            args = [*self._keys.home_feed_parts, ",".join(map(str, owner_ids))]
            with unavailable_on_error():
                await self._drop(args=args)

    async def backfill(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        await self._merge_into(self._keys.home_feed(owner_id), entries, create=False)

    async def materialise(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        await self._merge_into(self._keys.home_feed(owner_id), entries, create=True)

    async def remove(self, entry: FeedEntry, owner_ids: Sequence[int]) -> None:
        if owner_ids:
            feeds = [self._keys.home_feed(owner) for owner in owner_ids]
            await self._remove_entries(feeds, [entry])

    async def remove_from(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        if entries:
            await self._remove_entries([self._keys.home_feed(owner_id)], entries)

    async def oldest(self, owner_id: int) -> int | None:
        with unavailable_on_error():
            found: Any = await self._redis.zrange(self._keys.home_feed(owner_id), 1, 1)
        return parse_entry(found[0]).tweet_id if found else None

    async def page(self, owner_id: int, before_id: int, limit: int) -> FeedSlice | None:
        posts_before, posts_after = self._keys.author_posts_parts
        args: list[str | int] = [
            "(" + member(before_id),
            limit,
            self._keys.counts_prefix,
            FEED_SENTINEL,
            posts_before,
            posts_after,
        ]
        keys = [
            self._keys.home_feed(owner_id),
            self._keys.pulled_authors(owner_id),
            self._keys.flags(owner_id),
        ]
        with unavailable_on_error():
            found: Any = await self._reads.run_script(self._page, keys, args)
        status = found[0]
        if status == b"feed":
            return None
        if status == b"pulls":
            return FeedSlice([], pulled_authors_known=False)
        if status == b"posts":
            return FeedSlice([], missing_author_posts=[int(author) for author in found[1]])
        return _slice(list(map(parse_member, found[1])), found[2], found[3])

    async def set_pulled_authors(self, owner_id: int, author_ids: Sequence[int]) -> None:
        key = self._keys.pulled_authors(owner_id)
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.sadd(key, _NO_AUTHORS, *author_ids)
                pipe.expire(key, PULLED_AUTHORS_TTL)
                await pipe.execute()

    async def forget_pulled_authors(self, owner_ids: Sequence[int]) -> None:
        await self._unlink([self._keys.pulled_authors(owner) for owner in owner_ids])

    async def set_author_posts(self, author_id: int, entries: Sequence[FeedEntry]) -> None:
        """Merged into what is there, never replacing it: a post added meanwhile stays."""
        await self._merge_into(self._keys.author_posts(author_id), entries, create=True)

    async def add_author_posts(self, posts: Sequence[tuple[int, FeedEntry]]) -> None:
        parts = self._keys.author_posts_parts
        await self._add_to_lists(parts, [(entry, [author_id]) for author_id, entry in posts])

    async def remove_author_post(self, author_id: int, entry: FeedEntry) -> None:
        await self._remove_entries([self._keys.author_posts(author_id)], [entry])

    async def _unlink(self, keys: list[str]) -> None:
        if keys:
            with unavailable_on_error():
                await self._redis.unlink(*keys)

    async def _add_to_lists(
        self, key_parts: tuple[str, str], additions: Sequence[tuple[FeedEntry, Sequence[int]]]
    ) -> int:
        """One script call for any number of entries, each to the lists of any owners."""
        args: list[str | int] = [self._max_items, *key_parts]
        for entry, owner_ids in additions:
            if owner_ids:
                args += [*_entry_args(entry), ",".join(map(str, owner_ids))]
        if len(args) == 3:
            return 0
        with unavailable_on_error():
            added = await self._push(args=args)
        return int(added)

    async def _merge_into(self, key: str, entries: Sequence[FeedEntry], *, create: bool) -> None:
        """Oldest first: of two entries showing one origin, the first to arrive stays."""
        args: list[str | int] = ["1" if create else "0", self._max_items, FEED_SENTINEL]
        for entry in sorted(entries):
            args += _entry_args(entry)
        with unavailable_on_error():
            await self._merge(keys=[key], args=args)

    async def _remove_entries(self, keys: list[str], entries: Sequence[FeedEntry]) -> None:
        args: list[str | int] = [self._max_items]
        for entry in entries:
            args += _entry_args(entry)
        with unavailable_on_error():
            await self._remove(keys=keys, args=args)


def _entry_args(entry: FeedEntry) -> list[str | int]:
    return [entry_member(entry), member(entry.origin_id) if entry.is_repost else ""]


def _slice(entries: list[FeedEntry], counts: Any, flags: Any) -> FeedSlice:
    """What the page script found: each entry's cached counts and the reader's flags, decoded
    in C (``map`` over memoised decoders: no Python frame a value)."""
    origins = list(map(_origin, entries))
    return FeedSlice(entries, list(map(decode_counts, counts)), decoded_flags(origins, flags))


_origin = itemgetter(1)

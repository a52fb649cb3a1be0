"""An in-process LRU of serialised tweets: embedded mode's tweet cache, and the front of the
Redis one in scaled mode. An empty value marks a deleted tweet."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable, Sequence
from typing import TypeVar, cast

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def all_refreshed(items: OrderedDict[K, V], keys: Sequence[K]) -> list[V] | None:
    """The value of each key, each then the most recently used, looked up and refreshed in C
    (a page read, the usual case); None, and nothing refreshed, unless every key is there."""
    values = list(map(items.get, keys))
    if None in values:
        return None
    deque(map(items.move_to_end, keys), maxlen=0)
    return cast(list[V], values)


class LruTweetCache:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[int, bytes] = OrderedDict()

    async def get_many(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
        bodies = all_refreshed(self._items, tweet_ids)
        if bodies is not None:
            return dict(zip(tweet_ids, bodies, strict=True))
        found = {}
        for tweet_id in tweet_ids:
            rendered = self._items.get(tweet_id)
            if rendered is not None:
                self._items.move_to_end(tweet_id)
                found[tweet_id] = rendered
        return found

    async def put_many(self, rendered: dict[int, bytes]) -> None:
        if self._capacity == 0:
            return
        for tweet_id, body in rendered.items():
            self._items.setdefault(tweet_id, body)  # never overwrite a deletion mark
            self._items.move_to_end(tweet_id)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    async def mark_deleted(self, tweet_id: int) -> None:
        if self._capacity:
            self._items[tweet_id] = b""
            self._items.move_to_end(tweet_id)

    def drop(self, tweet_id: int) -> None:
        """Forget an entry (another process marked it deleted; Redis holds the mark)."""
        self._items.pop(tweet_id, None)

    def clear(self) -> None:
        self._items.clear()

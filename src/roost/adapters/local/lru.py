"""An in-process LRU of serialised tweets (embedded mode's tweet cache)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence


class LruTweetCache:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[int, bytes] = OrderedDict()

    async def get_many(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
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
        self._items.update(rendered)
        for tweet_id in rendered:
            self._items.move_to_end(tweet_id)
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    async def discard(self, tweet_id: int) -> None:
        self._items.pop(tweet_id, None)

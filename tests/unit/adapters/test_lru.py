"""The in-process tweet LRU: hits refresh recency, deletion marks are served as such."""

from roost.adapters.local.lru import LruTweetCache


async def test_a_page_of_hits_refreshes_each_tweet() -> None:
    lru = LruTweetCache(3)
    await lru.put_many({1: b"one", 2: b"two", 3: b"three"})
    assert await lru.get_many([1, 2]) == {1: b"one", 2: b"two"}  # all hits: 3 is now oldest
    await lru.put_many({4: b"four"})
    assert await lru.get_many([1, 2, 3, 4]) == {1: b"one", 2: b"two", 4: b"four"}


async def test_misses_and_deletion_marks() -> None:
    lru = LruTweetCache(3)
    await lru.put_many({1: b"one", 2: b"two"})
    await lru.mark_deleted(2)
    await lru.put_many({2: b"two again"})  # never over a deletion mark
    assert await lru.get_many([2, 1, 5]) == {1: b"one", 2: b""}  # a miss: 2, then 1 refreshed
    await lru.put_many({3: b"three", 4: b"four"})
    assert await lru.get_many([1, 2, 3, 4]) == {1: b"one", 3: b"three", 4: b"four"}

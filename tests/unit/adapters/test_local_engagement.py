"""The in-process engagement cache forgets on time and within its capacity."""

from roost.adapters.local.engagement import LruEngagementCache
from roost.domain.tweets import Counts, Flags


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_counts_expire_after_their_time_to_live() -> None:
    clock = FakeClock()
    cache = LruEngagementCache(capacity=10, ttl_seconds=600, clock=clock)
    await cache.put_counts({1: Counts(1, 0, 0)})
    clock.now += 300
    await cache.set_counts({2: Counts(2, 0, 0)})
    await cache.put_counts({1: Counts(9, 9, 9)})  # still cached: kept as it is
    clock.now += 299
    assert await cache.counts([1, 2]) == {1: Counts(1, 0, 0), 2: Counts(2, 0, 0)}
    clock.now += 1  # 600 s after the fill of 1
    assert await cache.counts([1, 2]) == {2: Counts(2, 0, 0)}
    await cache.put_counts({1: Counts(3, 0, 0)})  # expired, so a fill adds it again
    assert await cache.counts([1]) == {1: Counts(3, 0, 0)}


async def test_a_recount_starts_a_new_time_to_live() -> None:
    clock = FakeClock()
    cache = LruEngagementCache(capacity=10, ttl_seconds=600, clock=clock)
    await cache.put_counts({1: Counts(1, 0, 0)})
    clock.now += 500
    await cache.set_counts({1: Counts(2, 0, 0)})
    clock.now += 500
    assert await cache.counts([1]) == {1: Counts(2, 0, 0)}


async def test_flags_expire_each_on_its_own() -> None:
    clock = FakeClock()
    cache = LruEngagementCache(capacity=10, ttl_seconds=600, clock=clock)
    await cache.put_flags(7, {1: Flags(False, False)})
    clock.now += 500
    await cache.set_liked(7, 1, True)
    clock.now += 100  # the filled repost flag expires; the like, set later, does not
    assert await cache.flags(7, [1]) == {}
    await cache.put_flags(7, {1: Flags(False, True)})
    assert await cache.flags(7, [1]) == {1: Flags(True, True)}


async def test_the_least_recently_used_go_first_past_the_capacity() -> None:
    cache = LruEngagementCache(capacity=2, ttl_seconds=600, clock=FakeClock())
    await cache.put_counts({1: Counts(1, 0, 0), 2: Counts(2, 0, 0)})
    assert await cache.counts([1]) == {1: Counts(1, 0, 0)}  # 1 is now the most recent
    await cache.set_counts({3: Counts(3, 0, 0)})
    assert await cache.counts([1, 2, 3]) == {1: Counts(1, 0, 0), 3: Counts(3, 0, 0)}
    await cache.put_flags(7, {1: Flags(True, False), 2: Flags(False, True)})
    await cache.put_flags(8, {1: Flags(True, True)})
    assert await cache.flags(7, [1, 2]) == {2: Flags(False, True)}
    assert await cache.flags(8, [1]) == {1: Flags(True, True)}


async def test_a_capacity_of_zero_keeps_nothing() -> None:
    cache = LruEngagementCache(capacity=0, ttl_seconds=600, clock=FakeClock())
    await cache.set_counts({1: Counts(1, 0, 0)})
    await cache.put_flags(7, {1: Flags(True, False)})
    await cache.set_liked(7, 2, True)
    assert await cache.counts([1]) == {}
    assert await cache.flags(7, [1, 2]) == {}


async def test_a_page_of_flags_looked_up_is_kept_over_older_ones() -> None:
    cache = LruEngagementCache(capacity=2, ttl_seconds=600, clock=FakeClock())
    await cache.put_flags(7, {1: Flags(True, False), 2: Flags(False, True)})
    assert await cache.flags(7, [1]) == {1: Flags(True, False)}  # 1's two flags refreshed
    await cache.put_flags(8, {3: Flags(True, True)})  # evicts the least recent: 2's flags
    assert await cache.flags(7, [1, 2]) == {1: Flags(True, False)}
    assert await cache.flags(8, [3]) == {3: Flags(True, True)}

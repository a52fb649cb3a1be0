"""Usage hands each batch over once: a failed batch is sent again under its own id, and counts
do not wait on the store of active users."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from roost.domain.analytics import UsageBatch
from roost.ports import StoreUnavailable
from roost.services.analytics import Usage

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


class Store:
    """Adds each batch id once, as the SQL store does."""

    def __init__(self) -> None:
        self.batches: dict[int, UsageBatch] = {}

    async def add_usage(self, batches: Sequence[UsageBatch], now: datetime) -> int:
        new = {batch.id: batch for batch in batches if batch.id not in self.batches}
        self.batches |= new
        return len(new)

    def impressions(self, tweet_id: int) -> int:
        return sum(batch.impressions.get(tweet_id, 0) for batch in self.batches.values())


class QueueThatLosesReplies:
    """Takes every batch into ``store``, but its first ``failures`` calls then fail as a call
    whose reply was lost would (a timeout after Redis had applied it)."""

    def __init__(self, store: Store, failures: int) -> None:
        self.store = store
        self.failures = failures
        self.sent: list[int] = []

    async def put(self, batch: UsageBatch) -> None:
        self.sent.append(batch.id)
        await self.store.add_usage([batch], NOW)
        if self.failures:
            self.failures -= 1
            raise TimeoutError("no reply")


class ActiveUsers:
    def __init__(self, down: bool, broken: bool = False) -> None:
        self.down = down
        self.broken = broken
        self.seen: set[int] = set()

    async def add(self, day: datetime, user_ids: Sequence[int]) -> int:
        if self.down:
            raise StoreUnavailable("Redis is unreachable")
        if self.broken:
            raise RuntimeError("a bug, say")
        self.seen |= set(user_ids)
        return len(self.seen)


async def test_a_batch_that_failed_is_sent_again_under_its_id() -> None:
    store = Store()
    queue = QueueThatLosesReplies(store, failures=1)
    usage = Usage(store, queue, ActiveUsers(down=False), Clock())  # type: ignore[arg-type]
    usage.served([7, 7])
    with pytest.raises(TimeoutError):
        await usage.flush()
    usage.served([7])
    await usage.flush()
    assert queue.sent[0] == queue.sent[1] != queue.sent[2]
    assert store.impressions(7) == 3


async def test_counts_are_handed_over_while_active_users_cannot_be_counted() -> None:
    store = Store()
    active = ActiveUsers(down=True)
    usage = Usage(store, None, active, Clock())  # type: ignore[arg-type]
    usage.active(1)
    usage.served([7])
    await usage.flush()
    assert store.impressions(7) == 1
    assert [batch.active_users for batch in store.batches.values()] == [0]

    active.down = False  # back: the users of the failed flush are counted now
    await usage.flush()
    assert active.seen == {1}
    assert sorted(batch.active_users for batch in store.batches.values()) == [0, 1]


async def test_nothing_counted_is_dropped_when_counting_active_users_fails() -> None:
    store = Store()
    active = ActiveUsers(down=False, broken=True)
    usage = Usage(store, None, active, Clock())  # type: ignore[arg-type]
    usage.active(1)
    usage.served([7])
    with pytest.raises(RuntimeError):
        await usage.flush()
    active.broken = False
    await usage.flush()
    assert store.impressions(7) == 1
    assert active.seen == {1}

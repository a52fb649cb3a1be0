"""The Redis Stream event log: one entry per event however many relays, consumer groups that
hand each event to one worker, take over from dead ones, and set aside poison events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from roost.adapters.redis.keys import Keys
from roost.adapters.redis.streams import (
    RedisStreamEventSource,
    RedisStreamPublisher,
    StreamAheadOfOutbox,
)
from roost.domain.events import Event
from tests.conftest import REDIS_URL


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def worker(redis: Redis, keys: Keys, name: str, idle: float = 0.2) -> RedisStreamEventSource:
    return RedisStreamEventSource(
        redis, keys, name, claim_idle_seconds=idle, max_deliveries=3, block_seconds=0.05
    )


def events(count: int, txid: int = 7) -> list[Event]:
    return [Event(n, "test.happened", {"n": n}, txid=txid) for n in range(1, count + 1)]


async def test_racing_relays_append_each_event_once(redis: Redis, redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    first, second = (
        RedisStreamPublisher(redis, keys, 10_000),
        RedisStreamPublisher(redis, keys, 10_000),
    )
    batch = events(5)
    for event in batch:
        await first.publish(event)
    for event in batch[:3]:
        await second.publish(event)  # the second relay is behind: nothing is appended again
    assert await redis.xlen(keys.events) == 5


async def test_racing_relays_append_batches_of_events_once(redis: Redis, redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    first, second = (
        RedisStreamPublisher(redis, keys, 10_000),
        RedisStreamPublisher(redis, keys, 10_000),
    )
    batch = events(7)
    await first.publish_batch(batch[:5])
    await second.publish_batch(batch[:3])  # behind: nothing is appended again
    await second.publish_batch(batch)  # partly behind: the rest is appended, in order
    found = await redis.xrange(keys.events)
    assert [entry_id for entry_id, _ in found] == [f"7-{n}".encode() for n in range(1, 8)]
    assert found[0][1] == {b"type": b"test.happened", b"payload": b'{"n":1}'}


async def test_a_stream_ahead_of_the_outbox_stops_a_batch(redis: Redis, redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    publisher = RedisStreamPublisher(redis, keys, 10_000)
    await publisher.publish_batch([Event(1, "a", {}, txid=5), Event(1, "a", {}, txid=9)])
    with pytest.raises(StreamAheadOfOutbox):  # another database's events: a shared prefix
        await publisher.publish_batch([Event(1, "a", {}, txid=7)])


async def test_each_event_goes_to_one_worker_of_a_group_and_to_every_group(
    redis: Redis, redis_prefix: str
) -> None:
    keys = Keys(redis_prefix)
    publisher = RedisStreamPublisher(redis, keys, 10_000)
    for event in events(6):
        await publisher.publish(event)
    a, b = worker(redis, keys, "a"), worker(redis, keys, "b")
    got_a = await a.read("fanout", 4)
    got_b = await b.read("fanout", 4)
    assert sorted(e.id for e in got_a + got_b) == [1, 2, 3, 4, 5, 6]
    assert got_a[0].payload == {"n": got_a[0].id}
    assert got_a[0].txid == 7
    assert [e.id for e in await a.read("notifications", 10)] == [1, 2, 3, 4, 5, 6]


async def test_a_dead_workers_events_are_taken_over(redis: Redis, redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    publisher = RedisStreamPublisher(redis, keys, 10_000)
    for event in events(3):
        await publisher.publish(event)
    dead, alive = worker(redis, keys, "dead"), worker(redis, keys, "alive")
    assert len(await dead.read("fanout", 10)) == 3  # read, never acknowledged
    await asyncio.sleep(0.3)
    taken = await alive.read("fanout", 10)
    assert [e.id for e in taken] == [1, 2, 3]
    await alive.acknowledge("fanout", taken)
    await asyncio.sleep(0.3)
    assert await alive.read("fanout", 10) == []
    pending = await redis.xpending(keys.events, "fanout")
    assert pending["pending"] == 0


async def test_events_delivered_too_often_become_dead_letters(
    redis: Redis, redis_prefix: str
) -> None:
    keys = Keys(redis_prefix)
    await RedisStreamPublisher(redis, keys, 10_000).publish(events(1)[0])
    source = worker(redis, keys, "crashy", idle=0.05)
    deliveries = 0
    for _ in range(20):
        got = await source.read("fanout", 10)
        deliveries += len(got)
        await asyncio.sleep(0.06)
    assert deliveries == 3  # max_deliveries, then set aside
    (letter,) = await source.dead_letters(10)
    assert (letter.consumer, letter.event.id, letter.event.type) == ("fanout", 1, "test.happened")
    assert (await redis.xpending(keys.events, "fanout"))["pending"] == 0


async def test_each_stream_lists_its_own_dead_letters_and_deletes_them_if_asked(
    redis: Redis, redis_prefix: str
) -> None:
    keys = Keys(redis_prefix)
    await RedisStreamPublisher(redis, keys, 10_000).publish(events(1)[0])
    await redis.xadd(keys.usage, {"type": "usage.counted", "payload": b'{"n":2}'})
    log = worker(redis, keys, "w")
    usage = RedisStreamEventSource(
        redis,
        keys,
        "w",
        claim_idle_seconds=0.2,
        max_deliveries=3,
        block_seconds=0.05,
        stream=keys.usage,
        delete_handled=True,
    )
    await log.dead_letter("fanout", (await log.read("fanout", 10))[0], "boom")
    await usage.dead_letter("usage", (await usage.read("usage", 10))[0], "bang")
    assert [letter.error for letter in await log.dead_letters(10)] == ["boom"]
    assert [letter.error for letter in await usage.dead_letters(10)] == ["bang"]
    assert (await redis.xlen(keys.events), await redis.xlen(keys.usage)) == (1, 0)


async def test_a_lost_stream_is_made_again(redis: Redis, redis_prefix: str) -> None:
    keys = Keys(redis_prefix)
    publisher = RedisStreamPublisher(redis, keys, 10_000)
    source = worker(redis, keys, "w")
    await publisher.publish(events(1)[0])
    assert len(await source.read("fanout", 10)) == 1
    await redis.delete(keys.events)  # as after a Redis restart with no persistence
    assert await source.read("fanout", 10) == []
    await publisher.publish(Event(2, "test.happened", {"n": 2}, txid=8))
    assert [e.id for e in await source.read("fanout", 10)] == [2]

"""The consumer loop: a failing event is retried then set aside; a failing store is waited on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from roost.domain.events import Event
from roost.entrypoints.workers.consumer import ConsumerLoop
from roost.ports import DeadLetter, StoreUnavailable


class FakeSource:
    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.acknowledged: list[int] = []
        self.dead: list[tuple[int, str]] = []

    async def read(self, consumer: str, limit: int) -> list[Event]:
        done = set(self.acknowledged) | {event_id for event_id, _ in self.dead}
        return [e for e in self.events if e.id not in done][:limit]

    async def acknowledge(self, consumer: str, handled: Sequence[Event]) -> None:
        self.acknowledged += [e.id for e in handled]

    async def dead_letter(self, consumer: str, event: Event, error: str) -> None:
        self.dead.append((event.id, error))

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        return []


def loop(source: FakeSource, failure: Exception) -> ConsumerLoop:
    async def handler(event: Event) -> None:
        if event.id == 2:
            raise failure

    return ConsumerLoop("test", source, handler, None, poll_seconds=0.01, max_attempts=2)


async def test_an_event_that_keeps_failing_is_set_aside_and_the_rest_go_on() -> None:
    source = FakeSource([Event(n, "t", {}) for n in (1, 2, 3)])
    assert await loop(source, ValueError("bad payload")).drain() == 3
    assert [event_id for event_id, _ in source.dead] == [2]
    assert "bad payload" in source.dead[0][1]


async def test_a_store_outage_is_never_a_reason_to_set_an_event_aside() -> None:
    for outage in (
        StoreUnavailable("Redis is unreachable"),
        OperationalError("SELECT 1", {}, ConnectionRefusedError()),
        ConnectionResetError(),
    ):
        source = FakeSource([Event(n, "t", {}) for n in (1, 2, 3)])
        consumer = loop(source, outage)
        try:
            await consumer.drain()
        except type(outage):
            pass
        assert source.dead == []
        assert 2 not in source.acknowledged


async def test_a_batch_is_handled_at_once_and_a_failing_batch_one_event_at_a_time() -> None:
    source = FakeSource([Event(n, "t", {}) for n in (1, 2, 3)])
    batches: list[list[int]] = []
    one_by_one: list[int] = []

    async def handler(event: Event) -> None:
        one_by_one.append(event.id)
        if event.id == 2:
            raise ValueError("bad payload")

    async def batch_handler(batch: list[Event]) -> None:
        batches.append([event.id for event in batch])
        if any(event.id == 2 for event in batch):
            raise ValueError("bad payload")

    consumer = ConsumerLoop(
        "test",
        source,
        handler,
        None,
        poll_seconds=0.01,
        batch_handler=batch_handler,
        max_attempts=2,
    )
    assert await consumer.drain() == 3
    assert batches == [[1, 2, 3]]
    assert one_by_one == [1, 2, 2, 3]
    assert [event_id for event_id, _ in source.dead] == [2]
    assert sorted(source.acknowledged) == [1, 2, 3]

    fine = FakeSource([Event(n, "t", {}) for n in (4, 5)])
    consumer = ConsumerLoop(
        "test", fine, handler, None, poll_seconds=0.01, batch_handler=batch_handler
    )
    one_by_one.clear()
    assert await consumer.drain() == 2
    assert (batches[-1], one_by_one) == ([4, 5], [])

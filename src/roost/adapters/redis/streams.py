"""The event log in a Redis Stream, read by consumer groups (scaled mode).

The outbox relay appends each event under the stream id ``<txid>-<event id>``: the order the
outbox is read in. Two relays racing to append the same event cannot both succeed (a stream id
must grow), so every event is in the stream once without electing a leader.

Each consumer group (fanout, notifications, counts, analytics) gets every event; within a
group each event goes to one worker, is acknowledged after it is handled, and is claimed by
another worker if its holder has been silent for ``claim_idle_seconds`` (it died). An event
delivered ``max_deliveries`` times without success goes to the dead-letter stream. The usage
stream (batches of read counts from API processes, appended under ids Redis picks) is read the
same way.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys
from roost.domain.events import Event, NewEvent
from roost.ports import DeadLetter

log = logging.getLogger(__name__)


def stream_id(event: Event) -> str:
    return f"{event.txid}-{event.id}"


def _event(entry_id: bytes, fields: dict[bytes, bytes]) -> Event:
    txid, _, event_id = entry_id.decode().partition("-")
    payload = json.loads(fields[b"payload"])
    return Event(int(event_id), fields[b"type"].decode(), payload, txid=int(txid))


def entry_fields(event: Event | NewEvent) -> dict[Any, Any]:
    return {"type": event.type, "payload": msgspec.json.encode(event.payload)}


class StreamAheadOfOutbox(RuntimeError):
    """The stream holds newer ids than this database's outbox: two databases share a prefix."""


class RedisStreamPublisher:
    """Appends outbox events to the stream: the relay's handler."""

    def __init__(self, redis: Redis, keys: Keys, max_len: int) -> None:
        self._redis = redis
        self._stream = keys.events
        self._max_len = max_len

    async def publish(self, event: Event) -> None:
        entry = stream_id(event)
        with unavailable_on_error():
            try:
                await self._redis.xadd(
                    self._stream,
                    entry_fields(event),
                    id=entry,
                    maxlen=self._max_len,
                    approximate=True,
                )
            except ResponseError as error:
                await self._not_appended(entry, error)

    async def publish_batch(self, batch: Sequence[Event]) -> None:
        """Events in order, in one pipeline (a round trip per event held the relay to about
        1,000 events/s, all of a core: `bench/fanout_batches.py`). Each is appended or found
        already there, as ``publish`` does."""
        with unavailable_on_error():
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in batch:
                    pipe.xadd(
                        self._stream,
                        entry_fields(event),
                        id=stream_id(event),
                        maxlen=self._max_len,
                        approximate=True,
                    )
                outcomes = await pipe.execute(raise_on_error=False)
            for event, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, ResponseError):
                    await self._not_appended(stream_id(event), outcome)
                elif isinstance(outcome, Exception):
                    raise outcome

    async def _not_appended(self, entry: str, error: ResponseError) -> None:
        if "equal or smaller" not in str(error):
            raise error
        await self._check_already_there(entry)

    async def _check_already_there(self, entry: str) -> None:
        if await self._redis.xrange(self._stream, entry, entry):
            return  # another relay appended it first
        oldest: Any = await self._redis.xrange(self._stream, count=1)
        if oldest and oldest[0][0].decode() > entry:
            return  # appended long ago and trimmed since
        raise StreamAheadOfOutbox(
            f"{self._stream} is ahead of this database's outbox (event {entry}): "
            "give each database its own ROOST_REDIS_PREFIX"
        )


class RedisStreamEventSource:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        consumer_name: str,
        *,
        claim_idle_seconds: float,
        max_deliveries: int,
        block_seconds: float = 1.0,
        stream: str | None = None,
        delete_handled: bool = False,
    ) -> None:
        """``stream``: the stream read, the event log unless given. ``delete_handled``: entries
        are deleted once acknowledged, for a stream read by one group only (the usage stream,
        whose batches are large): the event log keeps them for every group."""
        self._redis = redis
        self._stream = stream or keys.events
        self._events = keys.events
        self._delete_handled = delete_handled
        self._dead_letters = keys.dead_letters
        self._me = consumer_name
        self._claim_idle_ms = int(claim_idle_seconds * 1000)
        self._max_deliveries = max_deliveries
        self._block_ms = int(block_seconds * 1000)
        self._next_claim: dict[str, float] = {}
        self._groups: set[str] = set()

    async def read(self, consumer: str, limit: int) -> list[Event]:
        with unavailable_on_error():
            await self._ensure_group(consumer)
            try:
                return await self._claim_stale(consumer, limit) or await self._read_new(
                    consumer, limit
                )
            except ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
                self._groups.discard(consumer)  # Redis lost the stream: make it again
                return []

    async def acknowledge(self, consumer: str, handled: Sequence[Event]) -> None:
        if handled:
            entries = list(map(stream_id, handled))
            with unavailable_on_error():
                await self._redis.xack(self._stream, consumer, *entries)
                if self._delete_handled:
                    await self._redis.xdel(self._stream, *entries)

    async def dead_letter(self, consumer: str, event: Event, error: str) -> None:
        fields: dict[Any, Any] = {
            "stream": self._stream,
            "entry": stream_id(event),
            "group": consumer,
            "event_id": event.id,
            "type": event.type,
            "payload": json.dumps(event.payload),
            "error": error,
        }
        with unavailable_on_error():
            await self._redis.xadd(self._dead_letters, fields, maxlen=100_000, approximate=True)
            await self.acknowledge(consumer, [event])

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        """This stream's (the streams share one dead-letter stream)."""
        with unavailable_on_error():
            entries: Any = await self._redis.xrevrange(self._dead_letters, count=limit)
        letters = []
        for _, fields in entries:
            text = {key.decode(): value.decode() for key, value in fields.items()}
            if text.get("stream", self._events) != self._stream:
                continue
            event = Event(int(text["event_id"]), text["type"], json.loads(text["payload"]))
            letters.append(DeadLetter(text["group"], event, text["error"]))
        return letters

    async def _ensure_group(self, group: str) -> None:
        if group in self._groups:
            return
        try:
            await self._redis.xgroup_create(self._stream, group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._groups.add(group)

    async def _read_new(self, group: str, limit: int) -> list[Event]:
        found: Any = await self._redis.xreadgroup(
            group, self._me, {self._stream: ">"}, count=limit, block=self._block_ms
        )
        return [_event(entry_id, fields) for _, entries in found for entry_id, fields in entries]

    async def _claim_stale(self, group: str, limit: int) -> list[Event]:
        """Take over events a silent worker held; set aside those that failed too often."""
        now = time.monotonic()
        if now < self._next_claim.get(group, 0.0):
            return []
        self._next_claim[group] = now + self._claim_idle_ms / 2000
        pending: Any = await self._redis.xpending_range(
            self._stream, group, min="-", max="+", count=limit, idle=self._claim_idle_ms
        )
        if not pending:
            return []
        claimed: Any = await self._redis.xclaim(
            self._stream,
            group,
            self._me,
            self._claim_idle_ms,
            [p["message_id"] for p in pending],
        )
        deliveries = {p["message_id"]: p["times_delivered"] for p in pending}
        events = []
        for entry_id, fields in claimed:
            if not fields:  # trimmed away while pending
                await self._redis.xack(self._stream, group, entry_id)
                continue
            event = _event(entry_id, fields)
            if deliveries.get(entry_id, 0) >= self._max_deliveries:
                log.error(
                    "event %s failed %d deliveries; dead-lettered", entry_id, deliveries[entry_id]
                )
                await self.dead_letter(group, event, "delivered too often without success")
                continue
            events.append(event)
        if events:
            log.warning("group %s: %s took over %d stale events", group, self._me, len(events))
        return events

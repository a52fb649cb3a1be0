"""The loop that feeds one consumer its events: read, handle, acknowledge; retry, dead-letter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from roost.adapters.local.wakeup import Wakeup
from roost.domain.events import Event
from roost.ports import EventSource, StoreUnavailable

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
BatchHandler = Callable[[list[Event]], Awaitable[None]]

# Failures of the stores themselves (Redis or the database unreachable, a failover): never a
# reason to set an event aside, whatever the number of attempts.
TRANSIENT = (StoreUnavailable, OperationalError, InterfaceError, DisconnectionError, OSError)


class ConsumerLoop:
    """Runs until stopped. The position is saved after each batch, so a crash replays at most
    one batch, which the idempotent handlers absorb."""

    def __init__(
        self,
        name: str,
        source: EventSource,
        handler: Handler,
        wakeup: Wakeup | None,
        *,
        poll_seconds: float,
        batch_handler: BatchHandler | None = None,
        batch_size: int = 100,
        max_attempts: int = 5,
    ) -> None:
        self.name = name
        self._source = source
        self._handler = handler
        self._batch_handler = batch_handler
        self._wakeup = wakeup
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._stopping = False

    async def run(self) -> None:
        while not self._stopping:
            try:
                handled = await self._consume_batch()
            except TRANSIENT as error:
                log.warning("consumer %s waits for its stores: %r", self.name, error)
                await asyncio.sleep(max(self._poll_seconds, 1.0))
                continue
            except Exception:
                log.exception("consumer %s could not read or acknowledge; retrying", self.name)
                await asyncio.sleep(self._poll_seconds)
                continue
            if not handled and self._wakeup is not None:
                await self._wakeup.wait(self._poll_seconds)

    async def drain(self) -> int:
        """Handle everything waiting now; returns how many events that was."""
        handled = 0
        while count := await self._consume_batch():
            handled += count
        return handled

    def stop(self) -> None:
        self._stopping = True
        if self._wakeup is not None:
            self._wakeup.ring()

    async def _consume_batch(self) -> int:
        batch = await self._source.read(self.name, self._batch_size)
        if not await self._handle_together(batch):
            for event in batch:
                await self._handle(event)
        if batch:
            await self._source.acknowledge(self.name, batch)
        return len(batch)

    async def _handle_together(self, batch: list[Event]) -> bool:
        """The whole batch in one call, where the consumer can; False: one at a time (none
        can, or the batch failed: then each event is retried, and dead-lettered, alone)."""
        if self._batch_handler is None or len(batch) < 2:
            return False
        try:
            await self._batch_handler(batch)
        except TRANSIENT:
            raise
        except Exception as error:
            log.warning("consumer %s failed on a batch; one event at a time: %r", self.name, error)
            return False
        return True

    async def _handle(self, event: Event) -> None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._handler(event)
                return
            except TRANSIENT:
                raise  # a store is down, not the event bad: keep the position, retry later
            except Exception as error:
                log.warning(
                    "consumer %s failed on event %s (attempt %d): %r",
                    self.name,
                    event.id,
                    attempt,
                    error,
                )
                if attempt == self._max_attempts:
                    await self._source.dead_letter(self.name, event, repr(error))
                    return
                await asyncio.sleep(min(0.05 * 2**attempt, 2.0))

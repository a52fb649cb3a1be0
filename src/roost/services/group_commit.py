"""Group commit: writes that arrive while one batch is being written wait, and are written
together in the next batch, in one transaction.

A write alone is written at once (no timer, no added latency when idle); under load the batch
grows by itself with the time a batch takes. Posting is the hot write path: one transaction per
post costs about ten round trips (BEGIN, the INSERTs, COMMIT, the doorbell), which caps one core
at a few hundred posts/s; shared by a batch, they cost a fraction of a round trip per post.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# What a batch writer returns: for each item, in order, its result or the error it alone raised.
Outcomes = Sequence[Result | Exception]


class GroupCommit(Generic[Item, Result]):
    """Hands items to ``write`` in batches of at most ``max_batch``, one batch at a time.

    ``write`` decides which items fail alone (their errors are in its outcomes); an error it
    raises fails the whole batch, and each of its callers sees it.
    """

    def __init__(
        self, write: Callable[[list[Item]], Awaitable[Outcomes[Result]]], max_batch: int
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._write_batch(batch)
        finally:
            self._writer = None
            for _, future in batch + self._waiting:  # stopped (shut down) before they were written
                future.cancel()
            self._waiting.clear()

    async def _write_batch(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            outcomes = await self._write([item for item, _ in batch])
        except Exception as error:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # its caller went away; the write stands
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

"""Starts and stops the event consumers: inside `roost serve` (embedded) or `roost worker`."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from roost.bootstrap import Roost
from roost.entrypoints.workers.consumer import ConsumerLoop
from roost.services.background import stop_if_cancelled

log = logging.getLogger(__name__)

# The outbox keeps only what some reader has yet to handle: every PRUNE_SECONDS, what all of
# them have handled is deleted, PRUNE_CHUNK events a transaction (so SQLite's one writer is
# never held for long).
PRUNE_SECONDS = 60.0
PRUNE_CHUNK = 5_000


class Consumers:
    def __init__(self, roost: Roost) -> None:
        poll = roost.settings.consumer_poll_seconds
        self.loops = [
            ConsumerLoop(
                spec.name,
                spec.source,
                spec.handler,
                spec.wakeup,
                poll_seconds=poll,
                batch_handler=spec.batch_handler,
            )
            for spec in roost.consumers
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._pruning: asyncio.Task[None] | None = None
        self._fanout = roost.fanout
        self._outbox = roost.outbox
        self._outbox_readers = [
            spec.name for spec in roost.consumers if spec.source is roost.outbox
        ]

    def start(self) -> None:
        self._tasks = [asyncio.create_task(loop.run(), name=loop.name) for loop in self.loops]
        self._tasks.append(asyncio.create_task(self._reconcile(), name="reconcile"))
        self._pruning = asyncio.create_task(self._prune_outbox(), name="prune-outbox")

    async def prune_outbox(self) -> int:
        """Delete every event all the outbox's readers have handled; how many that was."""
        pruned = 0
        while (deleted := await self._outbox.prune(self._outbox_readers, PRUNE_CHUNK)) > 0:
            pruned += deleted
            if deleted < PRUNE_CHUNK:
                break
        return pruned

    async def _prune_outbox(self) -> None:
        while True:
            try:
                if pruned := await self.prune_outbox():
                    log.info("pruned %d handled events from the outbox", pruned)
            except Exception as error:
                stop_if_cancelled(error)
                log.warning("could not prune the outbox: %r", error)
            stop_if_cancelled()
            await asyncio.sleep(PRUNE_SECONDS)

    async def _reconcile(self) -> None:
        """Once at start: authors on the wrong side of a changed celebrity threshold switch."""
        try:
            switched = await self._fanout.reconcile_all()
        except Exception:
            log.exception("could not reconcile authors with the celebrity threshold")
            return
        if switched:
            log.info("switched %d authors across the celebrity threshold", switched)

    async def stop(self) -> None:
        """Let each consumer finish the event in hand, then stop."""
        if self._pruning is not None:
            self._pruning.cancel()
            await asyncio.gather(self._pruning, return_exceptions=True)
        for loop in self.loops:
            loop.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), 10)
        for task in self._tasks:
            task.cancel()

    async def run_until_cancelled(self) -> None:
        self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

"""Starts and stops the event consumers: inside `roost serve` (embedded) or `roost worker`."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from roost.bootstrap import Roost
from roost.entrypoints.workers.consumer import ConsumerLoop

log = logging.getLogger(__name__)


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
        self._fanout = roost.fanout

    def start(self) -> None:
        self._tasks = [asyncio.create_task(loop.run(), name=loop.name) for loop in self.loops]
        self._tasks.append(asyncio.create_task(self._reconcile(), name="reconcile"))

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

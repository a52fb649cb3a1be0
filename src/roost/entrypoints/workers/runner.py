"""Starts and stops the event consumers: inside `roost serve` (embedded) or `roost worker`."""

from __future__ import annotations

import asyncio
import contextlib

from roost.bootstrap import Roost
from roost.entrypoints.workers.consumer import ConsumerLoop


class Consumers:
    def __init__(self, roost: Roost) -> None:
        poll = roost.settings.consumer_poll_seconds
        self.loops = [
            ConsumerLoop(spec.name, spec.source, spec.handler, spec.wakeup, poll_seconds=poll)
            for spec in roost.consumers
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(loop.run(), name=loop.name) for loop in self.loops]

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

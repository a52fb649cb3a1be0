"""Helpers for the integration tests."""

from __future__ import annotations

from roost.bootstrap import Roost
from roost.entrypoints.workers.consumer import ConsumerLoop


class Consumers:
    """The process's event consumers, driven by hand: ``await consumers.drain()`` handles all
    that is waiting, through every stage (relay, then fanout, in scaled mode)."""

    def __init__(self, roost: Roost, suffix: str = "") -> None:
        self.loops = [
            ConsumerLoop(
                spec.name + suffix, spec.source, spec.handler, spec.wakeup, poll_seconds=0.05
            )
            for spec in roost.consumers
        ]

    async def drain(self) -> int:
        handled = 0
        for loop in self.loops:
            handled += await loop.drain()
        return handled

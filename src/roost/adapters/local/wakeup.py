"""Wakes the in-process event consumers as soon as a commit wrote events."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    """One consumer's doorbell."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    async def wait(self, max_wait: float) -> None:
        """Return when rung, or after ``max_wait`` seconds (events may come from elsewhere)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), max_wait)
        self._event.clear()


class Doorbells:
    """Every consumer in the process gets a bell; a commit with events rings them all."""

    def __init__(self) -> None:
        self._bells: list[Wakeup] = []

    def new(self) -> Wakeup:
        bell = Wakeup()
        self._bells.append(bell)
        return bell

    def ring_all(self) -> None:
        for bell in self._bells:
            bell.ring()

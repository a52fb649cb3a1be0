"""Signals within one process (embedded mode): delivered at once, to every subscriber."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable


class LocalSignals:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, list[Callable[[str], None]]] = defaultdict(list)

    async def publish(self, topic: str, key: str) -> None:
        self.deliver(topic, key)

    def subscribe(self, topic: str, callback: Callable[[str], None]) -> None:
        self._subscribers[topic].append(callback)

    def deliver(self, topic: str, key: str) -> None:
        for callback in self._subscribers[topic]:
            callback(key)

    def deliver_to_all(self, key: str) -> None:
        for topic in self._subscribers:
            self.deliver(topic, key)

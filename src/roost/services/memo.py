"""A bounded memo for the hot paths: values computed from their key alone, kept until the memo
is full, then all forgotten at once.

It is a dict, so a hit is one C-level lookup (``memo[key]``, or ``map(memo.__getitem__, keys)``
with no Python frame a value); only a miss runs Python code. Clearing when full costs nothing
per hit, where an LRU would reorder on each one; the values memoised here are few and recur
(a post's counts, a post shown to many readers), so a cleared memo fills again at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(dict[K, V]):
    def __init__(self, compute: Callable[[K], V], size: int) -> None:
        super().__init__()
        self._compute = compute
        self._size = size

    def __missing__(self, key: K) -> V:
        if len(self) >= self._size:
            self.clear()
        value = self[key] = self._compute(key)
        return value

"""A page of a list, and the bounds every list endpoint accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from roost.domain.cursors import encode_cursor, encode_feed_cursors
from roost.domain.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items newest first, and ``next_cursor`` to continue after the page (None at the end).

    ``positions[i]`` is where ``items[i]`` stands (its id, and for feeds the count served up to
    it); ``cursors()`` encodes them for those who hand out a cursor per item (GraphQL edges).
    Encoding is left until asked for: the REST feed, the hot path, never needs it.
    """

    items: list[T]
    next_cursor: str | None
    positions: list[tuple[int, int | None]]

    def cursors(self) -> list[str]:
        served = [position[1] for position in self.positions]
        if None in served:
            return [encode_cursor(last_id, count) for last_id, count in self.positions]
        last_ids = [position[0] for position in self.positions]
        return encode_feed_cursors(last_ids, cast(list[int], served))


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is from 1 to {MAX_LIMIT}.")
    return limit


def next_cursor(last_id: int | None, has_more: bool) -> str | None:
    return encode_cursor(last_id) if has_more and last_id is not None else None

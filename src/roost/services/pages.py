"""A page of a list, and the bounds every list endpoint accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from roost.domain.cursors import encode_cursor
from roost.domain.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items newest first; ``cursors[i]`` continues after ``items[i]`` (Relay edges need it),
    and ``next_cursor`` after the page, or None at the end of the list."""

    items: list[T]
    next_cursor: str | None
    cursors: list[str]


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is from 1 to {MAX_LIMIT}.")
    return limit


def next_cursor(last_id: int | None, has_more: bool) -> str | None:
    return encode_cursor(last_id) if has_more and last_id is not None else None

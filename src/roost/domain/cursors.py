"""Opaque pagination cursors. Every list in roost is ordered by a 64-bit id, newest first, so
a cursor is the id of the last item served: the next page is everything strictly older.

A home feed cursor also carries how many entries were served so far: a feed shows its newest
ROOST_FEED_MAX_ITEMS entries, counted across the merge of pushed and pulled posts.
"""

from __future__ import annotations

import base64
import binascii

from roost.domain.errors import InvalidCursor
from roost.domain.ids import MAX_ID

_ID_BYTES = 8
_COUNT_BYTES = 2
MAX_SERVED = (1 << (8 * _COUNT_BYTES)) - 1


def encode_cursor(last_id: int, served: int | None = None) -> str:
    raw = last_id.to_bytes(_ID_BYTES, "big")
    if served is not None:
        raw += min(served, MAX_SERVED).to_bytes(_COUNT_BYTES, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The exclusive upper bound for the next page; no cursor means "from the newest"."""
    return decode_feed_cursor(cursor)[0]


def decode_feed_cursor(cursor: str | None) -> tuple[int, int]:
    """(exclusive upper bound, entries served before it)."""
    if cursor is None:
        return MAX_ID, 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursor("This cursor is not one roost gave out.") from None
    if len(raw) not in (_ID_BYTES, _ID_BYTES + _COUNT_BYTES):
        raise InvalidCursor("This cursor is not one roost gave out.")
    value = int.from_bytes(raw[:_ID_BYTES], "big")
    if not 0 < value <= MAX_ID:
        raise InvalidCursor("This cursor is not one roost gave out.")
    return value, int.from_bytes(raw[_ID_BYTES:], "big")

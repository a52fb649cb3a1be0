"""Opaque pagination cursors. Every list in roost is ordered by a 64-bit id, newest first, so
a cursor is the id of the last item served: the next page is everything strictly older."""

from __future__ import annotations

import base64
import binascii

from roost.domain.errors import InvalidCursor
from roost.domain.ids import MAX_ID

_CURSOR_BYTES = 8


def encode_cursor(last_id: int) -> str:
    raw = last_id.to_bytes(_CURSOR_BYTES, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The exclusive upper bound for the next page; no cursor means "from the newest"."""
    if cursor is None:
        return MAX_ID
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursor("This cursor is not one roost gave out.") from None
    value = int.from_bytes(raw, "big")
    if len(raw) != _CURSOR_BYTES or not 0 < value <= MAX_ID:
        raise InvalidCursor("This cursor is not one roost gave out.")
    return value

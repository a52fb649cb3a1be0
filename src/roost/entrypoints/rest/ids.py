from __future__ import annotations

from roost.domain.errors import InvalidInput, NotFound
from roost.domain.ids import MAX_ID


def path_id(text: str) -> int:
    """An id from a URL path; anything that cannot be an id names nothing: 404."""
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise NotFound("No such resource.")
    return int(text)


def body_id(value: str | int | None, field: str) -> int | None:
    """An id from a request body, given as a string of digits (or a number)."""
    if value is None:
        return None
    text = str(value)
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise InvalidInput(f"{field} must be an id: a string of decimal digits.")
    return int(text)

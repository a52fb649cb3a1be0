from __future__ import annotations

from roost.domain.errors import InvalidInput, NotFound
from roost.domain.ids import parse_id


def path_id(text: str) -> int:
    """An id from a URL path; anything that cannot be an id names nothing: 404."""
    found = parse_id(text)
    if found is None:
        raise NotFound("No such resource.")
    return found


def body_id(value: str | int | None, field: str) -> int | None:
    """An id from a request body, given as a string of digits (or a number)."""
    if value is None:
        return None
    found = parse_id(str(value))
    if found is None:
        raise InvalidInput(f"{field} must be an id: a string of decimal digits.")
    return found

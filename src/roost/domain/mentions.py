"""Mentions: the ``@handle`` words of a post's content."""

from __future__ import annotations

import re

from roost.domain.users import handle_key

MAX_MENTIONS = 10  # a post naming more people than this notifies only the first ten

# A handle after "@", not inside a word or an e-mail address ("me@example.org" mentions nobody).
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,30})(?![\w@])")


def mentioned_handles(content: str) -> list[str]:
    """The handle keys mentioned, in order of first appearance, without repeats."""
    found: list[str] = []
    for match in _MENTION.finditer(content):
        key = handle_key(match.group(1))
        if key not in found:
            found.append(key)
            if len(found) == MAX_MENTIONS:
                break
    return found

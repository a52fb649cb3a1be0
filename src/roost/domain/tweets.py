"""Tweets and the rules for their content."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from roost.domain.errors import InvalidContent

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})  # control characters and lone surrogates


@dataclass(frozen=True, slots=True)
class Author:
    id: int
    handle: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Tweet:
    id: int
    author: Author
    content: str
    created_at: datetime
    in_reply_to: int | None


def normalise_content(content: str, max_chars: int) -> str:
    """Content as stored: NFC, 1..max_chars characters, not blank, no control characters.

    Newlines are the one control character allowed. Length is counted after NFC so that a
    letter typed with a combining accent counts once, as the reader sees it.
    """
    text = unicodedata.normalize("NFC", content)
    if not text.strip():
        raise InvalidContent("A post needs some text.")
    if len(text) > max_chars:
        raise InvalidContent(f"A post is at most {max_chars} characters.")
    if any(ch != "\n" and unicodedata.category(ch) in FORBIDDEN_CATEGORIES for ch in text):
        raise InvalidContent("A post may not contain control characters other than newline.")
    return text

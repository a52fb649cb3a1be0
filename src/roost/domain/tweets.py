"""Tweets, reposts and the rules for their content."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from roost.domain.errors import InvalidContent
from roost.domain.text import has_visible_character

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs"})  # control characters and lone surrogates


@dataclass(frozen=True, slots=True)
class Author:
    id: int
    handle: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Tweet:
    """A post. A repost is a tweet of its own (its id orders it in feeds, its author is the
    reposter, its content is empty) whose ``repost_of`` is the original."""

    id: int
    author: Author
    content: str
    created_at: datetime
    in_reply_to: int | None
    repost_of: Tweet | None = None

    @property
    def origin_id(self) -> int:
        """The post this one shows: the original of a repost, else itself."""
        return self.id if self.repost_of is None else self.repost_of.id

    @property
    def entry(self) -> FeedEntry:
        return FeedEntry(self.id, self.origin_id)


class FeedEntry(NamedTuple):
    """One entry of a feed: a tweet id and the id of the post it shows (itself, or for a
    repost the original). A feed holds at most one entry per origin: the first to arrive."""

    tweet_id: int
    origin_id: int

    @property
    def is_repost(self) -> bool:
        return self.tweet_id != self.origin_id


class Counts(NamedTuple):
    """How often a post was liked, replied to and reposted."""

    likes: int = 0
    replies: int = 0
    reposts: int = 0


class Flags(NamedTuple):
    """What the reader did to a post."""

    liked: bool = False
    reposted: bool = False


def original(tweet_id: int) -> FeedEntry:
    return FeedEntry(tweet_id, tweet_id)


def normalise_content(content: str, max_chars: int) -> str:
    """Content as stored: NFC, 1..max_chars characters, some visible, no control characters.

    Newlines are the one control character allowed. Length is counted after NFC so that a
    letter typed with a combining accent counts once, as the reader sees it. Invisible
    characters (domain/text.py) are allowed next to visible ones (a ZWJ emoji, a bidi mark in
    mixed scripts), not alone.
    """
    text = unicodedata.normalize("NFC", content)
    if not has_visible_character(text):
        raise InvalidContent("A post needs some visible text.")
    if len(text) > max_chars:
        raise InvalidContent(f"A post is at most {max_chars} characters.")
    if any(ch != "\n" and unicodedata.category(ch) in FORBIDDEN_CATEGORIES for ch in text):
        raise InvalidContent("A post may not contain control characters other than newline.")
    return text

"""The public JSON shapes of users and tweets, shared by every interface.

Tweets are serialised once and cached as bytes: list responses splice those bytes instead of
decoding and re-encoding them (DESIGN.md section 3; re-encoding measured at 28-35% of a read).
What changes (counts, the reader's likes and reposts) is spliced in at the end of the cached
object, and of the original it nests for a repost. Ids are strings because 64-bit integers
overflow JavaScript numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

import msgspec

from roost.domain.tweets import Counts, Flags, Tweet
from roost.domain.users import User
from roost.services.memo import BoundedMemo


class AuthorView(msgspec.Struct):
    id: str
    handle: str
    display_name: str


class TweetView(msgspec.Struct):
    """As cached. ``repost_of`` comes last: the engagement splice relies on it."""

    id: str
    author: AuthorView
    content: str
    created_at: str
    in_reply_to: str | None
    repost_of: TweetView | None


class EngagedTweetView(msgspec.Struct):
    """As served (for the OpenAPI document): the cached view with counts and flags."""

    id: str
    author: AuthorView
    content: str
    created_at: str
    in_reply_to: str | None
    repost_of: EngagedTweetView | None
    like_count: int
    reply_count: int
    repost_count: int
    liked: bool
    reposted: bool


class UserView(msgspec.Struct):
    id: str
    handle: str
    display_name: str
    followers_count: int
    following_count: int
    created_at: str


_encoder = msgspec.json.Encoder()


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def tweet_view(tweet: Tweet) -> TweetView:
    author = tweet.author
    return TweetView(
        id=str(tweet.id),
        author=AuthorView(str(author.id), author.handle, author.display_name),
        content=tweet.content,
        created_at=rfc3339(tweet.created_at),
        in_reply_to=None if tweet.in_reply_to is None else str(tweet.in_reply_to),
        repost_of=None if tweet.repost_of is None else tweet_view(tweet.repost_of),
    )


def user_view(user: User) -> UserView:
    return UserView(
        id=str(user.id),
        handle=user.handle,
        display_name=user.display_name,
        followers_count=user.followers_count,
        following_count=user.following_count,
        created_at=rfc3339(user.created_at),
    )


def render_tweet(tweet: Tweet) -> bytes:
    return _encoder.encode(tweet_view(tweet))


_REPOST_MARK = b',"repost_of":{"id":"'


def origin_in(tweet_id: int, rendered: bytes) -> int:
    """The id of the post a rendered tweet shows: the original of a repost, else its own.

    The last ``"repost_of":{`` is the outer object's (the nested original's is null); quotes
    inside strings are escaped, so content cannot fake it."""
    at = rendered.rfind(_REPOST_MARK)
    if at < 0:
        return tweet_id
    start = at + len(_REPOST_MARK)
    return int(rendered[start : rendered.index(b'"', start)])


_AUTHOR_MARK = b'"author":{"id":"'


def authors_in(rendered: bytes) -> tuple[int, int | None]:
    """The author of a rendered tweet, and for a repost its original's author (else None).

    The outer object begins with its id and author; the nested original follows the outer
    ``"repost_of":{`` (the only one: the original's own is null). Quotes inside strings are
    escaped, so content cannot fake either mark."""
    start = rendered.index(_AUTHOR_MARK) + len(_AUTHOR_MARK)
    author = int(rendered[start : rendered.index(b'"', start)])
    at = rendered.find(_REPOST_MARK)
    if at < 0:
        return author, None
    start = rendered.index(_AUTHOR_MARK, at) + len(_AUTHOR_MARK)
    return author, int(rendered[start : rendered.index(b'"', start)])


def with_engagement(rendered: bytes, counts: Counts, flags: Flags) -> bytes:
    """The cached tweet with counts and flags added to it (and to its nested original, which
    a repost shares them with: likes and reposts of a repost go to the original)."""
    return _SPLICED[rendered, counts, flags]


def with_engagement_all(
    rendered: Sequence[bytes], counts: Sequence[Counts], flags: Sequence[Flags]
) -> list[bytes]:
    """with_engagement of each, in C when memoised (``map`` over the memo: no Python frame)."""
    return list(map(_SPLICED.__getitem__, zip(rendered, counts, flags, strict=True)))


def _splice(key: tuple[bytes, Counts, Flags]) -> bytes:
    rendered, counts, flags = key
    extra = _engagement_fields(counts, flags)
    if rendered.endswith(b"null}"):
        return rendered[:-1] + extra
    return rendered[:-2] + extra + extra


# Spliced tweets by what they were spliced from. A post is shown to many readers, most with
# the same counts and flags: a hit is one lookup (the cached bytes keep their hash) instead of
# two copies of the tweet, which halved the splice of a 50-tweet page (21 -> 10 us, timeit).
_SPLICED = BoundedMemo(_splice, 8192)


@functools.lru_cache(maxsize=4096)
def _engagement_fields(counts: Counts, flags: Flags) -> bytes:
    """Memoised: a feed page splices 50 of these, and a few values make up most of them."""
    return b',"like_count":%d,"reply_count":%d,"repost_count":%d,"liked":%s,"reposted":%s}' % (
        counts.likes,
        counts.replies,
        counts.reposts,
        b"true" if flags.liked else b"false",
        b"true" if flags.reposted else b"false",
    )

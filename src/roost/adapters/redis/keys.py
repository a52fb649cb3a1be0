"""The one place that spells Redis keys.

Every key starts with the configured prefix. A user's own keys carry the hash tag ``{u<id>}`` so
they share one Redis Cluster slot; tweets are spread by id. Feed members are tweet ids written as
19 zero-padded digits with score 0 (a repost adds ":" and its original's id): sorted sets then
order them exactly (a double score would lose the low bits of a 64-bit id) and lexicographic
ranges page them. Beside each feed or author's list, ``<key>:o`` maps the originals that reposts
in it show to those reposts, so a feed holds one entry per original (the feed store's scripts
spell that suffix).
"""

from __future__ import annotations

from roost.domain.tweets import FeedEntry
from roost.services.memo import BoundedMemo

ID_WIDTH = 19  # digits of the largest 63-bit id
# The lowest member of every materialised feed. Its presence says "this feed is built"; an empty
# sorted set does not exist in Redis, and a missing feed is rebuilt from SQL, never pushed to.
FEED_SENTINEL = "0" * ID_WIDTH


def member(tweet_id: int) -> str:
    return f"{tweet_id:0{ID_WIDTH}d}"


def entry_member(entry: FeedEntry) -> str:
    """An original is its id; a repost is its id, ":" and its origin's id, so the scripts
    know what each entry shows and lexicographic order is still the order of tweet ids."""
    if entry.is_repost:
        return f"{entry.tweet_id:0{ID_WIDTH}d}:{entry.origin_id:0{ID_WIDTH}d}"
    return f"{entry.tweet_id:0{ID_WIDTH}d}"


# A NamedTuple's own constructor is a Python function; tuple's is C: a third of parse_entry.
_new_entry = tuple.__new__


def parse_entry(raw: bytes | str) -> FeedEntry:
    """int() reads the digits of bytes as of str: a page's 50 entries are parsed undecoded."""
    if len(raw) == ID_WIDTH:
        tweet_id = int(raw)
        return _new_entry(FeedEntry, (tweet_id, tweet_id))
    return _new_entry(FeedEntry, (int(raw[:ID_WIDTH]), int(raw[ID_WIDTH + 1 :])))


# Entries by member: a post stands in many feeds, so a page's entries are nearly all known and
# parsed in C (``map(parse_member, members)``), with no Python frame an entry.
_PARSED = BoundedMemo(parse_entry, 65_536)
parse_member = _PARSED.__getitem__


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    @property
    def home_feed_parts(self) -> tuple[str, str]:
        """A home feed's key is these around the owner id (the push script builds it)."""
        return f"{self.prefix}{{u", "}:home"

    def home_feed(self, user_id: int) -> str:
        before, after = self.home_feed_parts
        return f"{before}{user_id}{after}"

    def pulled_authors(self, user_id: int) -> str:
        """The set of authors whose posts this user's feed pulls (with the member "0", so an
        empty set still exists; a missing set is rebuilt from SQL)."""
        return f"{self.prefix}{{u{user_id}}}:pulls"

    @property
    def author_posts_parts(self) -> tuple[str, str]:
        """An author's recent posts key is these around the author id (the feed script
        builds it from the pulls set)."""
        return f"{self.prefix}{{u", "}:posts"

    def author_posts(self, user_id: int) -> str:
        """An author's recent posts, newest kept, members and sentinel as in a home feed."""
        before, after = self.author_posts_parts
        return f"{before}{user_id}{after}"

    def tweet(self, tweet_id: int) -> str:
        return f"{self.prefix}t:{member(tweet_id)}"

    def counts(self, tweet_id: int) -> str:
        """A post's engagement counts (a string: "likes replies reposts"; a string, not a
        hash, so that the feed script reads a page's counts with one MGET)."""
        return f"{self.counts_prefix}{member(tweet_id)}"

    @property
    def counts_prefix(self) -> str:
        return f"{self.prefix}n:"  # "c:" held the hashes of earlier versions

    def flags(self, user_id: int) -> str:
        """What the user liked and reposted (a hash: a field per post; see engagement.py).
        ":acts" held the two-fields-a-post hashes of earlier versions."""
        return f"{self.prefix}{{u{user_id}}}:flags"

    def idempotency(self, user_id: int, key: str) -> str:
        """The first response to the user's request keyed ``key`` (or its in-flight claim)."""
        return f"{self.prefix}{{u{user_id}}}:idem:{key}"

    def rate_limit(self, key: str) -> str:
        return f"{self.prefix}rl:{key}"

    @property
    def events(self) -> str:
        return f"{self.prefix}events"

    @property
    def usage(self) -> str:
        """The stream of usage batches, from API processes to the workers."""
        return f"{self.prefix}usage"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}dead-letters"

    def active_users(self, day: str) -> str:
        """A HyperLogLog of the users active on ``day`` (YYYY-MM-DD, UTC)."""
        return f"{self.prefix}dau:{day}"

    @property
    def signals(self) -> str:
        """Pub/sub channel between processes: cache invalidations, and the outbox doorbell."""
        return f"{self.prefix}signals"

"""The one place that spells Redis keys.

Every key starts with the configured prefix. A user's own keys carry the hash tag ``{u<id>}`` so
they share one Redis Cluster slot; tweets are spread by id. Feed members are tweet ids written as
19 zero-padded digits with score 0: sorted sets then order them exactly (a double score would lose
the low bits of a 64-bit id) and lexicographic ranges page them.
"""

from __future__ import annotations

ID_WIDTH = 19  # digits of the largest 63-bit id
# The lowest member of every materialised feed. Its presence says "this feed is built"; an empty
# sorted set does not exist in Redis, and a missing feed is rebuilt from SQL, never pushed to.
FEED_SENTINEL = "0" * ID_WIDTH


def member(tweet_id: int) -> str:
    return f"{tweet_id:0{ID_WIDTH}d}"


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def home_feed(self, user_id: int) -> str:
        return f"{self.prefix}{{u{user_id}}}:home"

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

    @property
    def tweet_prefix(self) -> str:
        """A tweet's cache key is this and its feed member, so the feed script can build it."""
        return f"{self.prefix}t:"

    def tweet(self, tweet_id: int) -> str:
        return f"{self.tweet_prefix}{member(tweet_id)}"

    def rate_limit(self, key: str) -> str:
        return f"{self.prefix}rl:{key}"

    @property
    def events(self) -> str:
        return f"{self.prefix}events"

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

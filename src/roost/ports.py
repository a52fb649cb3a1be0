"""The ports: every dependency a service needs, as a typing.Protocol.

Services are written against these; adapters (SQL, Redis, in-process) implement them, and one
behavioural suite in tests/ runs against each implementation so none drifts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from roost.domain.analytics import EventCounts, Metric, Period, TweetStats, UsageBatch
from roost.domain.events import Event, NewEvent
from roost.domain.notifications import Notification, NotificationGroup, NotificationType
from roost.domain.tweets import Counts, FeedEntry, Flags, Tweet
from roost.domain.users import User


class UserRepository(Protocol):
    async def add(self, user: User, password_hash: str) -> None:
        """Store a new user; raises HandleTaken when the handle is in use, ignoring case."""

    async def get(self, user_id: int) -> User | None: ...

    async def by_handle(self, handle: str) -> User | None:
        """Look a user up by handle, ignoring case."""

    async def credentials(self, handle: str) -> tuple[User, str] | None:
        """The user and their password hash, for logging in."""

    async def many(self, user_ids: Sequence[int]) -> dict[int, User]: ...

    async def ids_by_handle_key(self, keys: Sequence[str]) -> dict[str, int]:
        """The ids of the users with these handle keys (see domain.users.handle_key), by key."""

    async def ids_after(self, after_id: int, limit: int) -> list[int]:
        """User ids in order, a batch at a time (for jobs over every user)."""

    async def count(self) -> int: ...

    async def touch(self, user_id: int, at: datetime) -> None:
        """Record that the user was active at ``at``."""

    async def set_pulled(self, user_id: int, pulled: bool) -> None: ...

    async def misclassified(self, celebrity_threshold: int) -> list[int]:
        """Users whose pulled flag disagrees with the threshold (after it changed)."""

    async def add_to_follow_counts(self, follower_id: int, followee_id: int, delta: int) -> None:
        """Move following_count of the follower and followers_count of the followee by delta."""


class TokenRepository(Protocol):
    async def add(
        self, token_hash: str, user_id: int, created_at: datetime, expires_at: datetime
    ) -> None: ...

    async def owner(self, token_hash: str, now: datetime) -> tuple[int, datetime] | None:
        """The owner of a live (unexpired, unrevoked) token, and when the token expires."""

    async def revoke(self, token_hash: str) -> None: ...


class TweetRepository(Protocol):
    async def add(self, new: Sequence[Tweet]) -> None:
        """Store new tweets, in one statement."""

    async def get(self, tweet_id: int) -> Tweet | None:
        """A tweet that has not been deleted (a repost with its original)."""

    async def many(self, tweet_ids: Sequence[int]) -> dict[int, Tweet]:
        """The tweets among ``tweet_ids`` that exist and have not been deleted."""

    async def mark_deleted(self, tweet_id: int, at: datetime) -> None: ...

    async def by_author(self, author_id: int, before_id: int, limit: int) -> list[Tweet]:
        """An author's live tweets with ids below ``before_id``, newest first."""

    async def replies(self, tweet_id: int, before_id: int, limit: int) -> list[Tweet]:
        """The live replies to a tweet with ids below ``before_id``, newest first."""

    async def mentioning(self, user_id: int, before_id: int, limit: int) -> list[Tweet]:
        """The live tweets that mention the user, ids below ``before_id``, newest first."""

    async def recent_entries_by_author(self, author_id: int, limit: int) -> list[FeedEntry]:
        """An author's newest live tweets and reposts, newest first."""

    async def entries_by_id(self, tweet_ids: Sequence[int]) -> dict[int, FeedEntry]:
        """The entries of these tweets, deleted ones too."""

    async def entries_by_author_since(
        self, author_id: int, since_id: int, limit: int
    ) -> list[FeedEntry]:
        """An author's tweets (deleted ones too) from ``since_id`` on, newest first."""

    async def home_timeline_entries(self, user_id: int, limit: int) -> list[FeedEntry]:
        """The pull model: the newest live tweets of the user and everyone they follow."""

    async def links(self, tweet_ids: Sequence[int]) -> dict[int, tuple[int | None, int | None]]:
        """(replied-to id, reposted id) of these tweets, deleted ones too."""

    async def recount(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        """Count again, from the likes, replies and reposts themselves, and store the counts."""

    async def engagement(
        self, reader_id: int, tweet_ids: Sequence[int]
    ) -> dict[int, tuple[Counts, Flags]]:
        """The counts of the tweets that exist, and whether the reader liked or reposted each."""

    async def flagged_since(
        self, reader_id: int, since_id: int, limit: int
    ) -> dict[int, Flags] | None:
        """The posts from ``since_id`` on that the reader liked or reposted (and which); None
        when they liked, or reposted, more than ``limit`` of them."""

    async def flags_of(self, pairs: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Flags]:
        """Whether each user liked and reposted each post, for these (user, post) pairs."""


class LikeRepository(Protocol):
    async def add(self, user_id: int, tweet_id: int, at: datetime) -> bool:
        """Record a like; False when it already existed."""

    async def remove(self, user_id: int, tweet_id: int) -> bool:
        """Remove a like; False when there was none."""

    async def exists(self, user_id: int, tweet_id: int) -> bool: ...


class RepostRepository(Protocol):
    async def add(self, user_id: int, tweet_id: int, repost_id: int) -> bool:
        """Record that the user reposted the tweet as ``repost_id``; False when they had."""

    async def of(self, user_id: int, tweet_id: int) -> int | None:
        """The id of the user's live repost of the tweet."""

    async def remove(self, user_id: int, tweet_id: int) -> int | None:
        """Forget the user's repost of the tweet; returns its id, None when there was none."""

    async def remove_all_of(self, tweet_id: int) -> list[tuple[int, int]]:
        """Forget every repost of a tweet (it was deleted); returns (repost id, reposter)."""


class MentionRepository(Protocol):
    async def add(self, mentioned: Mapping[int, Sequence[int]]) -> None:
        """Record the users each tweet (by id) mentions."""

    async def of_tweets(self, tweet_ids: Sequence[int]) -> dict[int, list[int]]:
        """The users each tweet mentions (tweets that mention nobody are left out)."""


class NotificationRepository(Protocol):
    async def add(self, notification: Notification, event_id: int) -> bool:
        """Store a notification; False when this event already gave it (a replay)."""

    async def remove_unread(
        self, recipient_id: int, kind: NotificationType, actor_id: int, tweet_id: int
    ) -> int:
        """Withdraw unread notifications of an action that was undone; returns how many."""

    async def page(self, recipient_id: int, before_id: int, limit: int) -> list[Notification]:
        """Newest first, ids below ``before_id``."""

    async def since(self, recipient_id: int, after_id: int, limit: int) -> list[Notification]:
        """Oldest first, ids above ``after_id`` (what a live stream missed)."""

    async def groups(
        self, recipient_id: int, before_id: int, limit: int, actors: int
    ) -> list[NotificationGroup]:
        """Groups whose newest notification is below ``before_id``, newest first, each with
        its newest ``actors`` actor ids."""

    async def unread_count(self, recipient_id: int) -> int: ...

    async def mark_read(self, recipient_id: int, up_to_id: int) -> int:
        """Mark the notification ``up_to_id`` and all older ones read; returns how many."""


class FollowRepository(Protocol):
    async def add(self, follow_id: int, follower_id: int, followee_id: int, at: datetime) -> bool:
        """Record a follow; False when it already existed (nothing changes then)."""

    async def remove(self, follower_id: int, followee_id: int) -> bool:
        """Remove a follow; False when there was none."""

    async def exists(self, follower_id: int, followee_id: int) -> bool: ...

    async def followers_page(
        self, user_id: int, before_id: int, limit: int
    ) -> list[tuple[int, int]]:
        """(follow id, follower id) pairs, newest follow first, follow ids below before_id."""

    async def following_page(
        self, user_id: int, before_id: int, limit: int
    ) -> list[tuple[int, int]]:
        """(follow id, followee id) pairs, newest follow first, follow ids below before_id."""

    async def followers_after(
        self, user_id: int, after_id: int, limit: int
    ) -> list[tuple[int, datetime | None]]:
        """A batch of (follower id, last seen) above ``after_id`` in id order, for fanout."""

    async def followers_of_many(
        self, user_ids: Sequence[int], limit: int
    ) -> list[tuple[int, int, datetime | None]]:
        """(followee id, follower id, follower's last seen) for the followers of these users,
        ordered by followee then follower, at most ``limit`` rows: the fanout of many posts
        by authors with few followers reads them in one query."""

    async def followee_ids(self, user_id: int) -> list[int]:
        """Everyone the user follows."""

    async def pulled_followees(self, user_id: int) -> list[int]:
        """The followed authors whose posts the user's feed pulls."""


class Outbox(Protocol):
    def add(self, event: NewEvent) -> None:
        """Record an event; it is written with the unit of work's commit, or not at all."""


class UnitOfWork(Protocol):
    """One transaction over the source of truth. Nothing is written unless commit() is called."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def tweets(self) -> TweetRepository: ...

    @property
    def follows(self) -> FollowRepository: ...

    @property
    def likes(self) -> LikeRepository: ...

    @property
    def reposts(self) -> RepostRepository: ...

    @property
    def mentions(self) -> MentionRepository: ...

    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work; read_only ones may be served by a replica and never commit."""


class StoreUnavailable(Exception):
    """A fast store (Redis) cannot be reached; services fall back to the source of truth."""


@dataclass(frozen=True, slots=True)
class FeedSlice:
    """Part of a home feed: entries newest first (pushed entries merged with the recent posts
    of the pulled authors, one entry per origin), and what the store had of them at hand.

    The tweets themselves come from the tweet cache (its in-process LRU holds nearly all).
    ``counts`` and ``flags`` (the reader's) are the engagement the store had at hand, one for
    each entry (its origin's; None where it had none), or empty when it read none. With
    ``cache_read`` they are all the engagement cache holds for these entries (the Redis store
    reads it in the same script), so what is missing is loaded from SQL; a store that does not
    read the cache (SQL) says ``cache_read=False`` and the service reads it first. They are
    lists beside the entries, not maps by origin, so that a page is served in one pass (in C).
    A store that lacks what the merge needs says so instead: it does not know which authors
    the reader pulls, or it lacks those authors' recent posts; the service rebuilds them.
    """

    entries: list[FeedEntry]
    counts: list[Counts | None] = field(default_factory=list)
    flags: list[Flags | None] = field(default_factory=list)
    cache_read: bool = True
    pulled_authors_known: bool = True
    missing_author_posts: list[int] = field(default_factory=list)


class HomeFeeds(Protocol):
    """The materialised home feeds, and the pull model's structures.

    A home feed holds entries newest first, capped at ROOST_FEED_MAX_ITEMS, at most one per
    origin: an entry whose origin the feed already shows (a repost of a post in it, a second
    repost) is not added, so a feed never shows one post twice. A feed may be
    missing (never built, dropped, evicted, lost with a Redis): pushes then skip it, and the
    next read rebuilds it from SQL with ``materialise``. A full feed that loses an entry is
    dropped too, since older entries trimmed away would now belong in it.
    Methods raise StoreUnavailable when the store cannot be reached.
    """

    async def push(self, entry: FeedEntry, owner_ids: Sequence[int]) -> int:
        """Add one entry to the feeds that exist; returns how many entries were new."""

    async def push_many(self, pushes: Sequence[tuple[FeedEntry, Sequence[int]]]) -> int:
        """``push`` each entry to its feeds, in order, as many calls one after another would,
        but in one round trip (the fanout of a run of new posts); returns how many entries
        were new."""

    async def drop(self, owner_ids: Sequence[int]) -> None:
        """Forget feeds (their owners went inactive): the next read rebuilds them."""

    async def backfill(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        """Add entries to one feed, if it exists (after a follow)."""

    async def materialise(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        """Create a feed from entries pulled from SQL, merging with whatever it holds."""

    async def remove(self, entry: FeedEntry, owner_ids: Sequence[int]) -> None:
        """Take one entry out of many feeds (after a delete)."""

    async def remove_from(self, owner_id: int, entries: Sequence[FeedEntry]) -> None:
        """Take entries out of one feed (after an unfollow)."""

    async def oldest(self, owner_id: int) -> int | None:
        """The oldest tweet id in a feed; None when the feed is empty or missing."""

    async def page(self, owner_id: int, before_id: int, limit: int) -> FeedSlice | None:
        """Up to ``limit`` entries below ``before_id``, newest first; None: the feed is missing.
        A pulled entry whose origin the pushed feed shows, or an older pulled entry shows, is
        left out."""

    async def set_pulled_authors(self, owner_id: int, author_ids: Sequence[int]) -> None:
        """Record which authors the owner's feed pulls (stores that cannot derive it)."""

    async def forget_pulled_authors(self, owner_ids: Sequence[int]) -> None:
        """The owners' pulled authors changed: the next read looks them up again."""

    async def set_author_posts(self, author_id: int, entries: Sequence[FeedEntry]) -> None:
        """Store an author's recent posts (rebuilt from SQL), for pulling."""

    async def add_author_posts(self, posts: Sequence[tuple[int, FeedEntry]]) -> None:
        """Add new posts (author id, entry), in order, to their authors' recent posts where
        those are stored; one round trip."""

    async def remove_author_post(self, author_id: int, entry: FeedEntry) -> None: ...


class TweetCache(Protocol):
    """Serialised tweets by id, as the bytes the API sends."""

    async def get_many(self, tweet_ids: Sequence[int]) -> dict[int, bytes]:
        """What the cache holds; an empty value means "deleted": do not load it again."""

    async def put_many(self, rendered: dict[int, bytes]) -> None:
        """Cache tweets, without overwriting what is there (a deletion mark in particular)."""

    async def mark_deleted(self, tweet_id: int) -> None:
        """Never serve this tweet again, from any process's cache."""


class EngagementCache(Protocol):
    """Engagement counts by post and each reader's likes and reposts, kept near the feeds.

    Counts are set by the counting consumer after each recount, and filled by readers where
    missing; a fill that raced a recount can lag for at most its time to live (see adapters).
    Methods may raise StoreUnavailable; the service then reads the database.
    """

    async def counts(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        """The cached counts among ``tweet_ids``."""

    async def put_counts(self, counts: dict[int, Counts]) -> None:
        """Cache counts read from the database, where none are cached."""

    async def set_counts(self, counts: dict[int, Counts]) -> None:
        """Cache counts just recounted, replacing what is cached."""

    async def flags(self, user_id: int, tweet_ids: Sequence[int]) -> dict[int, Flags]:
        """The user's cached likes and reposts among ``tweet_ids``."""

    complete_flags: bool
    """Whether put_flags makes use of ``complete_since`` (worth reading all of a user's likes
    and reposts from some post on)."""

    async def put_flags(
        self, user_id: int, flags: dict[int, Flags], *, complete_since: int | None = None
    ) -> None:
        """Cache flags read from the database, where not known. With ``complete_since``,
        ``flags`` holds every post from that id on that the user liked or reposted (it may
        leave out the others, which were neither): a cache may take that as the answer for
        any such post it has no flags of, until the user's own actions say otherwise."""

    async def set_liked(self, user_id: int, tweet_id: int, liked: bool) -> None: ...

    async def set_reposted(self, user_id: int, tweet_id: int, reposted: bool) -> None: ...

    async def set_flags(self, flags: Mapping[tuple[int, int], Flags]) -> None:
        """Cache flags by (user, post) read from the database after the users' actions,
        replacing what is cached: the counting consumer's repair of an action whose own
        write to the cache failed."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    consumer: str
    event: Event
    error: str


class EventSource(Protocol):
    """Where a named consumer reads the events it has not handled yet, in commit order."""

    async def read(self, consumer: str, limit: int) -> list[Event]: ...

    async def acknowledge(self, consumer: str, handled: Sequence[Event]) -> None:
        """Record that ``consumer`` is done with these events (a batch read earlier)."""

    async def dead_letter(self, consumer: str, event: Event, error: str) -> None:
        """Set aside an event that keeps failing, with the error, so the rest can go on."""

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        """The newest events set aside, newest first."""


class Signals(Protocol):
    """Small messages to every process (this one included): "drop token X", "events wait"."""

    async def publish(self, topic: str, key: str) -> None: ...

    def subscribe(self, topic: str, callback: Callable[[str], None]) -> None:
        """Call ``callback(key)`` for each message on ``topic``; ``""`` means "drop everything"
        (sent after a lost connection, when messages may have been missed)."""


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        """Count one hit on ``key``; 0 when allowed, else the seconds until the next is."""

    async def hit_many(self, keys: Sequence[str], limit: int, window_seconds: int) -> list[int]:
        """``hit`` on each key in turn (a key may repeat), in one round trip."""


class FeedMetrics(Protocol):
    """What the feed services count, for operators (Prometheus in production)."""

    def pushed(self, entries: int) -> None: ...

    def skipped(self, reason: str, followers: int) -> None:
        """Followers not pushed to, by reason: "celebrity" or "inactive"."""

    def rebuilt(self) -> None: ...

    def fanout_lag(self, seconds: float) -> None:
        """From the commit of a post to the end of its fanout."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class AnalyticsStore(Protocol):
    """Analytics counters in the source of truth: hourly and daily rollups, per-tweet totals.
    Writes add to what is stored, so any number of processes can write at once."""

    async def count_events(self, counted: Mapping[int, EventCounts]) -> int:
        """Add the counts of events (by event id), each once, in one transaction: an event
        counted before changes nothing. Returns how many were new."""

    async def add_usage(self, batches: Sequence[UsageBatch], now: datetime) -> int:
        """Add batches of usage, each once (by batch id, remembered for a day before ``now``),
        in one transaction: impressions per tweet and per author's day, service-wide
        impressions, feed reads and requests per hour and day, and the day's active users
        (never lowering what is stored). Returns how many batches were new."""

    async def tweet_stats(self, tweet_id: int) -> TweetStats: ...

    async def series(
        self, metric: Metric, subject_id: int, period: Period, start: datetime, end: datetime
    ) -> dict[datetime, int]:
        """Stored buckets from ``start`` up to, not including, ``end``."""

    async def is_admin(self, user_id: int) -> bool: ...

    async def set_admin(self, user_id: int, admin: bool, at: datetime) -> None: ...


class UsageQueue(Protocol):
    """Carries usage batches from API processes to the workers, which add them to the analytics
    store (scaled mode): an API process then writes no SQL for what it counts of reads."""

    async def put(self, batch: UsageBatch) -> None:
        """Queue a batch; raises ``StoreUnavailable`` when the queue cannot take it."""


class ActiveUsers(Protocol):
    """Distinct users active per day: exact in SQL (embedded), a HyperLogLog in Redis (scaled,
    about 0.8% standard error, 12 KiB a day)."""

    async def add(self, day: datetime, user_ids: Sequence[int]) -> int:
        """Mark users active on ``day``; returns the day's count of distinct users so far."""

"""Live updates: telling connected sessions that something new is theirs.

Writers announce (a post entered home feeds, a user has a new notification, a user's follows
changed) over the Signals port: in-process in embedded mode, Redis pub/sub across processes in
scaled mode. Every API process routes what it hears to the sessions connected to it. An
announcement carries ids only; sessions read what is new from the stores, so a lost
announcement delays an update (until the session's next poll), it never loses one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from roost.domain.errors import RateLimited
from roost.domain.rate_limits import Quota
from roost.ports import Signals, StoreUnavailable, UnitOfWorkFactory

log = logging.getLogger(__name__)

# "<tweet id>:<author id>,...": the posts entered their readers' home feeds (a new name for a
# new format: a process of the release before, which read one post a message, ignores it)
FEED_TOPIC = "live-feeds"
NOTIFY_TOPIC = "live-notify"  # "<user id>": the user has a new notification
FOLLOWS_TOPIC = "live-follows"  # "<user id>": the user followed or unfollowed someone
SESSION_QUEUE = 1000  # updates a slow session may have waiting before older feed entries drop
SESSIONS_PER_USER = 10  # open live streams of one user on one API process


@dataclass(eq=False)
class LiveSession:
    """One connected client of one user. ``updates`` yields ("feed", tweet id) and
    ("notify", 0), the latter meaning "look for new notifications"."""

    user_id: int
    updates: asyncio.Queue[tuple[str, int]] = field(
        default_factory=lambda: asyncio.Queue(SESSION_QUEUE)
    )
    authors: frozenset[int] = frozenset()
    notify_waiting: bool = False  # one "notify" in the queue stands for any number of them

    def tell(self, kind: str, value: int = 0) -> None:
        if kind == "notify":
            if self.notify_waiting:
                return
            self.notify_waiting = True
        with contextlib.suppress(asyncio.QueueFull):
            self.updates.put_nowait((kind, value))

    async def next(self, wait_seconds: float) -> tuple[str, int] | None:
        """The next update; None when there was none for ``wait_seconds``."""
        try:
            update = await asyncio.wait_for(self.updates.get(), wait_seconds)
        except TimeoutError:
            return None
        if update[0] == "notify":
            self.notify_waiting = False
        return update


class LiveUpdates:
    def __init__(self, signals: Signals, uow: UnitOfWorkFactory) -> None:
        self._signals = signals
        self._uow = uow
        self._sessions: defaultdict[int, set[LiveSession]] = defaultdict(set)
        self._readers: defaultdict[int, set[LiveSession]] = defaultdict(set)  # by author
        self._reloads: set[asyncio.Task[None]] = set()
        signals.subscribe(FEED_TOPIC, self._on_feed_entry)
        signals.subscribe(NOTIFY_TOPIC, self._on_notification)
        signals.subscribe(FOLLOWS_TOPIC, self._on_follows)

    async def feed_entries(self, posts: Sequence[tuple[int, int]]) -> None:
        """Posts (tweet id, author id) entered home feeds: one message for all of them."""
        if posts:
            await self._announce(FEED_TOPIC, ",".join(f"{t}:{a}" for t, a in posts))

    async def notification(self, user_id: int) -> None:
        await self._announce(NOTIFY_TOPIC, str(user_id))

    async def follows_changed(self, user_id: int) -> None:
        await self._announce(FOLLOWS_TOPIC, str(user_id))

    def admit(self, user_id: int) -> None:
        """Raises RateLimited when the user has SESSIONS_PER_USER streams open here already."""
        if len(self._sessions.get(user_id, ())) >= SESSIONS_PER_USER:
            quota = Quota(0, SESSIONS_PER_USER, 0, 5, 5)
            raise RateLimited("You have too many live streams open; close one.", quota)

    async def open(self, user_id: int) -> LiveSession:
        self.admit(user_id)
        session = LiveSession(user_id)
        self._sessions[user_id].add(session)
        try:
            await self._load_authors(session)
        except BaseException:  # cancelled (the client left) or failed: not left counted
            self.close(session)
            raise
        return session

    def close(self, session: LiveSession) -> None:
        self._index(session, frozenset())
        self._sessions[session.user_id].discard(session)
        if not self._sessions[session.user_id]:
            del self._sessions[session.user_id]

    @property
    def connected(self) -> int:
        return sum(len(sessions) for sessions in self._sessions.values())

    async def _announce(self, topic: str, key: str) -> None:
        try:
            await self._signals.publish(topic, key)
        except StoreUnavailable:
            log.warning("live update %s %s not announced; sessions catch up by polling", topic, key)

    def _on_feed_entry(self, key: str) -> None:
        if not key:
            return  # reconnected: feed entries missed meanwhile are in the feed itself
        for post in key.split(","):
            tweet_id, _, author_id = post.partition(":")
            for session in list(self._readers.get(int(author_id), ())):
                session.tell("feed", int(tweet_id))

    def _on_notification(self, key: str) -> None:
        sessions = (
            [s for group in self._sessions.values() for s in group]
            if not key
            else list(self._sessions.get(int(key), ()))
        )
        for session in sessions:
            session.tell("notify")

    def _on_follows(self, key: str) -> None:
        users = list(self._sessions) if not key else [int(key)]
        for user_id in users:
            for session in list(self._sessions.get(user_id, ())):
                task = asyncio.get_running_loop().create_task(self._load_authors(session))
                self._reloads.add(task)
                task.add_done_callback(self._reloads.discard)

    async def _load_authors(self, session: LiveSession) -> None:
        """The authors whose posts enter the session's feed: the user and whom they follow."""
        async with self._uow(read_only=True) as uow:
            followees = await uow.follows.followee_ids(session.user_id)
        if session in self._sessions.get(session.user_id, ()):
            self._index(session, frozenset([session.user_id, *followees]))

    def _index(self, session: LiveSession, authors: frozenset[int]) -> None:
        for author in session.authors - authors:
            self._readers[author].discard(session)
            if not self._readers[author]:
                del self._readers[author]
        for author in authors - session.authors:
            self._readers[author].add(session)
        session.authors = authors

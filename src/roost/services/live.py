"""Live updates: telling connected sessions that something new is theirs.

Writers announce (a post entered home feeds, a user has a new notification, a user's follows
changed) over the Signals port: in-process in embedded mode, Redis pub/sub across processes in
scaled mode. Every API process routes what it hears to the sessions connected to it. An
announcement carries ids only; sessions read what is new from the stores, so a lost
announcement delays an update (until the session's next poll), it never loses one.

A session lives no longer than its token: a revocation (SessionCache's signal, heard by every
process) ends the sessions of that token at once. When signals may have been missed (a lost
connection to Redis), every session's token is checked again in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from roost.domain.errors import RateLimited
from roost.ports import Clock, Signals, StoreUnavailable, UnitOfWorkFactory
from roost.services.sessions import SESSION_TOPIC, Session

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
    """One connected client of one user. ``updates`` yields ("feed", tweet id),
    ("notify", 0), meaning "look for new notifications", and ("revoked", 0), the last one."""

    user_id: int
    token_digest: str
    expires_at: datetime
    updates: asyncio.Queue[tuple[str, int]] = field(
        default_factory=lambda: asyncio.Queue(SESSION_QUEUE)
    )
    authors: frozenset[int] = frozenset()
    notify_waiting: bool = False  # one "notify" in the queue stands for any number of them
    revoked: bool = False

    def revoke(self) -> None:
        """The flag is what counts: a full queue has a reader busy, who sees it on its next call."""
        self.revoked = True
        with contextlib.suppress(asyncio.QueueFull):
            self.updates.put_nowait(("revoked", 0))

    def tell(self, kind: str, value: int = 0) -> None:
        if kind == "notify":
            if self.notify_waiting:
                return
            self.notify_waiting = True
        with contextlib.suppress(asyncio.QueueFull):
            self.updates.put_nowait((kind, value))

    async def next(self, wait_seconds: float) -> tuple[str, int] | None:
        """The next update; None when there was none for ``wait_seconds``."""
        if self.revoked:
            return ("revoked", 0)
        try:
            update = await asyncio.wait_for(self.updates.get(), wait_seconds)
        except TimeoutError:
            return None
        if update[0] == "notify":
            self.notify_waiting = False
        return ("revoked", 0) if self.revoked else update


class LiveUpdates:
    def __init__(self, signals: Signals, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._signals = signals
        self._uow = uow
        self._clock = clock
        self._sessions: defaultdict[int, set[LiveSession]] = defaultdict(set)
        self._readers: defaultdict[int, set[LiveSession]] = defaultdict(set)  # by author
        self._by_token: defaultdict[str, set[LiveSession]] = defaultdict(set)
        self._tasks: set[asyncio.Task[None]] = set()
        signals.subscribe(FEED_TOPIC, self._on_feed_entry)
        signals.subscribe(NOTIFY_TOPIC, self._on_notification)
        signals.subscribe(FOLLOWS_TOPIC, self._on_follows)
        signals.subscribe(SESSION_TOPIC, self._on_revocation)

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
            raise RateLimited("You have too many live streams open; close one.", 5)

    async def open(self, auth: Session) -> LiveSession:
        self.admit(auth.user.id)
        session = LiveSession(auth.user.id, auth.token_digest, auth.expires_at)
        self._sessions[session.user_id].add(session)
        self._by_token[session.token_digest].add(session)
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
        self._by_token[session.token_digest].discard(session)
        if not self._by_token[session.token_digest]:
            del self._by_token[session.token_digest]

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
                self._in_background(self._load_authors(session))

    def _on_revocation(self, key: str) -> None:
        if not key:
            if self._by_token:
                self._in_background(self._revoke_dead_tokens())
            return
        for session in list(self._by_token.get(key, ())):
            session.revoke()

    async def _revoke_dead_tokens(self) -> None:
        """Revocations may have been missed: end the sessions whose token is no longer live."""
        now = self._clock.now()
        try:
            async with self._uow(read_only=True) as uow:
                dead = [d for d in list(self._by_token) if await uow.tokens.owner(d, now) is None]
        except Exception as error:  # the store is away: sessions live on until their expiry
            log.warning("live sessions' tokens not checked again (%r)", error)
            return
        for digest in dead:
            self._on_revocation(digest)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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

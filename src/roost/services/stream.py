"""A user's live stream: new notifications and new home-feed entries as they happen.

A reconnecting client names the last notification it saw (SSE's Last-Event-ID) and gets what
it missed from the notifications store first. Notifications are read from the store on every
announcement and on a periodic poll, and ids already sent are skipped, so nothing is sent
twice and nothing waits longer than a poll when an announcement is lost.

A stream ends with its token: it raises Unauthorized when the token is revoked (on any
process) or expires.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from roost.domain.errors import Unauthorized
from roost.domain.ids import TIMESTAMP_SHIFT, parse_id, smallest_id_at
from roost.domain.notifications import Notification
from roost.domain.users import User
from roost.ports import Clock
from roost.services.engagement import Engagement
from roost.services.hydration import TweetHydrator
from roost.services.live import LiveUpdates
from roost.services.notifications import Notifications
from roost.services.sessions import Session

# A notification's id is taken before its transaction commits: one committed this much later
# than its id says is still found (ids above the last one sent minus this window are re-read).
LATE_COMMIT = timedelta(seconds=5)
_LATE_COMMIT_IDS = int(LATE_COMMIT.total_seconds() * 1000) << TIMESTAMP_SHIFT
REPLAY_LIMIT = 100  # notifications sent per read of the store
REMEMBERED = 1000  # ids of notifications sent, kept to skip them when read again


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """``kind`` is "notification", "feed" or "heartbeat"; ``id`` is set on notifications."""

    kind: str
    data: bytes = b""
    id: str | None = None


class LiveStream:
    def __init__(
        self,
        live: LiveUpdates,
        notifications: Notifications,
        hydrator: TweetHydrator,
        engagement: Engagement,
        clock: Clock,
        *,
        poll_seconds: float,
    ) -> None:
        self._live = live
        self._notifications = notifications
        self._hydrator = hydrator
        self._engagement = engagement
        self._clock = clock
        self._poll_seconds = poll_seconds

    def admit(self, reader: User) -> None:
        """Raises RateLimited when the reader has too many streams open (call before events(),
        so that the refusal is an answer of its own, not a stream cut short)."""
        self._live.admit(reader.id)

    async def events(self, auth: Session, last_event_id: str | None) -> AsyncIterator[LiveEvent]:
        """Runs until the client goes away (the generator is closed), or raises Unauthorized
        when the session's token is revoked or expires."""
        reader = auth.user
        session = await self._live.open(auth)
        try:
            catch_up = _CatchUp(self._floor(last_event_id))
            for event in await self._new_notifications(reader, catch_up):
                yield event
            while True:
                update = await session.next(self._wait_seconds(auth))
                if update is None:
                    if self._clock.now() >= auth.expires_at:
                        raise Unauthorized("This session token has expired; log in again.")
                    yield LiveEvent("heartbeat")
                    update = ("notify", 0)
                kind, tweet_id = update
                if kind == "revoked":
                    raise Unauthorized("This session token was revoked (logged out).")
                if kind == "feed":
                    feed_event = await self._feed_entry(reader, tweet_id)
                    if feed_event is not None:
                        yield feed_event
                else:
                    for event in await self._new_notifications(reader, catch_up):
                        yield event
        finally:
            self._live.close(session)

    def _wait_seconds(self, auth: Session) -> float:
        """Until the next poll, or the token's expiry when that comes first."""
        left = (auth.expires_at - self._clock.now()).total_seconds()
        return max(min(self._poll_seconds, left), 0.0)

    def _floor(self, last_event_id: str | None) -> int:
        """Ids above this are sent: after the client's last one, or from now on."""
        given = parse_id(last_event_id) if last_event_id else None
        return given if given is not None else smallest_id_at(self._clock.now())

    async def _feed_entry(self, reader: User, tweet_id: int) -> LiveEvent | None:
        rendered = await self._hydrator.rendered([tweet_id])
        if tweet_id not in rendered:
            return None
        body = await self._engagement.present_one(reader.id, tweet_id, rendered[tweet_id])
        return LiveEvent("feed", body)

    async def _new_notifications(self, reader: User, catch_up: _CatchUp) -> list[LiveEvent]:
        """Everything new, however much arrived since the last look."""
        events: list[LiveEvent] = []
        after = catch_up.read_from
        while True:
            found = await self._notifications.since(reader, after, REPLAY_LIMIT)
            fresh = catch_up.unsent(found)
            bodies = await self._notifications.render(reader, fresh)
            events += [
                LiveEvent("notification", body, str(n.id))
                for n, body in zip(fresh, bodies, strict=True)
            ]
            if len(found) < REPLAY_LIMIT:
                return events
            after = found[-1].id


class _CatchUp:
    """Which notifications a stream has sent: all up to ``floor`` (the client had them), and
    the ids remembered since."""

    def __init__(self, floor: int) -> None:
        self._floor = floor
        self._highest = floor
        self._sent: deque[int] = deque(maxlen=REMEMBERED)

    @property
    def read_from(self) -> int:
        return max(self._floor, self._highest - _LATE_COMMIT_IDS)

    def unsent(self, found: list[Notification]) -> list[Notification]:
        fresh = [n for n in found if n.id > self._floor and n.id not in self._sent]
        for n in fresh:
            self._sent.append(n.id)
            self._highest = max(self._highest, n.id)
        return fresh

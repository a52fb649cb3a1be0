"""Notifications: made from the events of the log, read and marked read by their recipient.

The consumer is idempotent: each notification is keyed by its event (with recipient and type),
and each handler checks the current state first (a like undone before its event is handled
notifies nobody). Nobody is notified of their own action. After each commit the recipient's
live sessions are told (services/live.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from roost.domain import events
from roost.domain.cursors import decode_cursor
from roost.domain.events import Event
from roost.domain.ids import IdGenerator
from roost.domain.notifications import (
    GROUPED_ACTORS,
    Notification,
    NotificationGroup,
    NotificationType,
)
from roost.domain.tweets import Tweet
from roost.domain.users import User
from roost.ports import Clock, UnitOfWork, UnitOfWorkFactory
from roost.services.engagement import Engagement
from roost.services.hiding import HiddenAccounts
from roost.services.hydration import TweetHydrator
from roost.services.live import LiveUpdates
from roost.services.pages import Page, check_limit, next_cursor
from roost.services.views import UserView, rfc3339, user_view


class NotificationView(msgspec.Struct):
    id: str
    type: str
    actor: UserView
    tweet: msgspec.Raw | None
    created_at: str
    read: bool


class NotificationGroupView(msgspec.Struct):
    group_key: str
    type: str
    count: int
    actors: list[UserView]
    tweet: msgspec.Raw | None
    latest_at: str
    latest_id: str
    read: bool


Pending = tuple[int, NotificationType, int, int | None]  # recipient, type, actor, tweet

_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class _NewPosts:
    tweets: dict[int, Tweet]  # the new posts and the posts they reply to, live ones only
    mentions: dict[int, list[int]]  # who each new post mentions


class Notifications:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hydrator: TweetHydrator,
        engagement: Engagement,
        live: LiveUpdates,
        ids: IdGenerator,
        clock: Clock,
        hidden: HiddenAccounts,
    ) -> None:
        self._uow = uow
        self._hidden = hidden
        self._hydrator = hydrator
        self._engagement = engagement
        self._live = live
        self._ids = ids
        self._clock = clock

    async def handle(self, event: Event) -> None:
        """The consumer of the event log, one event at a time."""
        await self.handle_batch([event])

    async def handle_batch(self, batch: Sequence[Event]) -> None:
        """A batch of events in one transaction (a burst of likes costs one commit, not one
        per like); the recipients' live sessions are told after the commit. Nobody is
        notified of what an account they blocked, or that blocked them, did."""
        notified: set[int] = set()
        async with self._uow() as uow:
            posts = await self._new_posts(uow, batch)
            pending = [(event, await self._apply(uow, event, posts)) for event in batch]
            users = {user for _, found in pending for r, _, a, _ in found for user in (r, a)}
            blocked = await uow.blocks.among(sorted(users))
            for event, found in pending:
                allowed = [p for p in found if not _between(blocked, p[0], p[2])]
                notified |= await self._add(uow, event, allowed)
            await uow.commit()
        for recipient in sorted(notified):
            await self._live.notification(recipient)

    async def page(
        self, reader: User, cursor: str | None, limit: int, *, grouped: bool = False
    ) -> Page[bytes]:
        """The reader's notifications (or groups of them), newest first."""
        check_limit(limit)
        before = decode_cursor(cursor)
        if grouped:
            return await self._groups_page(reader, before, limit)
        hidden = await self._hidden_actors(reader)
        async with self._uow(read_only=True) as uow:
            found = await uow.notifications.page(reader.id, before, limit + 1, hidden)
        page = found[:limit]
        return Page(
            items=await self.render(reader, page),
            next_cursor=next_cursor(page[-1].id if page else None, len(found) > limit),
            positions=[(n.id, None) for n in page],
        )

    async def since(self, reader: User, after_id: int, limit: int) -> list[Notification]:
        """Oldest first, for live streams catching up."""
        hidden = await self._hidden_actors(reader)
        async with self._uow(read_only=True) as uow:
            return await uow.notifications.since(reader.id, after_id, limit, hidden)

    async def unread_count(self, reader: User) -> int:
        hidden = await self._hidden_actors(reader)
        async with self._uow(read_only=True) as uow:
            return await uow.notifications.unread_count(reader.id, hidden)

    async def mark_read(self, reader: User, up_to: int) -> int:
        async with self._uow() as uow:
            marked = await uow.notifications.mark_read(reader.id, up_to)
            await uow.commit()
        return marked

    async def render(self, reader: User, found: Sequence[Notification]) -> list[bytes]:
        """One body per notification, in order (users are never deleted)."""
        users, tweets = await self._load(reader, [n.actor_id for n in found], found)
        return [
            _encoder.encode(
                NotificationView(
                    id=str(n.id),
                    type=n.type.value,
                    actor=users[n.actor_id],
                    tweet=_raw(tweets, n.tweet_id),
                    created_at=rfc3339(n.created_at),
                    read=n.read,
                )
            )
            for n in found
        ]

    async def _groups_page(self, reader: User, before: int, limit: int) -> Page[bytes]:
        hidden = await self._hidden_actors(reader)
        async with self._uow(read_only=True) as uow:
            found = await uow.notifications.groups(
                reader.id, before, limit + 1, GROUPED_ACTORS, hidden
            )
        page = found[:limit]
        actor_ids = [actor for group in page for actor in group.actor_ids]
        users, tweets = await self._load(reader, actor_ids, page)
        items = [
            _encoder.encode(
                NotificationGroupView(
                    group_key=group.key,
                    type=group.type.value,
                    count=group.count,
                    actors=[users[a] for a in group.actor_ids if a in users],
                    tweet=_raw(tweets, group.tweet_id),
                    latest_at=rfc3339(group.latest_at),
                    latest_id=str(group.latest_id),
                    read=group.read,
                )
            )
            for group in page
        ]
        return Page(
            items=items,
            next_cursor=next_cursor(page[-1].latest_id if page else None, len(found) > limit),
            positions=[(group.latest_id, None) for group in page],
        )

    async def _hidden_actors(self, reader: User) -> list[int]:
        """Whose notifications the reader does not see: accounts blocked either way, muted."""
        return sorted((await self._hidden.of(reader.id)).everyone)

    async def _load(
        self,
        reader: User,
        actor_ids: Sequence[int],
        found: Sequence[Notification | NotificationGroup],
    ) -> tuple[dict[int, UserView], dict[int, bytes]]:
        async with self._uow(read_only=True) as uow:
            actors = await uow.users.many(sorted(set(actor_ids)))
        tweet_ids = sorted({n.tweet_id for n in found if n.tweet_id is not None})
        rendered = await self._hydrator.rendered(tweet_ids) if tweet_ids else {}
        tweets = await self._engagement.present(reader.id, rendered) if rendered else {}
        return {user_id: user_view(user) for user_id, user in actors.items()}, tweets

    @staticmethod
    async def _new_posts(uow: UnitOfWork, batch: Sequence[Event]) -> _NewPosts:
        """The batch's new posts with what they mention and reply to, in three queries
        whatever their number (a busy service posts a thousand a second)."""
        ids = [int(e.payload["tweet_id"]) for e in batch if e.type == events.TWEET_CREATED]
        if not ids:
            return _NewPosts({}, {})
        tweets = await uow.tweets.many(ids)
        parents = [t.in_reply_to for t in tweets.values() if t.in_reply_to is not None]
        tweets |= await uow.tweets.many([p for p in parents if p not in tweets])
        return _NewPosts(tweets, await uow.mentions.of_tweets(ids))

    async def _apply(self, uow: UnitOfWork, event: Event, posts: _NewPosts) -> list[Pending]:
        """Carry out one event; returns the notifications it gives."""
        payload = event.payload
        pending: list[Pending] = []
        if event.type == events.FOLLOW_CREATED:
            follower, followee = int(payload["follower_id"]), int(payload["followee_id"])
            if await uow.follows.exists(follower, followee):
                pending = [(followee, NotificationType.FOLLOW, follower, None)]
        elif event.type == events.TWEET_CREATED:
            tweet = posts.tweets.get(int(payload["tweet_id"]))
            pending = [] if tweet is None else self._about_tweet(tweet, posts)
        elif event.type == events.LIKE_CREATED:
            pending = await self._about_like(uow, int(payload["user_id"]), int(payload["tweet_id"]))
        elif event.type == events.LIKE_DELETED:
            actor, tweet_id = int(payload["user_id"]), int(payload["tweet_id"])
            await self._withdraw(uow, NotificationType.LIKE, actor, tweet_id)
        elif event.type == events.TWEET_DELETED:
            await self._on_tweet_deleted(uow, int(payload["tweet_id"]), int(payload["author_id"]))
        return pending

    @staticmethod
    def _about_tweet(tweet: Tweet, posts: _NewPosts) -> list[Pending]:
        """A repost notifies the original's author; a reply the replied-to author; a mention
        each user mentioned (but not twice the one who got the reply)."""
        actor = tweet.author.id
        if tweet.repost_of is not None:
            original = tweet.repost_of
            return [(original.author.id, NotificationType.REPOST, actor, original.id)]
        pending: list[Pending] = []
        if tweet.in_reply_to is not None:
            parent = posts.tweets.get(tweet.in_reply_to)
            if parent is not None:
                pending.append((parent.author.id, NotificationType.REPLY, actor, tweet.id))
        replied = {recipient for recipient, *_ in pending}
        for user_id in posts.mentions.get(tweet.id, []):
            if user_id not in replied:
                pending.append((user_id, NotificationType.MENTION, actor, tweet.id))
        return pending

    @staticmethod
    async def _about_like(uow: UnitOfWork, user_id: int, tweet_id: int) -> list[Pending]:
        if not await uow.likes.exists(user_id, tweet_id):  # undone since
            return []
        tweet = await uow.tweets.get(tweet_id)
        return (
            [] if tweet is None else [(tweet.author.id, NotificationType.LIKE, user_id, tweet_id)]
        )

    async def _on_tweet_deleted(self, uow: UnitOfWork, tweet_id: int, author_id: int) -> None:
        """An undone repost withdraws its unread notification."""
        entry = (await uow.tweets.entries_by_id([tweet_id])).get(tweet_id)
        if entry is not None and entry.is_repost:
            await self._withdraw(uow, NotificationType.REPOST, author_id, entry.origin_id)

    @staticmethod
    async def _withdraw(
        uow: UnitOfWork, kind: NotificationType, actor_id: int, tweet_id: int
    ) -> None:
        tweet = await uow.tweets.get(tweet_id)
        if tweet is not None:
            await uow.notifications.remove_unread(tweet.author.id, kind, actor_id, tweet_id)

    async def _add(self, uow: UnitOfWork, event: Event, pending: list[Pending]) -> set[int]:
        added = set()
        at = self._clock.now()
        for recipient, kind, actor, tweet_id in pending:
            if recipient == actor:  # never of one's own action
                continue
            notification = Notification(self._ids.next_id(), recipient, kind, actor, tweet_id, at)
            if await uow.notifications.add(notification, event.id):
                added.add(recipient)
        return added


def _between(blocked: set[tuple[int, int]], one: int, other: int) -> bool:
    return (one, other) in blocked or (other, one) in blocked


def _raw(tweets: dict[int, bytes], tweet_id: int | None) -> msgspec.Raw | None:
    body = None if tweet_id is None else tweets.get(tweet_id)
    return None if body is None else msgspec.Raw(body)

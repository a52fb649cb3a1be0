"""The notifications table: written by the notifications consumer, read by their recipient."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.dialect import insert_ignoring_duplicates
from roost.adapters.sql.tables import notifications
from roost.domain.notifications import (
    Notification,
    NotificationGroup,
    NotificationType,
)

_COLUMNS = (
    notifications.c.id,
    notifications.c.recipient_id,
    notifications.c.type,
    notifications.c.actor_id,
    notifications.c.tweet_id,
    notifications.c.created_at,
    notifications.c.read,
)


# 1 for a read notification, 0 for an unread one: a group is read when its minimum is 1.
_READ_AS_NUMBER = case((notifications.c.read.is_(True), 1), else_=0)


def _notification(row: Sequence[Any]) -> Notification:
    notification_id, recipient_id, kind, actor_id, tweet_id, created_at, read = row
    return Notification(
        notification_id,
        recipient_id,
        NotificationType(kind),
        actor_id,
        tweet_id,
        created_at,
        bool(read),
    )


def _mine(recipient_id: int, hidden_actors: Sequence[int]) -> ColumnElement[bool]:
    """The recipient's notifications, less those of hidden actors."""
    mine = notifications.c.recipient_id == recipient_id
    if not hidden_actors:
        return mine
    return mine & notifications.c.actor_id.not_in(sorted(hidden_actors))


class SqlNotifications:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, notification: Notification, event_id: int) -> bool:
        statement = insert_ignoring_duplicates(self._conn.dialect.name, notifications).values(
            id=notification.id,
            recipient_id=notification.recipient_id,
            type=notification.type.value,
            actor_id=notification.actor_id,
            tweet_id=notification.tweet_id,
            event_id=event_id,
            group_key=notification.group_key,
            created_at=notification.created_at,
            read=notification.read,
        )
        return (await self._conn.execute(statement)).rowcount == 1

    async def remove_unread(
        self, recipient_id: int, kind: NotificationType, actor_id: int, tweet_id: int
    ) -> int:
        result = await self._conn.execute(
            notifications.delete().where(
                notifications.c.recipient_id == recipient_id,
                notifications.c.type == kind.value,
                notifications.c.actor_id == actor_id,
                notifications.c.tweet_id == tweet_id,
                notifications.c.read.is_(False),
            )
        )
        return int(result.rowcount)

    async def page(
        self, recipient_id: int, before_id: int, limit: int, hidden_actors: Sequence[int] = ()
    ) -> list[Notification]:
        query = (
            select(*_COLUMNS)
            .where(_mine(recipient_id, hidden_actors), notifications.c.id < before_id)
            .order_by(notifications.c.id.desc())
            .limit(limit)
        )
        return [_notification(row) for row in await self._conn.execute(query)]

    async def since(
        self, recipient_id: int, after_id: int, limit: int, hidden_actors: Sequence[int] = ()
    ) -> list[Notification]:
        query = (
            select(*_COLUMNS)
            .where(_mine(recipient_id, hidden_actors), notifications.c.id > after_id)
            .order_by(notifications.c.id)
            .limit(limit)
        )
        return [_notification(row) for row in await self._conn.execute(query)]

    async def groups(
        self,
        recipient_id: int,
        before_id: int,
        limit: int,
        actors: int,
        hidden_actors: Sequence[int] = (),
    ) -> list[NotificationGroup]:
        mine = _mine(recipient_id, hidden_actors)
        heads = (
            select(
                notifications.c.group_key,
                func.max(notifications.c.id).label("latest_id"),
                func.count().label("total"),
                func.min(_READ_AS_NUMBER).label("all_read"),
            )
            .where(mine)
            .group_by(notifications.c.group_key)
            .having(func.max(notifications.c.id) < before_id)
            .order_by(func.max(notifications.c.id).desc())
            .limit(limit)
        )
        found = list(await self._conn.execute(heads))
        if not found:
            return []
        keys = [row.group_key for row in found]
        rank = (
            func.row_number()
            .over(partition_by=notifications.c.group_key, order_by=notifications.c.id.desc())
            .label("rank")
        )
        ranked = (
            select(*_COLUMNS, notifications.c.group_key, rank)
            .where(mine, notifications.c.group_key.in_(keys))
            .subquery()
        )
        members: dict[str, list[Any]] = {}
        for row in await self._conn.execute(
            select(ranked).where(ranked.c.rank <= actors).order_by(ranked.c.id.desc())
        ):
            members.setdefault(row.group_key, []).append(row)
        groups = []
        for head in found:
            newest = members[head.group_key]
            latest = _notification(newest[0][: len(_COLUMNS)])
            groups.append(
                NotificationGroup(
                    key=head.group_key,
                    type=latest.type,
                    count=int(head.total),
                    actor_ids=[row.actor_id for row in newest],
                    tweet_id=latest.tweet_id,
                    latest_id=latest.id,
                    latest_at=latest.created_at,
                    read=bool(head.all_read),
                )
            )
        return groups

    async def unread_count(self, recipient_id: int, hidden_actors: Sequence[int] = ()) -> int:
        query = select(func.count()).where(
            _mine(recipient_id, hidden_actors), notifications.c.read.is_(False)
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def mark_read(self, recipient_id: int, up_to_id: int) -> int:
        result = await self._conn.execute(
            update(notifications)
            .where(
                notifications.c.recipient_id == recipient_id,
                notifications.c.id <= up_to_id,
                notifications.c.read.is_(False),
            )
            .values(read=True)
        )
        return int(result.rowcount)

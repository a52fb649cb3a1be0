"""The follow graph: follow, unfollow, and the lists of followers and following."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from roost.domain import events
from roost.domain.cursors import decode_cursor
from roost.domain.errors import Blocked, CannotFollowSelf, NotFound
from roost.domain.ids import IdGenerator
from roost.domain.users import User, could_be_handle
from roost.ports import Clock, UnitOfWork, UnitOfWorkFactory
from roost.services.live import LiveUpdates
from roost.services.pages import Page, check_limit, next_cursor


class Follows:
    def __init__(
        self, uow: UnitOfWorkFactory, ids: IdGenerator, clock: Clock, live: LiveUpdates
    ) -> None:
        self._uow = uow
        self._ids = ids
        self._clock = clock
        self._live = live

    async def follow(self, follower: User, handle: str) -> None:
        """Follow; following again changes nothing. The backfill comes from the event.
        Refused (Blocked) when either of the two blocked the other."""
        async with self._uow() as uow:
            followee = await user_by_handle(uow, handle)
            if followee.id == follower.id:
                raise CannotFollowSelf("You cannot follow yourself.")
            if await uow.blocks.among([follower.id, followee.id]):
                raise Blocked(f"You and {followee.handle} cannot follow each other.")
            added = await uow.follows.add(
                self._ids.next_id(), follower.id, followee.id, self._clock.now()
            )
            if added:
                await uow.users.add_to_follow_counts(follower.id, followee.id, 1)
                uow.outbox.add(events.follow_created(follower.id, followee.id))
                await uow.commit()
        if added:
            await self._live.follows_changed(follower.id)

    async def unfollow(self, follower: User, handle: str) -> None:
        """Stop following; a no-op when not following."""
        async with self._uow() as uow:
            followee = await user_by_handle(uow, handle)
            removed = await remove_follow(uow, follower.id, followee.id)
            if removed:
                await uow.commit()
        if removed:
            await self._live.follows_changed(follower.id)

    async def followers(self, handle: str, cursor: str | None, limit: int) -> Page[User]:
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            user = await user_by_handle(uow, handle)
            found = await uow.follows.followers_page(user.id, decode_cursor(cursor), limit + 1)
            return await users_page(uow.users.many, found, limit)

    async def following(self, handle: str, cursor: str | None, limit: int) -> Page[User]:
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            user = await user_by_handle(uow, handle)
            found = await uow.follows.following_page(user.id, decode_cursor(cursor), limit + 1)
            return await users_page(uow.users.many, found, limit)


async def user_by_handle(uow: UnitOfWork, handle: str) -> User:
    user = await uow.users.by_handle(handle) if could_be_handle(handle) else None
    if user is None:
        raise NotFound(f"No user has the handle {handle!r}.")
    return user


async def remove_follow(uow: UnitOfWork, follower_id: int, followee_id: int) -> bool:
    """Unfollow inside the caller's unit of work, with the counts and the event."""
    removed = await uow.follows.remove(follower_id, followee_id)
    if removed:
        await uow.users.add_to_follow_counts(follower_id, followee_id, -1)
        uow.outbox.add(events.follow_deleted(follower_id, followee_id))
    return removed


async def users_page(
    load: Callable[[Sequence[int]], Awaitable[dict[int, User]]],
    found: list[tuple[int, int]],
    limit: int,
) -> Page[User]:
    """A page of users from (position id, user id) rows, one more than ``limit`` asked for."""
    page = [(position, user_id) for position, user_id in found[:limit]]
    users = await load([user_id for _, user_id in page])
    shown = [(position, user_id) for position, user_id in page if user_id in users]
    return Page(
        items=[users[user_id] for _, user_id in shown],
        next_cursor=next_cursor(page[-1][0] if page else None, len(found) > limit),
        positions=[(position, None) for position, _ in shown],
    )

"""Blocks and mutes: hiding an account, and the lists of whom one hides.

A block removes the follows between the two (both ways, with their counts and events) and
hides each from the other; a mute hides the muted account from the muter's home feed and
notifications. Both are read back at once: the readers' hidden sets are forgotten in every
process (services/hiding.py) and the reads filter by them; fanout then cleans the feeds up.
"""

from __future__ import annotations

from roost.domain import events
from roost.domain.cursors import decode_cursor
from roost.domain.errors import CannotBlockSelf, CannotMuteSelf
from roost.domain.ids import IdGenerator
from roost.domain.users import User
from roost.ports import Clock, UnitOfWorkFactory
from roost.services.follows import remove_follow, user_by_handle, users_page
from roost.services.hiding import HiddenAccounts
from roost.services.live import LiveUpdates
from roost.services.pages import Page, check_limit


class Blocks:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        hidden: HiddenAccounts,
        ids: IdGenerator,
        clock: Clock,
        live: LiveUpdates,
    ) -> None:
        self._uow = uow
        self._hidden = hidden
        self._ids = ids
        self._clock = clock
        self._live = live

    async def block(self, user: User, handle: str) -> None:
        """Block; blocking again changes nothing."""
        unfollowed: list[int] = []
        async with self._uow() as uow:
            target = await user_by_handle(uow, handle)
            if target.id == user.id:
                raise CannotBlockSelf("You cannot block yourself.")
            added = await uow.blocks.add(self._ids.next_id(), user.id, target.id, self._clock.now())
            if added:
                for follower, followee in ((user.id, target.id), (target.id, user.id)):
                    if await remove_follow(uow, follower, followee):
                        unfollowed.append(follower)
                uow.outbox.add(events.block_created(user.id, target.id))
                await uow.commit()
        if added:
            await self._hidden.changed([user.id, target.id])
            for follower in unfollowed:
                await self._live.follows_changed(follower)

    async def unblock(self, user: User, handle: str) -> None:
        """Unblock (follows are not restored); a no-op when not blocked."""
        async with self._uow() as uow:
            target = await user_by_handle(uow, handle)
            removed = await uow.blocks.remove(user.id, target.id)
            if removed:
                uow.outbox.add(events.block_deleted(user.id, target.id))
                await uow.commit()
        if removed:
            await self._hidden.changed([user.id, target.id])

    async def mute(self, user: User, handle: str) -> None:
        """Mute; muting again changes nothing."""
        async with self._uow() as uow:
            target = await user_by_handle(uow, handle)
            if target.id == user.id:
                raise CannotMuteSelf("You cannot mute yourself.")
            added = await uow.mutes.add(self._ids.next_id(), user.id, target.id, self._clock.now())
            if added:
                uow.outbox.add(events.mute_created(user.id, target.id))
                await uow.commit()
        if added:
            await self._hidden.changed([user.id])

    async def unmute(self, user: User, handle: str) -> None:
        """Unmute; a no-op when not muted."""
        async with self._uow() as uow:
            target = await user_by_handle(uow, handle)
            removed = await uow.mutes.remove(user.id, target.id)
            if removed:
                uow.outbox.add(events.mute_deleted(user.id, target.id))
                await uow.commit()
        if removed:
            await self._hidden.changed([user.id])

    async def blocked(self, user: User, cursor: str | None, limit: int) -> Page[User]:
        """Whom the user blocked, newest block first."""
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            found = await uow.blocks.page(user.id, decode_cursor(cursor), limit + 1)
            return await users_page(uow.users.many, found, limit)

    async def muted(self, user: User, cursor: str | None, limit: int) -> Page[User]:
        """Whom the user muted, newest mute first."""
        check_limit(limit)
        async with self._uow(read_only=True) as uow:
            found = await uow.mutes.page(user.id, decode_cursor(cursor), limit + 1)
            return await users_page(uow.users.many, found, limit)

"""The accounts hidden from each reader (blocks both ways, their mutes), remembered per process.

Every feed page needs them, so the hot path keeps them out of SQL: a reader's set is read once
and kept until a block or mute involving them changes it, which is announced to every process
(Signals). A reader who hides nobody costs one dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Sequence

from roost.domain.hiding import NOTHING_HIDDEN, Hidden
from roost.ports import Signals, UnitOfWorkFactory

HIDING_TOPIC = "hiding"
_MAX_ENTRIES = 100_000


class HiddenAccounts:
    def __init__(self, uow: UnitOfWorkFactory, signals: Signals) -> None:
        self._uow = uow
        self._signals = signals
        self._entries: dict[int, Hidden] = {}
        # Bumped by every change: a set read while one happened may be stale, so is not kept.
        self._changes = 0
        signals.subscribe(HIDING_TOPIC, self._forget)

    async def of(self, reader_id: int) -> Hidden:
        hidden = self._entries.get(reader_id)
        if hidden is not None:
            return hidden
        changes = self._changes
        hidden = await self._load(reader_id)
        if changes == self._changes:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[reader_id] = hidden
        return hidden

    async def changed(self, user_ids: Sequence[int]) -> None:
        """Blocks or mutes of these users changed: forget their sets here and everywhere."""
        for user_id in user_ids:
            self._forget(str(user_id))
            await self._signals.publish(HIDING_TOPIC, str(user_id))

    async def _load(self, reader_id: int) -> Hidden:
        async with self._uow(read_only=True) as uow:
            blocked = await uow.blocks.targets(reader_id)
            blockers = await uow.blocks.hiders([reader_id])
            muted = await uow.mutes.targets(reader_id)
        if not (blocked or blockers or muted):
            return NOTHING_HIDDEN
        return Hidden(
            blocked=frozenset(blocked) | {user_id for user_id, _ in blockers},
            muted=frozenset(muted),
        )

    def _forget(self, key: str) -> None:
        self._changes += 1
        if key:
            self._entries.pop(int(key), None)
        else:
            self._entries.clear()

"""The consumers' runner, as `roost serve` (embedded) and `roost worker` start it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from roost.adapters.sql.tables import events
from roost.bootstrap import Roost
from roost.domain.users import User
from roost.entrypoints.workers.runner import Consumers as Runner
from tests.integration.support import Consumers


async def outbox_size(roost: Roost) -> int:
    async with roost.engines.reader.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(events))).scalar_one())


async def test_the_outbox_keeps_only_what_a_reader_has_yet_to_handle(
    roost: Roost,
    fanout: Consumers,
    make_user: Callable[[str], Awaitable[User]],
    feed_ids: Callable[[User], Awaitable[list[int]]],
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await roost.follows.follow(bob, "alice")
    for n in range(3):
        await roost.publishing.publish(alice, f"post {n}")
    runner = Runner(roost)
    written = await outbox_size(roost)
    assert written >= 4  # the follow and the posts
    assert await runner.prune_outbox() == 0  # nothing handled yet

    await fanout.drain()
    assert await runner.prune_outbox() == written - 1  # all but the newest
    assert await outbox_size(roost) == 1
    after = await roost.publishing.publish(alice, "after the pruning")
    assert await fanout.drain() >= 1  # read: numbered past the readers' positions
    assert (await feed_ids(bob))[0] == after.id
    assert await runner.prune_outbox() == 1


async def test_the_runner_stops_at_once_with_its_pruning(roost: Roost) -> None:
    runner = Runner(roost)
    runner.start()
    await asyncio.sleep(0.1)  # the pruning loop is asleep until its next round
    await asyncio.wait_for(runner.stop(), timeout=5)

"""A wired roost (services over real storage) on a fresh, migrated database of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec
import pytest

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import Roost, build
from roost.domain.users import User
from roost.entrypoints.workers.consumer import ConsumerLoop
from roost.settings import Settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, feed_max_items=50)


@pytest.fixture
async def roost(settings: Settings) -> AsyncIterator[Roost]:
    await upgrade_async(settings.database_url)
    wired = build(settings)
    try:
        yield wired
    finally:
        await wired.close()


@pytest.fixture
def fanout(roost: Roost) -> ConsumerLoop:
    """The fanout consumer, driven by hand: ``await fanout.drain()`` handles what is waiting."""
    return ConsumerLoop(
        "fanout", roost.events, roost.fanout.handle, roost.doorbells.new(), poll_seconds=0.1
    )


@pytest.fixture
def make_user(roost: Roost) -> Callable[[str], Awaitable[User]]:
    async def make(handle: str) -> User:
        return await roost.accounts.register(handle, "correct horse", None)

    return make


@pytest.fixture
def feed_ids(roost: Roost) -> Callable[[User], Awaitable[list[int]]]:
    """The ids in a user's home feed, newest first, read through the feed service."""

    async def read(reader: User) -> list[int]:
        page = await roost.home_feed.page(reader, None, 100)
        return [int(msgspec.json.decode(item)["id"]) for item in page.items]

    return read

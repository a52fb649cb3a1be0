"""A wired roost (services over real storage) on a fresh, migrated database of its own.

Every behavioural test here runs three times: embedded on SQLite, embedded on PostgreSQL, and
scaled (PostgreSQL + Redis, with the outbox relayed through a Redis Stream).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import msgspec
import pytest

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import Roost, build
from roost.domain.users import User
from roost.settings import Settings
from tests.conftest import REDIS_URL
from tests.integration.support import Consumers

MODES = ["sqlite", "postgresql", "scaled"]


@pytest.fixture(params=MODES)
def settings(request: pytest.FixtureRequest) -> Settings:
    database = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    options: dict[str, object] = {
        "database_url": request.getfixturevalue(database),
        "feed_max_items": 50,
        "consumer_poll_seconds": 0.05,
    }
    if request.param == "scaled":
        options |= {"redis_url": REDIS_URL, "redis_prefix": request.getfixturevalue("redis_prefix")}
    return Settings(**options)  # type: ignore[arg-type]


@pytest.fixture
async def roost(settings: Settings) -> AsyncIterator[Roost]:
    await upgrade_async(settings.database_url)
    wired = build(settings)
    wired.start()
    try:
        yield wired
    finally:
        await wired.close()


@pytest.fixture
def fanout(roost: Roost) -> Consumers:
    return Consumers(roost)


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


@pytest.fixture
async def scaled(postgres_url: str, redis_prefix: str) -> AsyncIterator[Roost]:
    """Scaled mode alone (PostgreSQL + Redis), for what only it promises."""
    await upgrade_async(postgres_url)
    wired = build(
        Settings(database_url=postgres_url, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    )
    wired.start()
    yield wired
    await wired.close()

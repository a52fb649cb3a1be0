"""With Redis unreachable, scaled mode keeps answering from SQL: slower, still correct."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import Roost, build
from roost.settings import Settings

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
async def roost_without_redis(postgres_url: str) -> AsyncIterator[Roost]:
    await upgrade_async(postgres_url)
    wired = build(Settings(database_url=postgres_url, redis_url=DEAD_REDIS))
    wired.start()
    yield wired
    await wired.close()


async def test_posts_and_feeds_work_from_sql(roost_without_redis: Roost) -> None:
    roost = roost_without_redis
    alice = await roost.accounts.register("alice", "correct horse", None)
    bob = await roost.accounts.register("bob", "correct horse", None)
    token, _ = await roost.accounts.log_in("alice", "correct horse")
    assert (await roost.accounts.authenticate(token)).id == alice.id
    await roost.follows.follow(alice, "bob")
    kept = await roost.publishing.publish(bob, "still here")
    gone = await roost.publishing.publish(bob, "deleted while Redis is down")
    await roost.publishing.delete(bob, gone.id)

    page = await roost.home_feed.page(alice, None, 10)
    assert [msgspec.json.decode(item)["id"] for item in page.items] == [str(kept.id)]
    assert await roost.health() == {"database": "ok", "redis": "down"}

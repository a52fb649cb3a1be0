"""The steady-state feed read in scaled mode: one Redis round trip, no SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import Roost, build
from roost.settings import Settings
from tests.conftest import REDIS_URL
from tests.integration.support import Consumers


@pytest.fixture
async def scaled(postgres_url: str, redis_prefix: str) -> AsyncIterator[Roost]:
    await upgrade_async(postgres_url)
    wired = build(
        Settings(
            database_url=postgres_url,
            redis_url=REDIS_URL,
            redis_prefix=redis_prefix,
            consumer_poll_seconds=0.05,
        )
    )
    wired.start()
    yield wired
    await wired.close()


async def test_a_warm_feed_page_is_one_redis_call_and_no_sql(scaled: Roost) -> None:
    roost = scaled
    alice = await roost.accounts.register("alice", "correct horse", None)
    bob = await roost.accounts.register("bob", "correct horse", None)
    token, _ = await roost.accounts.log_in("alice", "correct horse")
    await roost.follows.follow(alice, "bob")
    for n in range(30):
        await roost.publishing.publish(bob, f"post {n}")
    await Consumers(roost).drain()
    caller = await roost.accounts.authenticate(token)
    await roost.home_feed.page(caller, None, 20)  # warms the tweet cache

    sql: list[str] = []
    redis_commands: list[str] = []

    def count_sql(*args: Any) -> None:
        sql.append(str(args[2]))

    for engine in {roost.engines.reader, roost.engines.writer}:
        event.listen(engine.sync_engine, "before_cursor_execute", count_sql)
    assert roost.redis is not None
    real_execute = roost.redis.execute_command

    async def count_redis(*args: Any, **options: Any) -> Any:
        redis_commands.append(str(args[0]))
        return await real_execute(*args, **options)

    roost.redis.execute_command = count_redis  # type: ignore[method-assign]

    caller = await roost.accounts.authenticate(token)
    page = await roost.home_feed.page(caller, None, 20)

    assert len(page.items) == 20
    assert sql == []
    assert redis_commands == ["EVALSHA"]

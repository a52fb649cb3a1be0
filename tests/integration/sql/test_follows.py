"""The follow graph as fanout reads it, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from roost.adapters.sql.engine import create_engines
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import followers, users
from roost.adapters.sql.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
GRAPH = {1: [12, 10, 11], 2: [10], 3: [], 5: [13, 10]}  # followee -> followers; 4 has none


async def test_followers_of_many_authors_in_one_read(database_url: str) -> None:
    await upgrade_async(database_url)
    engines = create_engines(database_url)
    uow = SqlUnitOfWorkFactory(engines, on_events=lambda: None)
    try:
        async with engines.writer.begin() as conn:
            await conn.execute(
                users.insert(),
                [
                    {
                        "id": user_id,
                        "handle": f"u{user_id}",
                        "handle_key": f"u{user_id}",
                        "display_name": "u",
                        "password_hash": "x",
                        "created_at": NOW,
                        "last_seen_at": NOW - timedelta(days=user_id),
                    }
                    for user_id in [1, 2, 3, 4, 5, 10, 11, 12, 13]
                ],
            )
            await conn.execute(
                followers.insert(),
                [
                    {"id": 100 * a + b, "follower_id": b, "followee_id": a, "created_at": NOW}
                    for a, their in GRAPH.items()
                    for b in their
                ],
            )
        seen = {user_id: NOW - timedelta(days=user_id) for user_id in [10, 11, 12, 13]}
        everyone = [
            (followee, follower, seen[follower])
            for followee in sorted(GRAPH)
            for follower in sorted(GRAPH[followee])
        ]
        async with uow(read_only=True) as unit:
            found = await unit.follows.followers_of_many([5, 4, 3, 2, 1], limit=100)
            assert found == everyone  # by followee, then follower
            assert await unit.follows.followers_of_many([5, 1, 2], limit=4) == everyone[:4]
            assert await unit.follows.followers_of_many([4, 3], limit=10) == []
            assert await unit.follows.followers_of_many([], limit=10) == []
    finally:
        await engines.dispose()

"""Each counted event is added once, and only the newest events' claims are kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from roost.adapters.sql import analytics as sql_analytics
from roost.adapters.sql.analytics import SqlAnalytics
from roost.adapters.sql.engine import create_engines
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import analytics_events
from roost.domain.analytics import SERVICE, Count, EventCounts, Metric, Period

AT = datetime(2026, 11, 26, 12, tzinfo=UTC)


def post_counted() -> EventCounts:
    return EventCounts(counts=[Count(Metric.POSTS, SERVICE, AT)])


async def test_claims_of_events_past_redelivery_are_deleted(database_url: str) -> None:
    await upgrade_async(database_url)
    engines = create_engines(database_url)
    store = SqlAnalytics(engines, claims_kept=3)
    try:
        assert await store.count_events({n: post_counted() for n in range(1, 6)}) == 5
        assert await store.count_events({4: post_counted(), 5: post_counted()}) == 0  # again
        assert await store.count_events({10: post_counted()}) == 1
        async with engines.reader.connect() as conn:
            kept = set((await conn.execute(select(analytics_events.c.event_id))).scalars())
        assert kept == {10}  # 7 and older could not be delivered again
        posts = await store.series(Metric.POSTS, SERVICE, Period.HOUR, AT, AT.replace(hour=13))
        assert posts == {AT: 6}
    finally:
        await engines.dispose()


async def test_old_claims_are_deleted_a_bounded_number_at_a_time(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table that grew before claims were forgotten shrinks over many batches."""
    monkeypatch.setattr(sql_analytics, "_CLAIMS_FORGOTTEN", 1)
    await upgrade_async(database_url)
    engines = create_engines(database_url)
    store = SqlAnalytics(engines, claims_kept=2)
    try:
        await store.count_events({n: post_counted() for n in range(1, 6)})
        await store.count_events({6: post_counted()})
        async with engines.reader.connect() as conn:
            kept = set((await conn.execute(select(analytics_events.c.event_id))).scalars())
        assert kept == {3, 4, 5, 6}  # 1 and 2 forgotten, one a batch
    finally:
        await engines.dispose()

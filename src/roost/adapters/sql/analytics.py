"""Analytics counters in SQL: rollups by hour and day, per-tweet totals, daily actives, admins.

Every write adds to what is stored (INSERT ... ON CONFLICT DO UPDATE SET value = value + new),
so processes flushing at once never lose each other's counts. Rows of one transaction are
summed by key and written in key order, so two writers lock them in the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    String,
    Table,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.adapters.sql.dialect import insert_ignoring_duplicates
from roost.adapters.sql.engine import Engines
from roost.adapters.sql.tables import (
    active_users,
    admins,
    analytics_events,
    analytics_rollups,
    tweet_stats,
    tweets,
    usage_batches,
)
from roost.domain.analytics import (
    SERVICE,
    Count,
    EventCounts,
    Metric,
    Period,
    TweetCounter,
    TweetStats,
    UsageBatch,
    bucket,
)
from roost.domain.ids import smallest_id_at

RollupKey = tuple[str, int, str, datetime]
# Tweets a statement of a flush reads or writes: each chunk's rows are handled between two awaits,
# so an API process flushing thousands goes on answering requests meanwhile.
_LOOKUP_CHUNK = 500
_KNOWN_AUTHORS = 100_000
# A batch added by a worker that died before acknowledging it is delivered again once it has been
# idle for ROOST_STREAM_CLAIM_IDLE_SECONDS: its claim is kept far longer than that.
_CLAIMS_KEPT = timedelta(days=1)
DEFAULT_CLAIMS_KEPT = 2_000_000  # twice the stream's default length: ids are not relayed in order
_CLAIMS_FORGOTTEN = 10_000
_IDS = postgresql.ARRAY(BigInteger())
_TEXTS = postgresql.ARRAY(String())
_TIMES = postgresql.ARRAY(DateTime(timezone=True))
_Arrays = dict[str, tuple[postgresql.ARRAY[Any], list[Any]]]  # column: (array type, values)
T = TypeVar("T")


class SqlAnalytics:
    """``claims_kept``: how many of the newest event ids keep their claim (``analytics_events``).
    An event can be delivered again only from where the outbox's readers are (embedded: at
    most a batch) or from the Redis stream, which keeps about ``ROOST_STREAM_MAX_LEN`` events;
    older claims guard nothing and are deleted as new ones are made. Roost keeps twice the
    stream's length, and at least DEFAULT_CLAIMS_KEPT (ids skipped by rolled-back
    transactions widen the ids a stream's events span)."""

    def __init__(self, engines: Engines, claims_kept: int = DEFAULT_CLAIMS_KEPT) -> None:
        self._engines = engines
        self._claims_kept = claims_kept
        self._known_authors: dict[int, int] = {}

    async def count_events(self, counted: Mapping[int, EventCounts]) -> int:
        if not counted:
            return 0
        async with self._engines.writer.begin() as conn:
            claim = insert_ignoring_duplicates(conn.dialect.name, analytics_events)
            claimed = await conn.execute(
                claim.values([{"event_id": event_id} for event_id in sorted(counted)]).returning(
                    analytics_events.c.event_id
                )
            )
            new = [counted[event_id] for event_id in claimed.scalars()]
            await self._forget_claims(conn, max(counted) - self._claims_kept)
            await self._add_rollups(conn, _rollup_rows(c for found in new for c in found.counts))
            deltas: dict[TweetCounter, Counter[int]] = {
                counter: Counter() for counter in TweetCounter
            }
            for found in new:
                for tweet_id, counter, delta in found.tweets:
                    deltas[counter][tweet_id] += delta
            for counter, by_tweet in deltas.items():
                changed = Counter({tweet_id: d for tweet_id, d in by_tweet.items() if d})
                await self._add_tweet_counts(conn, counter, changed)
        return len(new)

    @staticmethod
    async def _forget_claims(conn: AsyncConnection, forgotten: int) -> None:
        """Claims at or below ``forgotten``, at most _CLAIMS_FORGOTTEN a batch: a table that
        grew before claims were forgotten shrinks over many batches, none held up long."""
        oldest = (
            select(analytics_events.c.event_id)
            .where(analytics_events.c.event_id <= forgotten)
            .order_by(analytics_events.c.event_id)
            .limit(_CLAIMS_FORGOTTEN)
        )
        await conn.execute(analytics_events.delete().where(analytics_events.c.event_id.in_(oldest)))

    async def add_usage(self, batches: Sequence[UsageBatch], now: datetime) -> int:
        """Once a second from each API process, for every tweet shown meanwhile (thousands):
        on PostgreSQL the tweets go as arrays, one parameter each, not one parameter a tweet,
        whose binding cost 40 ms of CPU a flush (py-spy, `roost bench http`)."""
        if not batches:
            return 0
        async with self._engines.writer.begin() as conn:
            new = await self._claim(conn, batches, now)
            impressions: Counter[int] = Counter()
            for batch in new:
                impressions.update(batch.impressions)
            authors = await self._authors_of(conn, list(impressions))
            counts = []
            for batch in new:
                per_author: Counter[int] = Counter()
                for tweet_id, times in batch.impressions.items():
                    if tweet_id in authors:
                        per_author[authors[tweet_id]] += times
                counts += [
                    Count(Metric.IMPRESSIONS, SERVICE, batch.at, sum(batch.impressions.values())),
                    Count(Metric.FEED_READS, SERVICE, batch.at, batch.feed_reads),
                    Count(Metric.REQUESTS, SERVICE, batch.at, batch.requests),
                    *(Count(Metric.IMPRESSIONS, a, batch.at, n) for a, n in per_author.items()),
                ]
            await self._add_rollups(conn, _rollup_rows(c for c in counts if c.delta))
            await self._add_tweet_counts(conn, TweetCounter.IMPRESSIONS, impressions)
            active: dict[datetime, int] = {}
            for batch in new:
                day = bucket(batch.at, Period.DAY)
                active[day] = max(active.get(day, 0), batch.active_users)
            for day, count in sorted(active.items()):
                if count:
                    await self._raise_active_users(conn, day, count)
        return len(new)

    @staticmethod
    async def _claim(
        conn: AsyncConnection, batches: Sequence[UsageBatch], now: datetime
    ) -> list[UsageBatch]:
        """The batches not added before, now marked added; claims older than any redelivery
        are dropped meanwhile (by this process's time: a batch's own comes from its sender)."""
        by_id = {batch.id: batch for batch in batches}  # a delivery may repeat one too
        claim = insert_ignoring_duplicates(conn.dialect.name, usage_batches)
        claimed = await conn.execute(
            claim.values([{"batch_id": batch_id} for batch_id in sorted(by_id)]).returning(
                usage_batches.c.batch_id
            )
        )
        new = [by_id[batch_id] for batch_id in claimed.scalars()]
        forgotten = smallest_id_at(now - _CLAIMS_KEPT)
        await conn.execute(usage_batches.delete().where(usage_batches.c.batch_id < forgotten))
        return new

    @staticmethod
    async def _raise_active_users(conn: AsyncConnection, day: datetime, count: int) -> None:
        """The day's active users, never lowered: every process reports the count it saw."""
        statement = _upsert(conn, analytics_rollups)
        larger = (func.greatest if conn.dialect.name == "postgresql" else func.max)(
            analytics_rollups.c.value, statement.excluded.value
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=list(analytics_rollups.primary_key), set_={"value": larger}
            ).values(
                metric=Metric.ACTIVE_USERS.value,
                subject_id=SERVICE,
                period=Period.DAY.value,
                bucket=day,
                value=count,
            )
        )

    async def tweet_stats(self, tweet_id: int) -> TweetStats:
        query = select(
            tweet_stats.c.impressions,
            tweet_stats.c.likes,
            tweet_stats.c.replies,
            tweet_stats.c.reposts,
        ).where(tweet_stats.c.tweet_id == tweet_id)
        async with self._engines.reader.connect() as conn:
            row = (await conn.execute(query)).first()
        return TweetStats(*row) if row else TweetStats()

    async def series(
        self, metric: Metric, subject_id: int, period: Period, start: datetime, end: datetime
    ) -> dict[datetime, int]:
        r = analytics_rollups.c
        query = select(r.bucket, r.value).where(
            r.metric == metric.value,
            r.subject_id == subject_id,
            r.period == period.value,
            r.bucket >= start,
            r.bucket < end,
        )
        async with self._engines.reader.connect() as conn:
            return {row.bucket: row.value for row in await conn.execute(query)}

    async def is_admin(self, user_id: int) -> bool:
        query = select(admins.c.user_id).where(admins.c.user_id == user_id)
        async with self._engines.reader.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def set_admin(self, user_id: int, admin: bool, at: datetime) -> None:
        async with self._engines.writer.begin() as conn:
            if admin:
                await conn.execute(
                    insert_ignoring_duplicates(conn.dialect.name, admins).values(
                        user_id=user_id, granted_at=at
                    )
                )
            else:
                await conn.execute(admins.delete().where(admins.c.user_id == user_id))

    async def _authors_of(self, conn: AsyncConnection, tweet_ids: list[int]) -> dict[int, int]:
        """A post's author never changes, and a flush shows mostly the posts of the one before:
        they are remembered, and only the others looked up (bounded, cleared when full)."""
        known = self._known_authors
        missing = [tweet_id for tweet_id in tweet_ids if tweet_id not in known]
        if len(known) + len(missing) > _KNOWN_AUTHORS:
            known.clear()
            missing = tweet_ids
        if missing:
            known.update(await self._authors(conn, missing))
        return known

    @staticmethod
    async def _authors(conn: AsyncConnection, tweet_ids: list[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        postgres = conn.dialect.name == "postgresql"
        for chunk in _chunks(tweet_ids):
            if postgres:  # one array parameter, not one parameter a tweet
                ids = bindparam("ids", type_=_IDS)
                query = select(tweets.c.id, tweets.c.author_id).where(tweets.c.id == any_(ids))
                rows = await conn.execute(query, {"ids": chunk})
            else:
                query = select(tweets.c.id, tweets.c.author_id).where(tweets.c.id.in_(chunk))
                rows = await conn.execute(query)
            found.update({row.id: row.author_id for row in rows})
        return found

    @staticmethod
    async def _add_rollups(conn: AsyncConnection, rows: Counter[RollupKey]) -> None:
        if not rows:
            return
        keys = sorted(rows)
        if conn.dialect.name == "postgresql":  # a flush adds a row per author: as arrays
            for chunk in _chunks(keys):
                columns: _Arrays = {
                    "metric": (_TEXTS, [m for m, _, _, _ in chunk]),
                    "subject_id": (_IDS, [s for _, s, _, _ in chunk]),
                    "period": (_TEXTS, [p for _, _, p, _ in chunk]),
                    "bucket": (_TIMES, [b for _, _, _, b in chunk]),
                    "value": (_IDS, [rows[key] for key in chunk]),
                }
                await _add_as_arrays(conn, analytics_rollups, columns, "value")
            return
        statement = _upsert(conn, analytics_rollups)
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=list(analytics_rollups.primary_key),
                set_={"value": analytics_rollups.c.value + statement.excluded.value},
            ),
            [
                {"metric": m, "subject_id": s, "period": p, "bucket": b, "value": rows[m, s, p, b]}
                for m, s, p, b in keys
            ],
        )

    @staticmethod
    async def _add_tweet_counts(
        conn: AsyncConnection, counter: TweetCounter, deltas: Counter[int]
    ) -> None:
        if not deltas:
            return
        ids = sorted(deltas)
        if conn.dialect.name == "postgresql":
            for chunk in _chunks(ids):
                columns: _Arrays = {
                    "tweet_id": (_IDS, chunk),
                    counter.value: (_IDS, [deltas[t] for t in chunk]),
                }
                await _add_as_arrays(conn, tweet_stats, columns, counter.value)
            return
        statement = _upsert(conn, tweet_stats)
        column: ColumnElement[Any] = tweet_stats.c[counter.value]
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[tweet_stats.c.tweet_id],
                set_={counter.value: column + statement.excluded[counter.value]},
            ),
            [{"tweet_id": t, counter.value: deltas[t]} for t in ids],
        )


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), _LOOKUP_CHUNK):
        yield items[start : start + _LOOKUP_CHUNK]


async def _add_as_arrays(
    conn: AsyncConnection,
    table: Table,
    columns: _Arrays,
    added: str,
) -> None:
    """PostgreSQL: rows given as one array a column (``name: (array type, values)``),
    inserted, or on a primary-key conflict ``added`` increased by the new row's value."""
    unnested = select(
        *(
            func.unnest(bindparam(name, type_=array_type))
            for name, (array_type, _) in columns.items()
        )
    )
    statement = postgresql.insert(table).from_select(list(columns), unnested)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=list(table.primary_key),
            set_={added: table.c[added] + statement.excluded[added]},
        ),
        {name: values for name, (_, values) in columns.items()},
    )


class SqlActiveUsers:
    """Embedded mode's daily actives: one row per user and day, counted exactly."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines

    async def add(self, day: datetime, user_ids: Sequence[int]) -> int:
        start = bucket(day, Period.DAY)
        async with self._engines.writer.begin() as conn:
            if user_ids:
                await conn.execute(
                    insert_ignoring_duplicates(conn.dialect.name, active_users),
                    [{"day": start, "user_id": u} for u in sorted(set(user_ids))],
                )
            query = (
                select(func.count()).select_from(active_users).where(active_users.c.day == start)
            )
            return int((await conn.execute(query)).scalar_one())


def _upsert(conn: AsyncConnection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _rollup_rows(counts: Iterable[Count]) -> Counter[RollupKey]:
    """A flush's counts share one time: each bucket is computed once (a bucket a count was 8 ms
    of a flush's stall for 3,000 authors)."""
    rows: Counter[RollupKey] = Counter()
    buckets: dict[tuple[datetime, Period], datetime] = {}
    for count in counts:
        for period in count.periods():
            start = buckets.get((count.at, period))
            if start is None:
                start = buckets[count.at, period] = bucket(count.at, period)
            rows[count.metric.value, count.subject, period.value, start] += count.delta
    return rows

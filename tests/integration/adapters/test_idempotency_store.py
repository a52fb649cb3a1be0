"""One behavioural suite for every IdempotencyStore adapter: SQL (SQLite, PostgreSQL) and Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from roost.adapters.clock import SystemClock
from roost.adapters.redis.idempotency import RedisIdempotencyStore
from roost.adapters.redis.keys import Keys
from roost.adapters.sql.engine import Engines, create_engines
from roost.adapters.sql.idempotency import PRUNE_BATCH, SqlIdempotencyStore
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import idempotency_keys
from roost.domain.idempotency import StoredResponse
from roost.ports import IdempotencyClaim, IdempotencyRecord, IdempotencyStore
from tests.conftest import REDIS_URL

ALICE, BOB = 101, 102
KEY = "h:retry-me"
ASKED, OTHER = "a" * 64, "b" * 64
CREATED = StoredResponse(201, (("content-type", "application/json"),), b'{"id": "1"}')
DAY = 86_400.0
SHORT = 0.3  # seconds: a lease or TTL that a test waits out


@dataclass
class Backend:
    """Stores of one backend with the lease and TTL a test asks for."""

    make: Callable[[float, float], IdempotencyStore]
    engines: Engines | None = None

    def store(self, *, ttl: float = DAY, lease: float = 60.0) -> IdempotencyStore:
        return self.make(ttl, lease)


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "redis":
        redis = Redis.from_url(REDIS_URL)
        keys = Keys(request.getfixturevalue("redis_prefix"))
        yield Backend(
            lambda ttl, lease: RedisIdempotencyStore(
                redis, keys, ttl_seconds=ttl, lease_seconds=lease
            )
        )
        await redis.aclose()
        return
    url: str = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    await upgrade_async(url)
    engines = create_engines(url)
    yield Backend(
        lambda ttl, lease: SqlIdempotencyStore(
            engines, SystemClock(), ttl_seconds=ttl, lease_seconds=lease
        ),
        engines,
    )
    await engines.dispose()


async def _claimed(store: IdempotencyStore, user_id: int = ALICE) -> IdempotencyClaim:
    claim = await store.claim(user_id, KEY, ASKED)
    assert isinstance(claim, IdempotencyClaim)
    return claim


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 5.0
    while not await check():
        assert time.monotonic() < deadline, "not within the timeout"
        await asyncio.sleep(0.05)


async def test_the_first_claim_wins_and_later_ones_see_it_in_flight(backend: Backend) -> None:
    store = backend.store()
    claim = await _claimed(store)
    assert (claim.user_id, claim.key, claim.fingerprint) == (ALICE, KEY, ASKED)
    assert await store.claim(ALICE, KEY, ASKED) == IdempotencyRecord(ASKED, None)
    assert await store.claim(ALICE, KEY, OTHER) == IdempotencyRecord(ASKED, None)


async def test_a_completed_key_gives_its_stored_response(backend: Backend) -> None:
    store = backend.store()
    await store.complete(await _claimed(store), CREATED)
    assert await store.claim(ALICE, KEY, ASKED) == IdempotencyRecord(ASKED, CREATED)
    assert await store.claim(ALICE, KEY, OTHER) == IdempotencyRecord(ASKED, CREATED)


async def test_keys_are_per_user(backend: Backend) -> None:
    store = backend.store()
    await store.complete(await _claimed(store, ALICE), CREATED)
    bobs = await _claimed(store, BOB)
    assert bobs.user_id == BOB
    empty = StoredResponse(204, (), b"")
    await store.complete(bobs, empty)
    assert await store.claim(BOB, KEY, ASKED) == IdempotencyRecord(ASKED, empty)
    assert await store.claim(ALICE, KEY, ASKED) == IdempotencyRecord(ASKED, CREATED)


async def test_a_released_key_can_be_claimed_again(backend: Backend) -> None:
    store = backend.store()
    await store.release(await _claimed(store))
    again = await store.claim(ALICE, KEY, OTHER)
    assert isinstance(again, IdempotencyClaim)
    assert again.fingerprint == OTHER


async def test_of_concurrent_claims_exactly_one_wins(backend: Backend) -> None:
    store = backend.store()
    results = await asyncio.gather(*(store.claim(ALICE, KEY, ASKED) for _ in range(20)))
    claims = [result for result in results if isinstance(result, IdempotencyClaim)]
    assert len(claims) == 1
    assert results.count(IdempotencyRecord(ASKED, None)) == 19


async def test_a_claim_whose_lease_lapsed_is_taken_over_and_then_worthless(
    backend: Backend,
) -> None:
    """The holder died (or hung): once its lease ends a retry runs; the old holder's late
    answer neither overwrites nor frees what the new holder does."""
    store = backend.store(lease=SHORT)
    stale = await _claimed(store)
    taken: list[IdempotencyClaim] = []

    async def retry_claims() -> bool:
        result = await store.claim(ALICE, KEY, ASKED)
        if isinstance(result, IdempotencyClaim):
            taken.append(result)
        return bool(taken)

    await _eventually(retry_claims)
    assert taken[0].token != stale.token
    await store.complete(stale, StoredResponse(500, (), b"late"))
    await store.release(stale)
    assert await store.claim(ALICE, KEY, ASKED) == IdempotencyRecord(ASKED, None)
    await backend.store().complete(taken[0], CREATED)
    assert await store.claim(ALICE, KEY, ASKED) == IdempotencyRecord(ASKED, CREATED)


async def test_a_stored_response_expires_after_the_ttl(backend: Backend) -> None:
    store = backend.store(ttl=SHORT)
    await store.complete(await _claimed(store), CREATED)
    assert await store.claim(ALICE, KEY, ASKED) == IdempotencyRecord(ASKED, CREATED)

    async def free_again() -> bool:
        return isinstance(await store.claim(ALICE, KEY, OTHER), IdempotencyClaim)

    await _eventually(free_again)


class _Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at


async def test_sql_prunes_expired_rows_and_keeps_the_rest(database_url: str) -> None:
    """Redis expires its keys itself; SQL deletes expired rows in batches."""
    await upgrade_async(database_url)
    engines = create_engines(database_url)
    clock = _Clock()
    store = SqlIdempotencyStore(engines, clock, ttl_seconds=60, lease_seconds=10)
    try:
        for user_id in range(1, PRUNE_BATCH + 6):
            await store.complete(await _claimed(store, user_id), CREATED)
        clock.at += timedelta(seconds=30)
        await _claimed(store, PRUNE_BATCH + 6)  # in flight, its lease ending in 10 s
        lasting = await _claimed(store, ALICE + PRUNE_BATCH * 2)
        clock.at += timedelta(seconds=31)
        await store.complete(lasting, CREATED)  # stored now: kept for 60 s more
        assert await store.prune() == PRUNE_BATCH + 6
        async with engines.reader.connect() as conn:
            left = await conn.scalar(select(func.count()).select_from(idempotency_keys))
        assert left == 1
        assert await store.claim(lasting.user_id, KEY, ASKED) == IdempotencyRecord(ASKED, CREATED)
    finally:
        await engines.dispose()

"""The idempotency service's rules over a store: replay, reuse, in flight, failures, outages."""

from __future__ import annotations

import pytest

from roost.domain.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from roost.domain.idempotency import StoredResponse
from roost.ports import IdempotencyClaim, IdempotencyRecord, StoreUnavailable
from roost.services.idempotency import Idempotency

USER, KEY, ASKED, OTHER = 7, "m:k", "a" * 64, "b" * 64


class MemoryStore:
    """The store's contract in a dict (tests/integration/adapters holds the real ones)."""

    def __init__(self) -> None:
        self.slots: dict[tuple[int, str], tuple[str, str, StoredResponse | None]] = {}
        self.claims = 0

    async def claim(
        self, user_id: int, key: str, fingerprint: str
    ) -> IdempotencyClaim | IdempotencyRecord:
        held = self.slots.get((user_id, key))
        if held is not None:
            return IdempotencyRecord(held[0], held[2])
        self.claims += 1
        token = str(self.claims)
        self.slots[(user_id, key)] = (fingerprint, token, None)
        return IdempotencyClaim(user_id, key, fingerprint, token)

    async def complete(self, claim: IdempotencyClaim, response: StoredResponse) -> None:
        if self.slots.get((claim.user_id, claim.key), ("", "", None))[1] == claim.token:
            self.slots[(claim.user_id, claim.key)] = (claim.fingerprint, claim.token, response)

    async def release(self, claim: IdempotencyClaim) -> None:
        if self.slots.get((claim.user_id, claim.key), ("", "", None))[1] == claim.token:
            del self.slots[(claim.user_id, claim.key)]


class DownStore(MemoryStore):
    async def claim(
        self, user_id: int, key: str, fingerprint: str
    ) -> IdempotencyClaim | IdempotencyRecord:
        raise StoreUnavailable("Redis is unreachable")


async def test_once_runs_once_and_gives_the_first_result_again() -> None:
    service, runs = Idempotency(MemoryStore()), []

    async def run() -> bytes:
        runs.append(1)
        return b'{"id": "%d"}' % len(runs)

    assert await service.once(USER, KEY, ASKED, run) == b'{"id": "1"}'
    assert await service.once(USER, KEY, ASKED, run) == b'{"id": "1"}'
    assert runs == [1]


async def test_another_request_under_the_key_is_refused_and_a_running_one_is_in_flight() -> None:
    service = Idempotency(MemoryStore())
    claim = await service.begin(USER, KEY, ASKED)
    assert isinstance(claim, IdempotencyClaim)
    with pytest.raises(IdempotencyKeyInFlight):
        await service.begin(USER, KEY, ASKED)
    with pytest.raises(IdempotencyKeyReused):
        await service.begin(USER, KEY, OTHER)
    await service.finish(claim, StoredResponse(204, (), b""))
    assert await service.begin(USER, KEY, ASKED) == StoredResponse(204, (), b"")
    with pytest.raises(IdempotencyKeyReused):
        await service.begin(USER, KEY, OTHER)


async def test_a_failure_stores_nothing_so_a_retry_runs() -> None:
    store = MemoryStore()
    service = Idempotency(store)

    async def fail() -> bytes:
        raise RuntimeError("boom")

    async def succeed() -> bytes:
        return b"true"

    with pytest.raises(RuntimeError):
        await service.once(USER, KEY, ASKED, fail)
    assert store.slots == {}
    assert await service.once(USER, KEY, ASKED, succeed) == b"true"


async def test_with_the_store_down_requests_run_unprotected() -> None:
    service = Idempotency(DownStore())
    assert await service.begin(USER, KEY, ASKED) is None

    async def run() -> bytes:
        return b"1"

    assert await service.once(USER, KEY, ASKED, run) == b"1"

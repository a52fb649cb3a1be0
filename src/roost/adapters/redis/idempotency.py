"""Idempotency keys in Redis (scaled mode): one key per (user, key), shared by every process.

The value is the claim while the first request runs (expiring with the lease: a process that
died holding it frees it then), and the stored response after (expiring with the TTL). Each
step is one script, so of two processes claiming at once exactly one wins."""

from __future__ import annotations

import secrets

import msgspec
from redis.asyncio import Redis

from roost.adapters.redis.connection import unavailable_on_error
from roost.adapters.redis.keys import Keys
from roost.domain.idempotency import StoredResponse
from roost.ports import IdempotencyClaim, IdempotencyRecord

# KEYS: slot. ARGV: the claim, lease in ms. Returns nil when claimed, else what the slot holds.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
return redis.call('GET', KEYS[1])
"""
# KEYS: slot. ARGV: the claim, its replacement ('' to delete it), TTL in ms.
_SETTLE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
"""


class _Slot(msgspec.Struct, array_like=True):
    fingerprint: str
    token: str = ""
    status: int | None = None
    headers: list[tuple[str, str]] = []
    body: bytes = b""


_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(_Slot).decode


class RedisIdempotencyStore:
    def __init__(
        self, redis: Redis, keys: Keys, *, ttl_seconds: float, lease_seconds: float
    ) -> None:
        self._keys = keys
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self._lease_ms = max(1, int(lease_seconds * 1000))
        self._claim = redis.register_script(_CLAIM)
        self._settle = redis.register_script(_SETTLE)

    async def claim(
        self, user_id: int, key: str, fingerprint: str
    ) -> IdempotencyClaim | IdempotencyRecord:
        claim = IdempotencyClaim(user_id, key, fingerprint, secrets.token_hex(16))
        slot = self._keys.idempotency(user_id, key)
        with unavailable_on_error():
            held = await self._claim(keys=[slot], args=[_claimed(claim), self._lease_ms])
        if held is None:
            return claim
        found = _decode(held)
        if found.status is None:
            return IdempotencyRecord(found.fingerprint, None)
        headers = tuple(found.headers)
        return IdempotencyRecord(
            found.fingerprint, StoredResponse(found.status, headers, found.body)
        )

    async def complete(self, claim: IdempotencyClaim, response: StoredResponse) -> None:
        stored = _Slot(
            claim.fingerprint, "", response.status, list(response.headers), response.body
        )
        await self._settle_claim(claim, _encode(stored))

    async def release(self, claim: IdempotencyClaim) -> None:
        await self._settle_claim(claim, b"")

    async def _settle_claim(self, claim: IdempotencyClaim, replacement: bytes) -> None:
        slot = self._keys.idempotency(claim.user_id, claim.key)
        with unavailable_on_error():
            await self._settle(keys=[slot], args=[_claimed(claim), replacement, self._ttl_ms])


def _claimed(claim: IdempotencyClaim) -> bytes:
    return _encode(_Slot(claim.fingerprint, claim.token))

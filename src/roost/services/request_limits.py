"""Rate limits by route class: each class's budget per session token and per client IP.

The entry points classify a request and say who sends it (its token, its address); this
service keeps the count. Limits that need the request's content (posts per author, logins
per handle) stay with their services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from roost.domain.rate_limits import Budget, Quota, RouteClass, tightest
from roost.ports import Hit, RateLimiter


class RequestLimits:
    def __init__(self, limiter: RateLimiter, budgets: Mapping[RouteClass, Budget]) -> None:
        self._limiter = limiter
        self._budgets = budgets

    async def check(self, route_class: RouteClass, token: str | None, client_ip: str) -> Quota:
        """One hit on the class's buckets for this address and (when sent) this token, in one
        round trip; the tightest of their answers."""
        budget = self._budgets[route_class]
        ip = budget.per_ip
        hits = [Hit(f"{route_class}:ip:{client_ip}", ip.limit, ip.window_seconds)]
        if token and budget.per_token is not None:
            per_token = budget.per_token
            key = f"{route_class}:t:{_digest(token)}"
            hits.append(Hit(key, per_token.limit, per_token.window_seconds))
        return tightest(await self._limiter.hit_many(hits))


def _digest(token: str) -> str:
    """Tokens never leave the process as they are (the keys may live in Redis)."""
    return hashlib.blake2b(token.encode(), digest_size=16).hexdigest()

"""Rate limits: what a limit is, and what one hit on it was told.

Limits are token buckets: ``limit`` tokens, refilled at ``limit`` per window, so a burst of
``limit`` passes and then one more every window/limit seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class RouteClass(StrEnum):
    """The kinds of request that share a budget (see entrypoints/rest/route_classes.py)."""

    POST = "post"
    INTERACT = "interact"
    FOLLOW = "follow"
    READ = "read"
    LOGIN = "login"
    SIGNUP = "signup"
    GRAPHQL = "graphql"


@dataclass(frozen=True, slots=True)
class Limit:
    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Budget:
    """A route class's limits: per client IP, and per session token when the request has one
    (None: the class is limited per address only, as sign-ups and logins)."""

    per_ip: Limit
    per_token: Limit | None


@dataclass(frozen=True, slots=True)
class Quota:
    """What a bucket said of one hit.

    ``granted`` tokens were taken (0: refused); ``remaining`` are left; ``reset_seconds`` until
    the bucket is full again; ``retry_after_seconds`` until the next hit is allowed (0 unless
    refused)."""

    granted: int
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int

    @property
    def allowed(self) -> bool:
        return self.granted > 0

    @classmethod
    def unlimited(cls, limit: int, tokens: int = 1) -> Quota:
        """What is granted when the limits cannot be checked (they fail open)."""
        return cls(tokens, limit, limit, 0, 0)


def tightest(quotas: Iterable[Quota]) -> Quota:
    """The one quota to report for several buckets hit together: a refusal with the longest
    wait, else the bucket with the least left."""
    found = list(quotas)
    refused = [quota for quota in found if not quota.allowed]
    if refused:
        return max(refused, key=lambda quota: quota.retry_after_seconds)
    return min(found, key=lambda quota: (quota.remaining, -quota.reset_seconds))

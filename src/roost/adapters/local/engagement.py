"""Embedded mode keeps no engagement cache: counts and flags are read from SQL, which is where
embedded feeds live too, so nothing can be stale."""

from __future__ import annotations

from collections.abc import Sequence

from roost.domain.tweets import Counts, Flags


class NoEngagementCache:
    async def counts(self, tweet_ids: Sequence[int]) -> dict[int, Counts]:
        return {}

    async def put_counts(self, counts: dict[int, Counts]) -> None:
        """Nothing is kept."""

    async def set_counts(self, counts: dict[int, Counts]) -> None:
        """Nothing is kept."""

    async def flags(self, user_id: int, tweet_ids: Sequence[int]) -> dict[int, Flags]:
        return {}

    async def put_flags(self, user_id: int, flags: dict[int, Flags]) -> None:
        """Nothing is kept."""

    async def set_liked(self, user_id: int, tweet_id: int, liked: bool) -> None:
        """Nothing is kept."""

    async def set_reposted(self, user_id: int, tweet_id: int, reposted: bool) -> None:
        """Nothing is kept."""

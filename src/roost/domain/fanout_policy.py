"""The fanout policy: for one author and one follower, push, pull or skip.

- push: write the post into the follower's materialised home feed now (fanout on write);
- pull: write nothing; the follower's reads merge the author's recent posts (fanout on read),
  which is how celebrities are served: one write per post instead of one per follower;
- skip: write nothing; the follower is inactive, so their feed is dropped and rebuilt by pull
  the next time they read;
- withhold: write nothing; the follower muted the author (their reads hide the author anyway).

A pure function of plain values, so it can be tested exhaustively and replaced (for example by
a per-edge cost model that pushes when the follower reads more often than the author writes).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class Delivery(enum.Enum):
    PUSH = "push"
    PULL = "pull"
    SKIP = "skip"
    WITHHOLD = "withhold"


@dataclass(frozen=True, slots=True)
class FanoutPolicy:
    celebrity_threshold: int
    inactive_after: timedelta

    def is_celebrity(self, followers_count: int) -> bool:
        return followers_count >= self.celebrity_threshold

    def is_inactive(self, last_seen_at: datetime | None, now: datetime) -> bool:
        return last_seen_at is None or now - last_seen_at > self.inactive_after

    def decide(
        self,
        author_pulled: bool,
        follower_last_seen_at: datetime | None,
        now: datetime,
        *,
        follower_hides_author: bool = False,
    ) -> Delivery:
        """How a post of the author reaches the follower.

        ``author_pulled`` is the author's recorded mode (see Fanout: it follows
        ``is_celebrity`` once the switch has been carried out for every follower).
        ``follower_hides_author``: the follower muted the author."""
        if author_pulled:
            return Delivery.PULL
        if follower_hides_author:
            return Delivery.WITHHOLD
        if self.is_inactive(follower_last_seen_at, now):
            return Delivery.SKIP
        return Delivery.PUSH

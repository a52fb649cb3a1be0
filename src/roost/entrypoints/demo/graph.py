"""A synthetic social graph, the same for the same size and seed.

Who follows whom: each user follows a log-normal number of accounts (median about 25), chosen
with Zipf weights, so follower counts follow a power law: a handful of accounts have thousands
of followers, most have a few. Posts: popular accounts post more; lengths are log-normal around
70 characters (most posts are short, a few use all 280), spread over the past week.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from roost.domain.ids import EPOCH_MS, MAX_SEQUENCE, SEQUENCE_BITS, TIMESTAMP_SHIFT

DEMO_WORKER = 1023  # the Snowflake worker number of demo ids: no running process uses it
MEDIAN_FOLLOWING = 25
POSTS_PER_USER = 8
ACTIVE_SHARE = 0.7  # seen within the last day; the rest a month ago
HISTORY = timedelta(days=7)
_TEXT = (
    "the a to of and in is it you that for on was with my this be at have just so but not "
    "are get like all out one now new good day time today going about your what love know "
    "feed post roost coffee news ship great morning night week weekend team build release "
    "music game city rain sun train read book code bug fix launch thanks friends home"
)
_WORDS = tuple(_TEXT.split())


@dataclass(frozen=True, slots=True)
class DemoUser:
    id: int
    handle: str
    display_name: str
    followers_count: int
    following_count: int
    last_seen_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DemoTweet:
    id: int
    author_id: int
    content: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SocialGraph:
    users: list[DemoUser]
    follows: list[tuple[int, int]]  # (follower, followee), sorted
    tweets: list[DemoTweet]

    def followers_of_rank(self, rank: int) -> int:
        """The follower count of the ``rank``-th most followed user (1 = the most followed)."""
        counts = sorted((user.followers_count for user in self.users), reverse=True)
        return counts[min(rank, len(counts)) - 1]


def generate(users: int, seed: int, now: datetime | None = None) -> SocialGraph:
    # Not for security: the same seed must give the same graph.
    rng = random.Random(seed)  # noqa: S311
    now = now or datetime.now(UTC)
    ids = list(range(1, users + 1))
    follows = _follows(ids, rng)
    followers = dict.fromkeys(ids, 0)
    following = dict.fromkeys(ids, 0)
    for follower, followee in follows:
        following[follower] += 1
        followers[followee] += 1
    people = [
        DemoUser(
            id=user_id,
            handle=f"user{user_id}",
            display_name=f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}",
            followers_count=followers[user_id],
            following_count=following[user_id],
            last_seen_at=now - (timedelta(hours=1) if rng.random() < ACTIVE_SHARE else HISTORY * 4),
            created_at=now - HISTORY * 5,
        )
        for user_id in ids
    ]
    return SocialGraph(people, follows, _tweets(people, rng, now))


def _follows(ids: list[int], rng: random.Random) -> list[tuple[int, int]]:
    cumulative = list(itertools.accumulate(1.0 / rank for rank in range(1, len(ids) + 1)))
    edges: set[tuple[int, int]] = set()
    for follower in ids:
        wanted = min(len(ids) - 1, max(1, int(rng.lognormvariate(0, 1) * MEDIAN_FOLLOWING)))
        for followee in rng.choices(ids, cum_weights=cumulative, k=wanted):
            if followee != follower:
                edges.add((follower, followee))
    return sorted(edges)


def _tweets(people: list[DemoUser], rng: random.Random, now: datetime) -> list[DemoTweet]:
    """About POSTS_PER_USER each on average, more for the popular; ids are time-ordered."""
    total_followers = sum(user.followers_count for user in people) or 1
    budget = POSTS_PER_USER * len(people)
    start_ms = int((now - HISTORY).timestamp() * 1000)
    span_ms = int(HISTORY.total_seconds() * 1000)
    tweets = []
    for user in people:
        share = user.followers_count / total_followers
        count = max(1, round(budget * (0.5 * share + 0.5 / len(people))))
        for _ in range(count):
            ms = start_ms + rng.randrange(span_ms)
            sequence = rng.randrange(MAX_SEQUENCE + 1)
            tweet_id = ((ms - EPOCH_MS) << TIMESTAMP_SHIFT) | (DEMO_WORKER << SEQUENCE_BITS)
            tweets.append(
                DemoTweet(
                    tweet_id | sequence,
                    user.id,
                    _content(rng),
                    datetime.fromtimestamp(ms / 1000, UTC),
                )
            )
    unique = {tweet.id: tweet for tweet in tweets}
    return sorted(unique.values(), key=lambda tweet: tweet.id)


def _content(rng: random.Random) -> str:
    length = min(280, max(5, int(rng.lognormvariate(4.1, 0.6))))
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)[:length].strip()

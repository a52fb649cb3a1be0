from __future__ import annotations

import statistics
from datetime import UTC, datetime

from roost.domain.ids import id_timestamp
from roost.entrypoints.demo.graph import generate

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_same_seed_gives_the_same_graph() -> None:
    assert generate(300, seed=3, now=NOW) == generate(300, seed=3, now=NOW)
    assert generate(300, seed=3, now=NOW) != generate(300, seed=4, now=NOW)


def test_follower_counts_follow_a_power_law() -> None:
    graph = generate(2000, seed=1, now=NOW)
    counts = sorted(user.followers_count for user in graph.users)
    assert graph.followers_of_rank(1) > 50 * statistics.median(counts)
    assert sum(counts) == len(graph.follows)
    assert all(follower != followee for follower, followee in graph.follows)


def test_posts_have_realistic_lengths_and_time_ordered_ids() -> None:
    graph = generate(500, seed=1, now=NOW)
    lengths = [len(tweet.content) for tweet in graph.tweets]
    assert all(1 <= length <= 280 for length in lengths)
    assert 40 <= statistics.mean(lengths) <= 120
    assert all(id_timestamp(t.id) == t.created_at for t in graph.tweets)
    assert [t.id for t in graph.tweets] == sorted({t.id for t in graph.tweets})
    assert all(t.created_at <= NOW for t in graph.tweets)

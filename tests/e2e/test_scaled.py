"""Scaled mode end to end: API processes (`roost serve --no-consumers`) and `roost worker`s over one
PostgreSQL database and one Redis, each a real subprocess spoken to over HTTP (and, to watch the
fanout, over Redis itself).

- several processes act as one service: what one writes, the others read; a delete is hidden
  everywhere at once; a logout is refused everywhere at once;
- a worker killed with SIGKILL in the middle of a large fanout loses and duplicates nothing:
  another worker takes its event over;
- with Redis down the API keeps answering from PostgreSQL, and recovers when Redis is back
  (empty, or with the data it had: then what was done meanwhile must still reach its feeds).
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import psycopg
import redis

from .support import (
    DEFAULT_PASSWORD,
    FEED_SENTINEL,
    Account,
    RedisServer,
    ServerFactory,
    Worker,
    WorkerFactory,
    assert_error,
    describe,
    eventually,
    feed_ids,
    feed_member,
    follow,
    get_page,
    get_user,
    home_feed_key,
    login,
    new_account,
    post_tweet,
    scaled_env,
)

REDIS_URL = os.environ.get("ROOST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FANOUT_GROUP = "fanout"

T = TypeVar("T")


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


def _in_parallel(*starts: Callable[[], T]) -> list[T]:
    """Start several processes at once (each start waits for its process to be ready)."""
    with ThreadPoolExecutor(len(starts)) as pool:
        futures = [pool.submit(start) for start in starts]
        return [future.result() for future in futures]


def _relogin(client: httpx.Client, account: Account) -> Account:
    return Account(user=account.user, token=login(client, account.handle))


# --------------------------------------------------------------------------------------------
# 1. Two API processes and two workers act as one service


def test_two_api_processes_and_two_workers_act_as_one_service(
    redis_prefix: str,
    start_server: ServerFactory,
    start_worker: WorkerFactory,
    postgres_url: str,
) -> None:
    def env(worker_id: int) -> dict[str, str]:
        return scaled_env(REDIS_URL, redis_prefix, worker_id)

    # All four migrate the same fresh database at once.
    api1, api2, worker1, worker2 = _in_parallel(
        lambda: start_server(postgres_url, "--no-consumers", env=env(1)),
        lambda: start_server(postgres_url, "--no-consumers", env=env(2)),
        lambda: start_worker(postgres_url, env=env(3)),
        lambda: start_worker(postgres_url, env=env(4)),
    )
    one, two = api1.client, api2.client

    alice = new_account(one, "alice")
    bob = new_account(one, "bob")
    early = post_tweet(one, bob, "posted before alice follows")
    follow(one, alice, bob.handle)
    tweet = post_tweet(one, bob, "hello from api 1")

    # API 2 sees what API 1 wrote: the follow (SQL), and the post in alice's feed (fanout by a
    # worker; the earlier post by the follow's backfill).
    assert get_user(two, alice, bob.handle)["followers_count"] == 1
    eventually(lambda: _equal(feed_ids(two, alice), [tweet["id"], early["id"]]), timeout=5.0)
    assert get_page(two, "/feed", alice)["items"][0] == tweet
    assert feed_ids(two, bob) == [tweet["id"], early["id"]]
    # Served from the Redis feed the workers keep, not by pull from SQL.
    with redis.Redis.from_url(REDIS_URL) as shared:
        feed_key = home_feed_key(redis_prefix, alice.id)
        members = shared.zrange(feed_key, 0, -1)
        assert [m.decode() for m in members] == [
            FEED_SENTINEL,
            feed_member(early["id"]),
            feed_member(tweet["id"]),
        ]

        # API 1 has the tweet in its own in-process cache now.
        response = one.get(f"/tweets/{tweet['id']}", headers=alice.headers)
        assert response.status_code == 200, describe(response)
        eventually(lambda: _equal(feed_ids(one, alice), [tweet["id"], early["id"]]))

        # Deleted through API 2: hidden at once in the feeds read through API 1, before the
        # workers have withdrawn it from the feeds.
        response = two.delete(f"/tweets/{tweet['id']}", headers=bob.headers)
        assert response.status_code == 204, describe(response)
        assert feed_ids(one, alice) == [early["id"]]
        assert feed_ids(one, bob) == [early["id"]]
        assert feed_ids(two, alice) == [early["id"]]
        assert_error(two.get(f"/tweets/{tweet['id']}", headers=alice.headers), 404, "not_found")
        # API 1's in-process copy is dropped on the deletion's broadcast.
        eventually(
            lambda: assert_error(
                one.get(f"/tweets/{tweet['id']}", headers=alice.headers), 404, "not_found"
            ),
            timeout=1.0,
        )
        # And the workers withdraw it from the feeds themselves.
        eventually(lambda: _equal(shared.zscore(feed_key, feed_member(tweet["id"])), None))

    # Logout through API 1: API 2, which has the token cached, refuses it at once.
    response = two.get("/feed", headers=alice.headers)
    assert response.status_code == 200, describe(response)
    response = one.delete("/sessions", headers=alice.headers)
    assert response.status_code == 204, describe(response)
    assert_error(one.get("/feed", headers=alice.headers), 401, "unauthorized")
    eventually(
        lambda: assert_error(two.get("/feed", headers=alice.headers), 401, "unauthorized"),
        timeout=1.0,
    )
    # Bob's session is untouched.
    assert feed_ids(two, bob) == [early["id"]]

    for process in (api1, api2, worker1, worker2):
        process.assert_running()


# --------------------------------------------------------------------------------------------
# 2. kill -9 of a worker in the middle of a 5,000-follower fanout


FOLLOWERS = 5000
SEED_ID_BASE = 10**15


def _seed_followers(database_url: str, author_id: int, count: int) -> list[int]:
    """Insert `count` users following the author directly in SQL; returns their ids, ascending.

    The first of them can log in (handle `seed_0`, the default password)."""
    from argon2 import PasswordHasher

    loginable = PasswordHasher(time_cost=1, memory_cost=1024).hash(DEFAULT_PASSWORD)
    ids = itertools.count(SEED_ID_BASE)
    now = datetime.now(UTC)
    user_ids = [next(ids) for _ in range(count)]
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY users (id, handle, handle_key, display_name, password_hash, followers_count,"
            " following_count, last_seen_at, created_at) FROM STDIN"
        ) as copy:
            for n, user_id in enumerate(user_ids):
                handle = f"seed_{n}"
                password_hash = loginable if n == 0 else "not-a-hash"
                copy.write_row((user_id, handle, handle, handle, password_hash, 0, 1, now, now))
        with cur.copy("COPY feeds (id, owner_id, kind) FROM STDIN") as copy:
            for user_id in user_ids:
                copy.write_row((user_id, user_id, "home"))
        with cur.copy(
            "COPY followers (follower_id, followee_id, id, created_at) FROM STDIN"
        ) as copy:
            for user_id in user_ids:
                copy.write_row((user_id, author_id, next(ids), now))
        cur.execute("UPDATE users SET followers_count = %s WHERE id = %s", (count, author_id))
    return user_ids


def _holding(client: Any, feed_keys: Sequence[str], entry: str) -> list[bool]:
    """For each feed, whether it holds the entry (one pipelined round trip)."""
    with client.pipeline(transaction=False) as pipe:
        for key in feed_keys:
            pipe.zscore(key, entry)
        return [score is not None for score in pipe.execute()]


def _sizes(client: Any, feed_keys: Sequence[str]) -> list[int]:
    with client.pipeline(transaction=False) as pipe:
        for key in feed_keys:
            pipe.zcard(key)
        return [int(size) for size in pipe.execute()]


def _pending(client: Any, stream: str) -> dict[str, int]:
    """The fanout group's pending events per consumer name."""
    summary = client.xpending(stream, FANOUT_GROUP)
    return {
        (c["name"].decode() if isinstance(c["name"], bytes) else c["name"]): int(c["pending"])
        for c in summary["consumers"] or []
    }


def test_kill_9_of_a_worker_in_the_middle_of_a_large_fanout(
    redis_prefix: str,
    start_server: ServerFactory,
    start_worker: WorkerFactory,
    postgres_url: str,
) -> None:
    api = start_server(postgres_url, "--no-consumers", env=scaled_env(REDIS_URL, redis_prefix, 1))
    author = new_account(api.client, "author")
    followers = _seed_followers(postgres_url, int(author.id), FOLLOWERS)
    feed_keys = [home_feed_key(redis_prefix, user_id) for user_id in followers]
    stream = f"{redis_prefix}events"
    shared = redis.Redis.from_url(REDIS_URL)
    try:
        with shared.pipeline(transaction=False) as pipe:
            for key in feed_keys:
                pipe.zadd(key, {FEED_SENTINEL: 0})
            pipe.execute()

        worker_env = {"ROOST_FANOUT_BATCH_SIZE": "10"}
        workers: list[Worker] = _in_parallel(
            lambda: start_worker(
                postgres_url, env=scaled_env(REDIS_URL, redis_prefix, 2, **worker_env)
            ),
            lambda: start_worker(
                postgres_url, env=scaled_env(REDIS_URL, redis_prefix, 3, **worker_env)
            ),
        )
        by_name = {worker.consumer_name: worker for worker in workers}

        # The workers are consuming: the author's user.created event made their feed, and
        # nothing is pending.
        author_feed = home_feed_key(redis_prefix, author.id)
        eventually(lambda: _equal(shared.exists(author_feed), 1), timeout=10.0)
        eventually(lambda: _equal(_pending(shared, stream), {}), timeout=5.0)

        tweet = post_tweet(api.client, author, "to five thousand followers")
        entry = feed_member(tweet["id"])
        sample = [*feed_keys[::50], feed_keys[-1]]  # in the order fanout walks them
        started = time.monotonic()
        while True:
            held = _holding(shared, sample, entry)
            if held[0]:
                break
            assert time.monotonic() - started < 15.0, "the fanout did not start within 15 s"
        pending = _pending(shared, stream)
        assert not held[-1], (
            f"the fanout of {FOLLOWERS} feeds finished before it could be interrupted "
            f"({time.monotonic() - started:.3f} s; is ROOST_FANOUT_BATCH_SIZE=10 honoured?)"
        )
        assert len(pending) == 1, f"pending per consumer: {pending} (did the fanout end already?)"
        (holder_name, count), *_ = pending.items()
        assert count == 1, pending
        assert holder_name in by_name, (holder_name, list(by_name))
        holder = by_name[holder_name]
        holder.kill()
        assert holder.process is not None
        assert holder.process.returncode == -signal.SIGKILL
        survivor = next(worker for worker in workers if worker is not holder)

        done_at_kill = sum(_holding(shared, feed_keys, entry))
        assert 0 < done_at_kill < FOLLOWERS, (
            f"{done_at_kill} of {FOLLOWERS} feeds had the tweet when the worker was killed"
        )

        # The survivor takes the event over (after ROOST_STREAM_CLAIM_IDLE_SECONDS=2 of
        # silence) and completes the fanout: every feed holds the tweet, once.
        def delivered() -> None:
            missing = FOLLOWERS - sum(_holding(shared, feed_keys, entry))
            assert missing == 0, f"{missing} of {FOLLOWERS} feeds lack the tweet"
            sizes = _sizes(shared, feed_keys)
            wrong = [size for size in sizes if size != 2]
            assert not wrong, f"{len(wrong)} feeds do not hold exactly sentinel + tweet"

        eventually(delivered, timeout=15.0, interval=0.2)
        eventually(lambda: _equal(_pending(shared, stream), {}), timeout=5.0)
        assert shared.xlen(f"{redis_prefix}dead-letters") == 0
        assert shared.zrange(feed_keys[0], 0, -1) == [FEED_SENTINEL.encode(), entry.encode()]
        survivor.assert_running()

        # Over the API: the follower that can log in, and the author, see it exactly once.
        reader = Account(
            user={"id": str(followers[0]), "handle": "seed_0"},
            token=login(api.client, "seed_0"),
        )
        assert feed_ids(api.client, reader) == [tweet["id"]]
        assert feed_ids(api.client, author) == [tweet["id"]]
    finally:
        shared.close()


# --------------------------------------------------------------------------------------------
# 3. Redis goes down and comes back empty


def _health(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/healthz", timeout=5.0)
    assert response.status_code == 200, describe(response)
    body: dict[str, Any] = response.json()
    return body


def _timed_feed(client: httpx.Client, viewer: Account) -> list[str]:
    """The viewer's feed, which must answer quickly whatever the state of Redis."""
    started = time.monotonic()
    found = feed_ids(client, viewer)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"GET /feed took {elapsed:.1f} s"
    return found


def test_redis_outage_degrades_to_sql_and_recovers(
    start_server: ServerFactory, private_redis: RedisServer, postgres_url: str
) -> None:
    prefix = "roost-e2e-outage:"
    env = scaled_env(private_redis.url, prefix, 1)
    api = start_server(postgres_url, env=env)  # with its consumers: relay and fanout in process
    client = api.client
    store = private_redis.client()
    try:
        assert _health(client) == {"status": "ok"}
        alice = new_account(client, "alice")
        bob = new_account(client, "bob")
        carol = new_account(client, "carol")
        dave = new_account(client, "dave")
        follow(client, bob, alice.handle)
        follow(client, carol, alice.handle)
        p1 = post_tweet(client, alice, "one")
        p2 = post_tweet(client, alice, "two")
        d1 = post_tweet(client, dave, "dave's")
        for reader in (bob, carol):
            eventually(
                lambda reader=reader: _equal(feed_ids(client, reader), [p2["id"], p1["id"]]),
                timeout=5.0,
            )
        # Scaled mode indeed: bob's feed is a sorted set in this Redis.
        bob_feed = home_feed_key(prefix, bob.id)
        assert store.zrange(bob_feed, 0, -1) == [
            FEED_SENTINEL.encode(),
            feed_member(p1["id"]).encode(),
            feed_member(p2["id"]).encode(),
        ]

        # ---- Redis dies
        private_redis.kill()
        eventually(
            lambda: _equal(
                _health(client),
                {"status": "degraded", "checks": {"database": "ok", "redis": "down"}},
            ),
            timeout=5.0,
        )
        # Feeds are served from SQL, correct.
        assert _timed_feed(client, bob) == [p2["id"], p1["id"]]
        items = get_page(client, "/feed", carol)["items"]
        assert items[0] == p2
        # Posting works, and the author sees the post in their own feed at once.
        p3 = post_tweet(client, alice, "three, while Redis is down")
        assert _timed_feed(client, alice) == [p3["id"], p2["id"], p1["id"]]
        # The followers too (by pull from SQL).
        assert _timed_feed(client, carol) == [p3["id"], p2["id"], p1["id"]]
        # Following works, and shows the followee's posts at once.
        follow(client, bob, dave.handle)
        assert get_user(client, bob, dave.handle)["followers_count"] == 1
        expected_bob = [p3["id"], d1["id"], p2["id"], p1["id"]]
        assert _timed_feed(client, bob) == expected_bob
        # Logging in works (rate limits fail open).
        carol = _relogin(client, carol)
        assert _timed_feed(client, carol) == [p3["id"], p2["id"], p1["id"]]

        # ---- Redis comes back, empty
        private_redis.start()
        eventually(lambda: _equal(_health(client), {"status": "ok"}), timeout=5.0)
        expected_carol = [p3["id"], p2["id"], p1["id"]]
        eventually(lambda: _equal(_timed_feed(client, bob), expected_bob), timeout=5.0)
        eventually(lambda: _equal(_timed_feed(client, carol), expected_carol), timeout=5.0)
        assert _timed_feed(client, alice) == [p3["id"], p2["id"], p1["id"]]

        # Posting after the recovery reaches the followers through fanout: their feeds were
        # rebuilt in Redis by the reads above, so only a push can bring the new post.
        p4 = post_tweet(client, alice, "four, after the recovery")
        eventually(lambda: _equal(_timed_feed(client, bob), [p4["id"], *expected_bob]), 5.0)
        eventually(lambda: _equal(_timed_feed(client, carol), [p4["id"], *expected_carol]), 5.0)
        assert store.zscore(bob_feed, feed_member(p4["id"])) == 0
        assert get_page(client, "/feed", bob)["items"][0] == p4
        # A new follow after the recovery is backfilled as usual.
        d2 = post_tweet(client, dave, "dave again")
        follow(client, carol, dave.handle)
        eventually(
            lambda: _equal(
                _timed_feed(client, carol),
                [d2["id"], p4["id"], p3["id"], d1["id"], p2["id"], p1["id"]],
            ),
            timeout=5.0,
        )
        api.assert_running()
    finally:
        store.close()


# --------------------------------------------------------------------------------------------
# 4. Redis goes away and comes back with its data


def _dead_letters(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT consumer, event_type, payload, error FROM dead_letters ORDER BY id"
        ).fetchall()


def test_what_happens_while_redis_is_away_reaches_the_feeds_it_kept(
    start_server: ServerFactory, private_redis: RedisServer, postgres_url: str
) -> None:
    """Redis back with its data (restarted from its snapshot, a promoted replica, or a network
    partition healed): the feeds it kept must catch up with what was done meanwhile, since
    "events wait in the outbox" and "the relay catches up from the outbox" (README)."""
    prefix = "roost-e2e-away:"
    api = start_server(postgres_url, env=scaled_env(private_redis.url, prefix, 1))
    client = api.client
    alice = new_account(client, "alice")
    bob = new_account(client, "bob")
    carol = new_account(client, "carol")
    follow(client, bob, alice.handle)
    p1 = post_tweet(client, alice, "one")
    p2 = post_tweet(client, alice, "two")
    c1 = post_tweet(client, carol, "carol's")
    # Bob's feed is in Redis, and its tweets in the Redis tweet cache.
    eventually(lambda: _equal(feed_ids(client, bob), [p2["id"], p1["id"]]), timeout=5.0)

    private_redis.snapshot()
    private_redis.kill()
    eventually(lambda: _equal(_health(client)["status"], "degraded"), timeout=5.0)
    p3 = post_tweet(client, alice, "three, while Redis is away")
    response = client.delete(f"/tweets/{p2['id']}", headers=alice.headers)
    assert response.status_code == 204, describe(response)
    follow(client, bob, carol.handle)
    expected = [p3["id"], c1["id"], p1["id"]]
    assert _timed_feed(client, bob) == expected  # by pull from SQL
    time.sleep(2.0)  # the outage lasts a little (longer than the consumers' retries)

    private_redis.start()
    eventually(lambda: _equal(_health(client), {"status": "ok"}), timeout=5.0)
    store = private_redis.client()
    bob_feed = home_feed_key(prefix, bob.id)
    try:
        assert store.exists(bob_feed) == 1  # the feed Redis kept is the one read from now on

        def caught_up() -> None:
            # In Redis itself (a read through the API may be served by pull from SQL while the
            # API process's connections to Redis recover), and through the API.
            kept = [m.decode() for m in store.zrevrange(bob_feed, 0, -2)]
            found = _timed_feed(client, bob)
            wanted = [feed_member(i) for i in expected]
            assert (kept, found) == (wanted, expected), (
                f"bob's feed in Redis {kept} and through the API {found}, expected {wanted}"
                " (p3 posted, p2 deleted and carol followed while Redis was away); dead letters:"
                f" {_dead_letters(postgres_url)}"
            )

        eventually(caught_up, timeout=8.0, interval=0.2)
        p4 = post_tweet(client, alice, "four, after Redis is back")
        eventually(lambda: _equal(_timed_feed(client, bob), [p4["id"], *expected]), timeout=5.0)
        assert _dead_letters(postgres_url) == []
    finally:
        store.close()

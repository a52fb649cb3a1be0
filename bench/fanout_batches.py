"""Fanout of new posts by one worker process, base tree against this one, in one session.

    mkdir -p /tmp/roost-base
    git archive "$(git merge-base main fanout)" src | tar -x -C /tmp/roost-base
    .venv/bin/python bench/fanout_batches.py /tmp/roost-base/src [rounds] [posts] [seconds]

Scaled mode (PostgreSQL + Redis, a database and a key prefix of its own, dropped afterwards).
The graph is `roost demo`'s (5,000 users, power-law followers, the 5 most followed pulled, as
`roost bench http` has it), and the home feeds of the active users are built first, so pushes
land as they do in a running system. Two measurements, base and this tree alternating:

- burst: ``posts`` new posts by random active users are written (tweet and outbox rows, 100 a
  transaction) and relayed to the stream; then a child process running the tree measured
  drains them with the fanout consumer alone: events/s, its CPU time per event, and the SQL
  round trips (statements, connection checks, BEGIN, ROLLBACK) and Redis calls it made; and
  the relay's CPU time per event, moving them from the outbox to the stream.
- paced: a writer process commits 1,000 posts/s (20 a transaction, every 20 ms: fewer, larger
  commits than POST /tweet makes, to leave the CPU to the worker) for ``seconds``, while a
  worker process of the tree measured runs the relay and the fanout consumer; the fanout lag
  quantiles (roost_fanout_lag_seconds) of the posts fanned out within GRACE seconds of the
  last one written, their share, and the worker's CPU time per post.

Each run reads the stream with a consumer group of its own, so what a run left behind does not
reach the next.

Nothing is pinned to a core: the machine is shared, so compare ratios from one session.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

import psycopg
import redis

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/0"
HERE = Path(__file__).resolve().parents[1] / "src"
USERS = 5_000
CELEBRITIES = 5
RATE = 1_000  # posts/s in the paced measurement
TICK = 0.02  # seconds between the paced writer's commits
WORKER_START = 3.0  # seconds the paced writer leaves the worker to start
GRACE = 20.0  # seconds the paced worker may take to catch up once the writer has stopped


def settings_for(database: str, **changes: Any) -> Any:
    from roost.settings import Settings

    return Settings(
        database_url=f"{POSTGRES}/{database}",
        redis_url=REDIS,
        redis_prefix=f"{database}:",
        **changes,
    )


def celebrity_threshold() -> int:
    from roost.entrypoints.demo.graph import generate

    return generate(USERS, 1).followers_of_rank(CELEBRITIES)


def active_users(database: str) -> list[int]:
    with psycopg.connect(f"{POSTGRES}/{database}") as conn:
        rows = conn.execute(
            "SELECT id FROM users WHERE last_seen_at > now() - interval '2 days' ORDER BY id"
        ).fetchall()
    return [row[0] for row in rows]


# --- the parent ---------------------------------------------------------------------------


def setup() -> str:
    database = f"roost_fanout_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    asyncio.run(_load(database))
    with psycopg.connect(f"{POSTGRES}/{database}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # as autovacuum keeps a running database
    return database


async def _load(database: str) -> None:
    from roost.bootstrap import build
    from roost.entrypoints.demo import graph, load

    settings = settings_for(database, celebrity_threshold=celebrity_threshold())
    social = graph.generate(USERS, 1)
    await load.load(settings, social)
    roost = build(settings)
    try:
        readers = active_users(database)
        for start in range(0, len(readers), 50):
            await asyncio.gather(*map(roost.home_feed.rebuild, readers[start : start + 50]))
        print(f"demo graph loaded, {len(readers)} active users' feeds built", flush=True)
    finally:
        await roost.close()


def teardown(database: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(match=f"{database}:*", count=10_000))
    for start in range(0, len(keys), 10_000):
        client.delete(*keys[start : start + 10_000])


def child(source: str, *args: object) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    env["PYTHONPATH"] = source
    command = [sys.executable, __file__, "--child", *map(str, args)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def result(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def main() -> None:
    base = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    posts = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    trees = {"base": base, "batched": str(HERE)}
    database = setup()
    try:
        found: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
        for n in range(rounds):
            for name in trees if n % 2 == 0 else reversed(list(trees)):
                burst = result(child(trees[name], "burst", database, posts, n))
                writer = child(str(HERE), "writer", database, seconds, n)
                paced = result(child(trees[name], "worker", database, seconds))
                paced |= result(writer)
                for key, value in (burst | paced).items():
                    found[name].setdefault(key, []).append(value)
                print(n + 1, name, json.dumps(burst | paced), flush=True)
        print()
        keys = list(found["base"])
        print(f"{'median of ' + str(rounds):<28}" + "".join(f"{name:>14}" for name in trees))
        for key in keys:
            row = [median(found[name][key]) for name in trees]
            print(f"{key:<28}" + "".join(f"{value:>14,.4g}" for value in row))
    finally:
        teardown(database)


# --- the children ---------------------------------------------------------------------------


async def burst(database: str, posts: int, round_: int) -> dict[str, float]:
    """Write ``posts`` posts and relay them; then time a fanout consumer draining them."""
    from roost.bootstrap import build
    from roost.entrypoints.workers.consumer import ConsumerLoop

    roost = build(settings_for(database, consumer_poll_seconds=0.001))
    try:
        specs = {spec.name: spec for spec in roost.consumers}
        group = await _fresh_group(roost, specs["relay"])
        await Posts(database, 901, round_).write(roost, posts, 100)
        relayed = await _drain_relay(roost, specs["relay"])
        spec = specs["fanout"]
        fanout = ConsumerLoop(
            group,
            spec.source,
            spec.handler,
            None,
            poll_seconds=0.001,
            batch_handler=spec.batch_handler,
        )
        calls = _count_round_trips(roost)
        cpu, wall = time.process_time(), time.perf_counter()
        handled = await fanout.drain()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert handled == posts, handled
        return {
            "burst events/s": handled / wall,
            "burst CPU us/event": cpu / handled * 1e6,
            "burst SQL trips/event": calls["sql"] / handled,
            "burst Redis trips/event": calls["redis"] / handled,
            "relay CPU us/event": relayed / posts * 1e6,
        }
    finally:
        await roost.close()


async def writer(database: str, seconds: float, round_: int) -> dict[str, float]:
    """RATE posts a second for ``seconds``, once the worker has started."""
    from roost.bootstrap import build

    roost = build(settings_for(database))
    try:
        posts = Posts(database, 902, 1000 + round_)
        per_tick = round(RATE * TICK)
        await asyncio.sleep(WORKER_START)
        started = time.perf_counter()
        for tick in range(round(seconds / TICK)):
            await asyncio.sleep(max(0.0, started + tick * TICK - time.perf_counter()))
            await posts.write(roost, per_tick, per_tick)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.1)  # the doorbells' messages go out
        return {"paced writer posts/s": round(seconds / TICK) * per_tick / elapsed}
    finally:
        await roost.close()


async def worker(database: str, seconds: float) -> dict[str, float]:
    """The relay and a fanout consumer, as `roost worker` runs them, until every post written
    meanwhile is fanned out (or GRACE seconds after the writer stopped); then the fanout lag
    the posts saw and the CPU time the process spent."""
    from prometheus_client import generate_latest

    from roost.bootstrap import build
    from roost.entrypoints.bench.lag import METRIC, lag_buckets, observed, quantile
    from roost.entrypoints.workers.consumer import ConsumerLoop

    roost = build(settings_for(database))
    roost.start()
    try:
        specs = {spec.name: spec for spec in roost.consumers}
        group = await _fresh_group(roost, specs["relay"])
        loops = [
            ConsumerLoop(
                name,
                spec.source,
                spec.handler,
                spec.wakeup,
                poll_seconds=roost.settings.consumer_poll_seconds,
                batch_handler=spec.batch_handler,
            )
            for name, spec in (("relay", specs["relay"]), (group, specs["fanout"]))
        ]
        before = lag_buckets(generate_latest(roost.metrics))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        tasks = [asyncio.create_task(loop.run()) for loop in loops]
        deadline = time.perf_counter() + WORKER_START + seconds + GRACE
        expected = round(seconds / TICK) * round(RATE * TICK)
        counted = before.get(math.inf, 0.0) + expected
        while (roost.metrics.get_sample_value(f"{METRIC}_count") or 0.0) < counted:
            await asyncio.sleep(0.2)  # not parsing the exposition: that would cost the worker
            if time.perf_counter() > deadline:
                break
        after = lag_buckets(generate_latest(roost.metrics))
        used = resource.getrusage(resource.RUSAGE_SELF)
        for loop in loops:
            loop.stop()
        await asyncio.wait(tasks, timeout=5)
        cpu = used.ru_utime + used.ru_stime - usage.ru_utime - usage.ru_stime
        count = observed(before, after)
        return {
            "paced share fanned out": count / expected,
            "paced lag p50 s": quantile(before, after, 0.5) or 0.0,
            "paced lag p99 s": quantile(before, after, 0.99) or 0.0,
            "paced worker CPU us/post": cpu / max(count, 1) * 1e6,
        }
    finally:
        await roost.close()


async def _fresh_group(roost: Any, relay: Any) -> str:
    """A fanout consumer group of this run's own, reading from the stream's end once the relay
    has caught up: a run cut short leaves nothing to the next."""
    from roost.adapters.redis.keys import Keys

    await _drain_relay(roost, relay)
    group = f"fanout-{uuid.uuid4().hex[:8]}"
    stream = Keys(roost.settings.redis_prefix).events
    await roost.redis.xgroup_create(stream, group, id="$", mkstream=True)
    return group


async def _drain_relay(roost: Any, relay: Any) -> float:
    """Relay every event committed so far; returns the CPU time the relay spent. On PostgreSQL
    an event is readable once every older writing transaction of the server has ended
    (docs/design.md): other databases' work can hold it back, so wait for the backlog to be
    empty, not for one empty read (the waiting is not counted)."""
    from roost.entrypoints.workers.consumer import ConsumerLoop

    loop = ConsumerLoop(
        "relay",
        relay.source,
        relay.handler,
        None,
        poll_seconds=0.001,
        batch_handler=relay.batch_handler,
    )
    deadline = time.perf_counter() + 60
    cpu = 0.0
    while True:
        started = time.process_time()
        relayed = await loop.drain()
        cpu += time.process_time() - started
        if not relayed and not await roost.outbox.backlog("relay"):
            return cpu
        assert time.perf_counter() < deadline, "events stayed unreadable in the outbox"
        await asyncio.sleep(0.02)


class Posts:
    """New posts by random active users, with their events, as POST /tweet writes them (but
    many a transaction, and each transaction's tweets in one statement: the writer must not
    be what limits the rate)."""

    def __init__(self, database: str, worker_id: int, seed: int) -> None:
        from roost.domain.ids import IdGenerator

        self._authors = active_users(database)
        self._ids = IdGenerator(worker_id)
        self._rng = random.Random(seed)  # noqa: S311 (the same authors for both trees)

    async def write(self, roost: Any, posts: int, per_transaction: int) -> None:
        from datetime import UTC, datetime

        from roost.adapters.redis.keys import Keys
        from roost.adapters.sql.outbox import SqlOutbox
        from roost.adapters.sql.tables import tweets
        from roost.domain import events

        for start in range(0, posts, per_transaction):
            outbox, rows = SqlOutbox(), []
            now = datetime.now(UTC)
            for _ in range(min(per_transaction, posts - start)):
                author_id, tweet_id = self._rng.choice(self._authors), self._ids.next_id()
                rows.append({"id": tweet_id, "author_id": author_id, "content": "a post"})
                outbox.add(events.tweet_created(tweet_id, author_id))
            async with roost.engines.writer.begin() as conn:
                await conn.execute(tweets.insert().values(created_at=now), rows)
                await outbox.flush(conn, now)
            await roost.redis.publish(Keys(roost.settings.redis_prefix).signals, "outbox:")


def _count_round_trips(roost: Any) -> dict[str, int]:
    """SQL round trips and Redis calls (commands, pipelines, scripts) from now on."""
    from redis.asyncio.client import Pipeline
    from sqlalchemy import event

    calls = {"sql": 0, "redis": 0}

    def sql(*_: object) -> None:
        calls["sql"] += 1

    # a statement each, and a unit of work's connection (its pre-ping), BEGIN and ROLLBACK
    for engine in {roost.engines.reader, roost.engines.writer}:
        for name in ("before_cursor_execute", "checkout", "begin", "commit", "rollback"):
            event.listen(engine.sync_engine, name, sql)
    command, pipeline = roost.redis.execute_command, Pipeline.execute

    async def counted_command(*args: Any, **options: Any) -> Any:
        calls["redis"] += 1
        return await command(*args, **options)

    async def counted_pipeline(self: Any, *args: Any, **options: Any) -> Any:
        calls["redis"] += 1
        return await pipeline(self, *args, **options)

    roost.redis.execute_command = counted_command
    Pipeline.execute = counted_pipeline  # type: ignore[method-assign]
    return calls


def run_child(kind: str, args: list[str]) -> None:
    import roost

    assert Path(roost.__file__).is_relative_to(Path(os.environ["PYTHONPATH"])), roost.__file__
    if kind == "burst":
        found = asyncio.run(burst(args[0], int(args[1]), int(args[2])))
    elif kind == "writer":
        found = asyncio.run(writer(args[0], float(args[1]), int(args[2])))
    else:
        found = asyncio.run(worker(args[0], float(args[1])))
    print(json.dumps(found), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        run_child(sys.argv[2], sys.argv[3:])
    else:
        main()

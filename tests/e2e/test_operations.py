"""What operators use: Prometheus metrics, and rebuilding feeds from the command line."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from roost.adapters.sql.engine import create_engines
from roost.adapters.sql.outbox import SqlEventSource

from .support import (
    Server,
    ServerFactory,
    eventually,
    feed_ids,
    follow,
    new_account,
    post_tweet,
    roost_environment,
)


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} is not in the metrics")


def test_metrics_count_fanout_work(start_server: ServerFactory, database_url: str) -> None:
    server: Server = start_server(database_url)
    author = new_account(server.client, "author")
    fan = new_account(server.client, "fan")
    follow(server.client, fan, author.handle)
    # Fanout must be done with the follow before the post, and with the post before the fan
    # reads: else the follow's backfill, or a read that rebuilds the feed, brings the post in
    # and leaves the push nothing to insert (on a busy PostgreSQL server events are late).
    eventually(lambda: _assert_fanout_caught_up(database_url), timeout=10)
    tweet = post_tweet(server.client, author, "counted")
    eventually(lambda: _assert_fanout_caught_up(database_url), timeout=10)
    assert tweet["id"] in feed_ids(server.client, fan)

    response = server.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _metric(text, "roost_fanout_inserts_total") == 1  # the fan (the author had it at once)
    assert _metric(text, "roost_fanout_lag_seconds_count") >= 1
    assert _metric(text, 'roost_fanout_skipped_total{reason="inactive"}') == 0


def test_feeds_rebuild_from_the_command_line(
    start_server: ServerFactory, database_url: str
) -> None:
    server = start_server(database_url)
    author = new_account(server.client, "author")
    fan = new_account(server.client, "fan")
    follow(server.client, fan, author.handle)
    tweet = post_tweet(server.client, author, "kept through a rebuild")
    eventually(lambda: _assert_in(tweet["id"], feed_ids(server.client, fan)))

    env = roost_environment(database_url, {})
    one = _roost(env, "feeds", "rebuild", "--user", fan.handle)
    assert f"rebuilt the feed of @{fan.handle}" in one.stdout
    everyone = _roost(env, "feeds", "rebuild", "--all")
    assert "rebuilt 2 feeds" in everyone.stdout
    assert feed_ids(server.client, fan) == [tweet["id"]]
    unknown = subprocess.run(
        [sys.executable, "-m", "roost", "feeds", "rebuild", "--user", "nobody_here"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode != 0


def _roost(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "roost", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _assert_fanout_caught_up(database_url: str) -> None:
    async def backlog() -> int:
        engines = create_engines(database_url)
        try:
            return await SqlEventSource(engines).backlog("fanout")
        finally:
            await engines.dispose()

    assert asyncio.run(backlog()) == 0


def _assert_in(item: object, items: list[str]) -> None:
    assert item in items


def test_metrics_cover_requests_backlogs_and_errors(api: Server) -> None:
    reader = new_account(api.client, "reader")
    feed_ids(api.client, reader)
    response = api.client.get("/feed", headers={**reader.headers, "X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    generated = api.client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    text = api.client.get("/metrics").text
    feed = 'roost_http_requests_total{method="GET",route="/feed",status="200"}'
    assert _metric(text, feed) >= 2
    assert _metric(text, "roost_feed_read_seconds_count") >= 2
    assert _metric(text, 'roost_store_errors_total{store="sql"}') == 0
    for name in (
        "roost_http_request_duration_seconds_bucket",
        "roost_outbox_backlog_events",
        "roost_consumer_backlog_events",
        "roost_tweet_cache_hit_ratio",
        *(
            ['roost_consumer_backlog_events{consumer="usage"}']
            if api.env.get("ROOST_REDIS_URL")
            else []
        ),
    ):
        eventually(lambda name=name: _metric(api.client.get("/metrics").text, name), timeout=10)

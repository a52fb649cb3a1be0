"""Analytics over HTTP, on every backend: stats for authors, users and admins, exactly counted."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from .support import (
    Account,
    Server,
    assert_error,
    eventually,
    feed_ids,
    follow,
    new_account,
    post_tweet,
)


def _stats(api: Server, viewer: Account, tweet_id: str) -> dict[str, Any]:
    response = api.client.get(f"/tweets/{tweet_id}/stats", headers=viewer.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _roost(api: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roost", *args],
        env=api.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_tweet_counts_its_impressions_and_replies(api: Server) -> None:
    author = new_account(api.client, "author")
    fan = new_account(api.client, "fan")
    follow(api.client, fan, author.handle)
    tweet = post_tweet(api.client, author, "counted")
    post_tweet(api.client, fan, "a reply", in_reply_to=tweet["id"])
    eventually(lambda: _assert_equal(_stats(api, author, tweet["id"])["replies"], 1), timeout=10)

    seen_in_feed = 0

    def read_feed_until_the_tweet_is_there() -> None:
        nonlocal seen_in_feed
        if tweet["id"] in feed_ids(api.client, fan):
            seen_in_feed += 1
            return
        raise AssertionError("not fanned out yet")

    eventually(read_feed_until_the_tweet_is_there, timeout=10)
    for _ in range(2):
        assert api.client.get(f"/users/{author.handle}/tweets", headers=fan.headers).is_success
    expected = {"impressions": seen_in_feed + 2, "likes": 0, "replies": 1, "reposts": 0}
    eventually(lambda: _assert_equal(_stats(api, author, tweet["id"]), expected), timeout=5)

    days = api.client.get(f"/users/{author.handle}/stats?days=2", headers=author.headers).json()
    assert days["handle"] == author.handle
    assert len(days["days"]) == 2
    assert sum(day["posts"] for day in days["days"]) == 1
    assert sum(day["followers_gained"] for day in days["days"]) == 1
    assert sum(day["followers_lost"] for day in days["days"]) == 0
    assert sum(day["impressions"] for day in days["days"]) == seen_in_feed + 2


def test_stats_are_for_their_owner(api: Server) -> None:
    author = new_account(api.client, "author")
    other = new_account(api.client, "other")
    tweet = post_tweet(api.client, author, "mine")
    assert_error(
        api.client.get(f"/tweets/{tweet['id']}/stats", headers=other.headers), 403, "forbidden"
    )
    assert_error(api.client.get("/tweets/1/stats", headers=author.headers), 404, "not_found")
    assert_error(api.client.get(f"/tweets/{tweet['id']}/stats"), 401, "unauthorized")
    mine = f"/users/{author.handle}/stats"
    assert_error(api.client.get(mine, headers=other.headers), 403, "forbidden")
    assert_error(api.client.get(mine + "?days=0", headers=author.headers), 422, "invalid_request")


def test_admins_see_the_overview_and_forecast(api: Server) -> None:
    admin = new_account(api.client, "admin")
    post_tweet(api.client, admin, "counted in the overview")
    overview = "/analytics/overview?days=3"
    forecast = "/analytics/forecast?horizon=24h"
    assert_error(api.client.get(overview, headers=admin.headers), 403, "forbidden")
    assert_error(api.client.get(forecast, headers=admin.headers), 403, "forbidden")

    granted = _roost(api, "admin", "grant", admin.handle)
    assert granted.returncode == 0, granted.stderr[-2000:]

    def posts_counted() -> dict[str, Any]:
        body: dict[str, Any] = api.client.get(overview, headers=admin.headers).json()
        assert body["days"][-1]["posts"] >= 1
        assert body["days"][-1]["active_users"] >= 1
        return body

    body = eventually(posts_counted, timeout=10)
    assert [set(day) for day in body["days"]] == [
        {"day", "active_users", "posts", "follows", "feed_reads", "impressions", "requests"}
    ] * 3
    predicted = api.client.get(forecast, headers=admin.headers).json()
    assert predicted["horizon_hours"] == 24
    assert len(predicted["hours"]) == 24
    assert predicted["method"]
    assert all(hour["requests_per_second"] >= 0 for hour in predicted["hours"])
    assert_error(api.client.get(forecast + "x", headers=admin.headers), 422, "invalid_request")


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected

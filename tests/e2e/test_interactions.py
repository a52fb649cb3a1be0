"""Likes, reposts, replies, mentions and notifications over HTTP, on every backend (SQLite,
PostgreSQL, scaled), with the live stream read by a real SSE client."""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from .support import (
    Account,
    Server,
    ServerFactory,
    SseListener,
    WorkerFactory,
    assert_error,
    assert_page,
    assert_tweet,
    assert_user,
    describe,
    eventually,
    feed_ids,
    follow,
    get_page,
    new_account,
    post_tweet,
    scaled_env,
)

REDIS_URL = os.environ.get("ROOST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIVE_WITHIN = 1.0  # seconds from the action to its notification on an open stream


def like(client: httpx.Client, account: Account, tweet_id: str) -> None:
    response = client.post(f"/tweets/{tweet_id}/like", headers=account.headers)
    assert response.status_code == 204, describe(response)


def repost(client: httpx.Client, account: Account, tweet_id: str, status: int = 201) -> Any:
    response = client.post(f"/tweets/{tweet_id}/repost", headers=account.headers)
    assert response.status_code == status, describe(response)
    body = response.json()
    assert_tweet(body)
    return body


def counts(client: httpx.Client, viewer: Account, tweet_id: str) -> Any:
    response = client.get(f"/tweets/{tweet_id}", headers=viewer.headers)
    assert response.status_code == 200, describe(response)
    return response.json()


def _counted(tweet: Any, likes: int, reposts: int) -> Any:
    assert (tweet["like_count"], tweet["repost_count"]) == (likes, reposts)
    return tweet


def notifications(client: httpx.Client, account: Account, **params: Any) -> list[Any]:
    items: list[Any] = get_page(client, "/notifications", account, **params)["items"]
    return items


def unread(client: httpx.Client, account: Account) -> int:
    response = client.get("/notifications/unread_count", headers=account.headers)
    assert response.status_code == 200, describe(response)
    count: int = response.json()["count"]
    return count


def test_likes_and_reposts_follow_their_contract(api: Server) -> None:
    client = api.client
    alice, bob, carol = new_account(client), new_account(client), new_account(client)
    follow(client, carol, bob.handle)
    post = post_tweet(client, alice, "share this")
    assert (post["like_count"], post["liked"], post["repost_of"]) == (0, False, None)

    like(client, bob, post["id"])
    like(client, bob, post["id"])  # idempotent
    assert counts(client, bob, post["id"])["liked"] is True  # at once, for the liker
    eventually(lambda: _equal(counts(client, bob, post["id"])["like_count"], 1))

    shared = repost(client, bob, post["id"])
    assert shared["author"]["id"] == bob.id
    assert shared["repost_of"]["id"] == post["id"]
    assert shared["reposted"] is True
    eventually(lambda: _equal(counts(client, bob, shared["id"])["repost_count"], 1))
    assert repost(client, bob, shared["id"], status=200)["id"] == shared["id"]
    eventually(lambda: _equal(feed_ids(client, carol), [shared["id"]]))

    undo = client.delete(f"/tweets/{post['id']}/repost", headers=bob.headers)
    assert undo.status_code == 204, describe(undo)
    unlike = client.delete(f"/tweets/{post['id']}/like", headers=bob.headers)
    assert unlike.status_code == 204, describe(unlike)
    eventually(lambda: _equal(feed_ids(client, carol), []))
    seen = eventually(lambda: _counted(counts(client, carol, post["id"]), 0, 0))
    assert (seen["liked"], seen["reposted"]) == (False, False)

    assert_error(client.post("/tweets/123/like", headers=bob.headers), 404, "not_found")
    assert_error(client.post("/tweets/123/repost", headers=bob.headers), 404, "not_found")
    assert_error(client.post("/tweets/x/like", headers=bob.headers), 404, "not_found")
    assert_error(client.post(f"/tweets/{post['id']}/like"), 401, "unauthorized")


def test_replies_and_mentions_are_listed(api: Server) -> None:
    client = api.client
    alice, bob = new_account(client), new_account(client)
    post = post_tweet(client, alice, f"question for @{bob.handle}")
    answer = post_tweet(client, bob, "answer", in_reply_to=post["id"])
    replies = get_page(client, f"/tweets/{post['id']}/replies", alice)
    assert [r["id"] for r in replies["items"]] == [answer["id"]]
    assert_tweet(replies["items"][0])
    eventually(lambda: _equal(counts(client, bob, post["id"])["reply_count"], 1))
    mentions = get_page(client, "/mentions", bob)
    assert [m["id"] for m in mentions["items"]] == [post["id"]]
    assert get_page(client, "/mentions", alice)["items"] == []

    gone = client.delete(f"/tweets/{post['id']}", headers=alice.headers)
    assert gone.status_code == 204, describe(gone)
    late = client.post(
        "/tweet", json={"content": "late", "in_reply_to": post["id"]}, headers=bob.headers
    )
    assert_error(late, 404, "not_found")
    assert_error(client.get(f"/tweets/{post['id']}/replies", headers=bob.headers), 404, "not_found")


def test_every_interaction_notifies_live_in_the_list_and_the_unread_count(api: Server) -> None:
    client = api.client
    alice, bob = new_account(client, "alice"), new_account(client, "bob")
    post = post_tweet(client, alice, "notify me")
    actions = [
        ("follow", lambda: follow(client, bob, alice.handle)),
        ("like", lambda: like(client, bob, post["id"])),
        ("repost", lambda: repost(client, bob, post["id"])),
        ("reply", lambda: post_tweet(client, bob, "re", in_reply_to=post["id"])),
        ("mention", lambda: post_tweet(client, bob, f"hey @{alice.handle}")),
    ]
    with SseListener(api.url, alice) as stream:
        for count, (kind, act) in enumerate(actions, start=1):
            started = time.monotonic()
            act()
            received = stream.next("notification")
            assert received.data["type"] == kind
            assert received.data["actor"]["id"] == bob.id
            assert received.at - started < LIVE_WITHIN, f"{kind} took {received.at - started}s"
            assert received.id == received.data["id"]
            assert unread(client, alice) == count
            assert notifications(client, alice)[0]["id"] == received.id
    listed = notifications(client, alice)
    assert [n["type"] for n in listed] == [kind for kind, _ in reversed(actions)]
    for n in listed:
        assert_user(n["actor"], handle=bob.handle)
        assert n["read"] is False
    assert listed[0]["tweet"]["content"] == f"hey @{alice.handle}"
    assert listed[-1]["tweet"] is None

    marked = client.post(
        "/notifications/read", json={"up_to": listed[1]["id"]}, headers=alice.headers
    )
    assert marked.status_code == 204, describe(marked)
    assert unread(client, alice) == 1
    assert_error(
        client.post("/notifications/read", json={"up_to": "x"}, headers=alice.headers),
        422,
        "invalid_request",
    )


def test_a_stream_replays_what_it_missed_and_shows_new_feed_entries(api: Server) -> None:
    client = api.client
    alice, bob = new_account(client), new_account(client)
    follow(client, alice, bob.handle)
    with SseListener(api.url, alice) as stream:
        follow(client, bob, alice.handle)
        first = stream.next("notification")
        started = time.monotonic()
        post = post_tweet(client, bob, "fresh")
        entry = stream.next("feed")
        assert entry.data["id"] == post["id"]
        assert_tweet(entry.data)
        assert entry.at - started < LIVE_WITHIN
    like(client, bob, post_tweet(client, alice, "missed one")["id"])
    eventually(lambda: _equal(unread(client, alice), 2))
    with SseListener(api.url, alice, last_event_id=first.id) as again:
        missed = again.next("notification")
        assert missed.data["type"] == "like"
        assert int(missed.id) > int(first.id)


def test_grouped_notifications(api: Server) -> None:
    client = api.client
    alice = new_account(client)
    post = post_tweet(client, alice, "group me")
    fans = [new_account(client) for _ in range(4)]
    for fan in fans:
        like(client, fan, post["id"])
    eventually(lambda: _equal(unread(client, alice), 4))
    body = get_page(client, "/notifications", alice, grouped="true")
    assert_page(body)
    [group] = body["items"]
    assert (group["type"], group["count"], group["tweet"]["id"]) == ("like", 4, post["id"])
    assert [a["id"] for a in group["actors"]] == [f.id for f in reversed(fans)][:3]
    assert group["read"] is False


def test_the_stream_needs_a_token(api: Server) -> None:
    assert_error(api.client.get("/stream"), 401, "unauthorized")


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


def test_a_stream_on_one_api_process_hears_what_is_done_through_another(
    redis_prefix: str,
    start_server: ServerFactory,
    start_worker: WorkerFactory,
    postgres_url: str,
) -> None:
    def env(worker_id: int) -> dict[str, str]:
        return scaled_env(REDIS_URL, redis_prefix, worker_id)

    api1 = start_server(postgres_url, "--no-consumers", env=env(1))
    api2 = start_server(postgres_url, "--no-consumers", env=env(2))
    start_worker(postgres_url, env=env(3))
    alice, bob = new_account(api1.client), new_account(api2.client)
    post = post_tweet(api1.client, alice, "across processes")
    follow(api1.client, alice, bob.handle)
    with SseListener(api1.url, alice) as stream:
        started = time.monotonic()
        like(api2.client, bob, post["id"])
        received = stream.next("notification")
        assert (received.data["type"], received.data["actor"]["id"]) == ("like", bob.id)
        assert received.at - started < LIVE_WITHIN
        started = time.monotonic()
        fresh = post_tweet(api2.client, bob, "seen live on the other process")
        entry = stream.next("feed")
        assert entry.data["id"] == fresh["id"]
        assert entry.at - started < LIVE_WITHIN

"""The home feed: own posts at once, followed users' posts by fanout, paging, trimming."""

from __future__ import annotations

import time

import pytest

from .support import (
    Account,
    Server,
    ServerFactory,
    assert_error,
    assert_newest_first,
    assert_tweet,
    collect_pages,
    eventually,
    feed_ids,
    follow,
    get_page,
    ids,
    new_account,
    post_tweet,
    unfollow,
)


def _assert_feed(api: Server, viewer: Account, expected: list[str]) -> None:
    actual = feed_ids(api.client, viewer)
    assert actual == expected


def test_own_post_is_in_the_feed_at_once(api: Server) -> None:
    alice = new_account(api.client, "alice")
    assert get_page(api.client, "/feed", alice) == {"items": [], "next_cursor": None}
    for n in range(3):
        tweet = post_tweet(api.client, alice, f"post {n}")
        # No polling: visible in the very next request.
        body = get_page(api.client, "/feed", alice)
        assert body["items"][0] == tweet
        assert len(body["items"]) == n + 1
    for item in body["items"]:
        assert_tweet(item)
        assert item["author"]["id"] == alice.id


def test_followed_users_posts_arrive_by_fanout(api: Server) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    carol = new_account(api.client, "carol")
    stranger = new_account(api.client, "stranger")
    follow(api.client, alice, bob.handle)
    follow(api.client, alice, carol.handle)

    a1 = post_tweet(api.client, alice, "a1")
    s1 = post_tweet(api.client, stranger, "s1")
    b1 = post_tweet(api.client, bob, "b1")
    c1 = post_tweet(api.client, carol, "c1")
    a2 = post_tweet(api.client, alice, "a2")
    b2 = post_tweet(api.client, bob, "b2")

    expected = [b2["id"], a2["id"], c1["id"], b1["id"], a1["id"]]
    eventually(lambda: _assert_feed(api, alice, expected))

    body = get_page(api.client, "/feed", alice)
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[b1["id"]] == b1  # the same tweet object everywhere
    assert s1["id"] not in by_id
    # The followed users' feeds hold only their own posts (they follow nobody).
    assert feed_ids(api.client, bob) == [b2["id"], b1["id"]]
    assert feed_ids(api.client, carol) == [c1["id"]]
    assert feed_ids(api.client, stranger) == [s1["id"]]


def test_fanout_reaches_every_follower(api: Server) -> None:
    author = new_account(api.client, "author")
    fans = [new_account(api.client, "fan") for _ in range(5)]
    for fan in fans:
        follow(api.client, fan, author.handle)
    posts = [post_tweet(api.client, author, f"to all {n}") for n in range(3)]
    expected = list(reversed(ids(posts)))

    def everyone_has_them() -> None:
        for fan in fans:
            assert feed_ids(api.client, fan) == expected

    eventually(everyone_has_them)


def test_follow_backfills_and_unfollow_removes(api: Server) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    a1 = post_tweet(api.client, alice, "a1")
    bobs = [post_tweet(api.client, bob, f"b{n}") for n in range(3)]
    a2 = post_tweet(api.client, alice, "a2")
    assert feed_ids(api.client, alice) == [a2["id"], a1["id"]]

    follow(api.client, alice, bob.handle)
    everything = [a2["id"], *reversed(ids(bobs)), a1["id"]]
    eventually(lambda: _assert_feed(api, alice, everything))

    b3 = post_tweet(api.client, bob, "b3")
    eventually(lambda: _assert_feed(api, alice, [b3["id"], *everything]))

    unfollow(api.client, alice, bob.handle)
    eventually(lambda: _assert_feed(api, alice, [a2["id"], a1["id"]]))

    # Posts made after the unfollow do not arrive.
    post_tweet(api.client, bob, "b4")
    time.sleep(1.0)  # fanout delivers within a second
    assert feed_ids(api.client, alice) == [a2["id"], a1["id"]]

    # Following again brings them all back, exactly once each.
    follow(api.client, alice, bob.handle)

    def all_back() -> None:
        actual = feed_ids(api.client, alice)
        assert len(actual) == len(set(actual)) == 7
        assert a2["id"] in actual
        assert b3["id"] in actual

    eventually(all_back)


def test_feed_pages_are_stable_while_new_posts_arrive(api: Server) -> None:
    alice = new_account(api.client, "alice")
    original = ids([post_tweet(api.client, alice, f"original {n}") for n in range(25)])
    newer: list[str] = []

    def post_more(page_number: int) -> None:
        for n in range(2):
            newer.append(post_tweet(api.client, alice, f"new {page_number}.{n}")["id"])

    pages = collect_pages(api.client, "/feed", alice, limit=7, between_pages=post_more)
    assert [len(page) for page in pages] == [7, 7, 7, 4]
    seen = [item["id"] for page in pages for item in page]
    assert seen == list(reversed(original))  # each exactly once, newest first
    assert not set(newer) & set(seen)
    assert len(newer) == 6

    # A fresh first page starts with the newest post.
    assert feed_ids(api.client, alice, limit=7) == [*reversed(newer), original[-1]]


def test_feed_pages_are_stable_while_fanout_delivers(api: Server) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    follow(api.client, alice, bob.handle)
    original = ids([post_tweet(api.client, bob, f"original {n}") for n in range(12)])
    eventually(lambda: _assert_feed(api, alice, list(reversed(original))))
    newer: list[str] = []

    def post_more(page_number: int) -> None:
        newer.append(post_tweet(api.client, bob, f"new {page_number}")["id"])
        time.sleep(0.2)  # give the fanout a chance to deliver it before the next page

    pages = collect_pages(api.client, "/feed", alice, limit=5, between_pages=post_more)
    seen = [item["id"] for page in pages for item in page]
    assert seen == list(reversed(original))
    assert [len(page) for page in pages] == [5, 5, 2]


def test_feed_limit(api: Server) -> None:
    alice = new_account(api.client, "alice")
    posted = list(reversed(ids([post_tweet(api.client, alice, f"p{n}") for n in range(25)])))

    default = get_page(api.client, "/feed", alice)
    assert ids(default["items"]) == posted[:20]  # default limit 20
    assert default["next_cursor"] is not None

    one = get_page(api.client, "/feed", alice, limit=1)
    assert ids(one["items"]) == posted[:1]
    assert one["next_cursor"] is not None

    hundred = get_page(api.client, "/feed", alice, limit=100)
    assert ids(hundred["items"]) == posted
    assert hundred["next_cursor"] is None

    # Exactly as many as there are: the only page, so no next_cursor.
    exact = get_page(api.client, "/feed", alice, limit=25)
    assert ids(exact["items"]) == posted
    assert exact["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5"])
def test_feed_rejects_bad_limits(api: Server, limit: str) -> None:
    alice = new_account(api.client, "alice")
    post_tweet(api.client, alice)
    response = api.client.get("/feed", params={"limit": limit}, headers=alice.headers)
    assert_error(response, 422, "invalid_request")


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "not-a-cursor!!", "%%%", "eyJ4IjoxfQ", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
)
def test_feed_rejects_garbage_cursors(api: Server, cursor: str) -> None:
    alice = new_account(api.client, "alice")
    post_tweet(api.client, alice)
    response = api.client.get("/feed", params={"cursor": cursor}, headers=alice.headers)
    assert_error(response, 422, "invalid_cursor")


def test_every_list_endpoint_validates_limit_and_cursor(api: Server) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    follow(api.client, alice, bob.handle)
    post_tweet(api.client, bob)
    post_tweet(api.client, alice)  # so that alice's feed has an entry without waiting
    for path in (
        "/feed",
        f"/users/{bob.handle}/tweets",
        f"/users/{bob.handle}/followers",
        f"/users/{alice.handle}/following",
    ):
        for limit in ("0", "101", "abc"):
            response = api.client.get(path, params={"limit": limit}, headers=alice.headers)
            assert_error(response, 422, "invalid_request")
        response = api.client.get(path, params={"cursor": "garbage"}, headers=alice.headers)
        assert_error(response, 422, "invalid_cursor")
        assert len(get_page(api.client, path, alice, limit="1")["items"]) == 1
        assert len(get_page(api.client, path, alice, limit="100")["items"]) >= 1


def test_feed_order_is_strictly_newest_first(api: Server) -> None:
    alice = new_account(api.client, "alice")
    others = [new_account(api.client, "other") for _ in range(3)]
    for other in others:
        follow(api.client, alice, other.handle)
    for n in range(4):
        for user in (alice, *others):
            post_tweet(api.client, user, f"round {n}")
    eventually(lambda: _assert_length(feed_ids(api.client, alice), 16))
    items = get_page(api.client, "/feed", alice, limit=100)["items"]
    assert_newest_first(items)
    assert len({item["id"] for item in items}) == 16


def _assert_length(values: list[str], length: int) -> None:
    assert len(values) == length, values


def test_feed_keeps_only_the_newest_entries(start_server: ServerFactory, database_url: str) -> None:
    server = start_server(database_url, env={"ROOST_FEED_MAX_ITEMS": "5"})
    client = server.client
    alice = new_account(client, "alice")
    bob = new_account(client, "bob")
    follow(client, alice, bob.handle)
    posted = ids([post_tweet(client, bob, f"post {n}") for n in range(8)])
    newest_five = list(reversed(posted))[:5]

    eventually(lambda: _assert_equal(feed_ids(client, alice), newest_five))
    eventually(lambda: _assert_equal(feed_ids(client, bob), newest_five))
    pages = collect_pages(client, "/feed", alice, limit=2)
    assert [item["id"] for page in pages for item in page] == newest_five

    # The author's timeline is not a feed: it keeps everything.
    timeline = get_page(client, f"/users/{bob.handle}/tweets", alice, limit=100)["items"]
    assert ids(timeline) == list(reversed(posted))

    # A backfill on follow is trimmed the same way.
    carol = new_account(client, "carol")
    follow(client, carol, bob.handle)
    eventually(lambda: _assert_equal(feed_ids(client, carol), newest_five))


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def test_feed_requires_authentication(api: Server) -> None:
    assert_error(api.client.get("/feed"), 401, "unauthorized")


@pytest.mark.parametrize(
    "query",
    ["limit=3", "", "limit=100", "limit=0", "limit=101", "limit=abc", "cursor=%21", "cursor=bad"],
)
def test_the_fast_path_answers_as_the_framework_does(api: Server, query: str) -> None:
    """GET /feed in plain form is answered in front of the framework (feed_fast_path.py); an
    extra unknown parameter sends the same request through the framework: same answer."""
    alice = new_account(api.client, "alice")
    for n in range(5):
        post_tweet(api.client, alice, f"post {n}")
    for headers in (alice.headers, {}, {"Authorization": "Bearer not-a-token"}):
        fast = api.client.get(f"/feed?{query}", headers=headers)
        framework = api.client.get(f"/feed?{query}&unknown=1", headers=headers)
        assert (fast.status_code, fast.content) == (framework.status_code, framework.content)
        for name in ("content-type", "content-length", "www-authenticate"):
            assert fast.headers.get(name) == framework.headers.get(name)

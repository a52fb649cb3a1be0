"""Block and mute over REST and GraphQL: statuses, error codes, the lists, and the next read."""

from __future__ import annotations

from typing import Any

from .support import (
    Account,
    Server,
    assert_error,
    assert_user,
    eventually,
    feed_ids,
    follow,
    get_page,
    get_user,
    new_account,
    post_tweet,
)


def hide(api: Server, method: str, who: Account, handle: str, kind: str) -> None:
    response = api.client.request(method, f"/users/{handle}/{kind}", headers=who.headers)
    assert response.status_code == 204, response.text
    assert response.content == b""


def handles(page: dict[str, Any]) -> list[str]:
    for user in page["items"]:
        assert_user(user)
    return [user["handle"] for user in page["items"]]


def test_block_over_rest(api: Server) -> None:
    alice, bob = new_account(api.client, "alice"), new_account(api.client, "bob")
    follow(api.client, alice, bob.handle)
    follow(api.client, bob, alice.handle)
    post = post_tweet(api.client, bob, "seen until blocked")
    eventually(lambda: feed_ids(api.client, alice) == [post["id"]] or None)

    for _ in range(2):  # idempotent
        hide(api, "POST", alice, bob.handle, "block")
    assert feed_ids(api.client, alice) == []  # the very next read
    assert get_user(api.client, alice, bob.handle)["followers_count"] == 0
    assert get_user(api.client, alice, alice.handle)["followers_count"] == 0
    assert handles(get_page(api.client, "/blocks", alice)) == [bob.handle]
    assert get_page(api.client, "/blocks", bob)["items"] == []
    for follower, followee in ((alice, bob), (bob, alice)):
        refused = api.client.post(f"/users/{followee.handle}/follow", headers=follower.headers)
        assert_error(refused, 403, "blocked")
    tweets = get_page(api.client, f"/users/{alice.handle}/tweets", bob)
    assert (tweets["items"], tweets["next_cursor"]) == ([], None)

    for _ in range(2):
        hide(api, "DELETE", alice, bob.handle, "block")
    assert get_page(api.client, "/blocks", alice)["items"] == []
    follow(api.client, bob, alice.handle)


def test_mute_over_rest(api: Server) -> None:
    alice, bob = new_account(api.client, "alice"), new_account(api.client, "bob")
    follow(api.client, alice, bob.handle)
    follow(api.client, bob, alice.handle)
    by_bob = post_tweet(api.client, bob, "muted soon")
    by_alice = post_tweet(api.client, alice, "still seen by bob")
    for reader in (alice, bob):
        eventually(lambda reader=reader: len(feed_ids(api.client, reader)) == 2 or None)

    for _ in range(2):
        hide(api, "POST", alice, bob.handle, "mute")
    assert feed_ids(api.client, alice) == [by_alice["id"]]
    assert feed_ids(api.client, bob) == [by_alice["id"], by_bob["id"]]
    assert handles(get_page(api.client, "/mutes", alice, limit=1)) == [bob.handle]
    assert get_user(api.client, alice, alice.handle)["following_count"] == 1

    for _ in range(2):
        hide(api, "DELETE", alice, bob.handle, "mute")
    assert get_page(api.client, "/mutes", alice)["items"] == []


def test_refusals_over_rest(api: Server) -> None:
    alice = new_account(api.client, "alice")
    for kind, code in (("block", "cannot_block_self"), ("mute", "cannot_mute_self")):
        response = api.client.post(f"/users/{alice.handle}/{kind}", headers=alice.headers)
        assert_error(response, 422, code)
        missing = api.client.post(f"/users/nobody_here/{kind}", headers=alice.headers)
        assert_error(missing, 404, "not_found")
        anonymous = api.client.post(f"/users/{alice.handle}/{kind}")
        assert_error(anonymous, 401, "unauthorized")
    assert_error(api.client.get("/blocks"), 401, "unauthorized")


def run(api: Server, who: Account, query: str) -> dict[str, Any]:
    response = api.client.post("/graphql", json={"query": query}, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_block_and_mute_over_graphql(api: Server) -> None:
    alice, bob = new_account(api.client, "alice"), new_account(api.client, "bob")
    follow(api.client, bob, alice.handle)
    for field in ("block", "mute"):
        done = run(api, alice, f'mutation {{ {field}(handle: "{bob.handle}") {{ handle }} }}')
        assert done["data"][field] == {"handle": bob.handle}
    lists = "{ blocks(first: 5) { edges { node { handle } } pageInfo { hasNextPage } } "
    lists += "mutes { edges { node { handle followersCount } } } }"
    found = run(api, alice, lists)["data"]
    assert [e["node"]["handle"] for e in found["blocks"]["edges"]] == [bob.handle]
    assert found["mutes"]["edges"] == [{"node": {"handle": bob.handle, "followersCount": 0}}]
    refused = run(api, bob, f'mutation {{ follow(handle: "{alice.handle}") {{ handle }} }}')
    assert refused["errors"][0]["extensions"]["code"] == "BLOCKED"
    self_block = run(api, alice, f'mutation {{ block(handle: "{alice.handle}") {{ handle }} }}')
    assert self_block["errors"][0]["extensions"]["code"] == "CANNOT_BLOCK_SELF"
    for field in ("unblock", "unmute"):
        done = run(api, alice, f'mutation {{ {field}(handle: "{bob.handle}") {{ handle }} }}')
        assert done["data"][field] == {"handle": bob.handle}
    assert run(api, alice, lists)["data"]["blocks"]["edges"] == []

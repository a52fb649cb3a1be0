"""`roost serve` on its second HTTP server, granian (ROOST_HTTP_SERVER=granian): the core flow
answers as on uvicorn, and SIGTERM stops the process cleanly."""

from __future__ import annotations

from .support import (
    ServerFactory,
    assert_error,
    eventually,
    feed_ids,
    follow,
    new_account,
    post_tweet,
)

GRANIAN = {"ROOST_HTTP_SERVER": "granian"}


def test_the_api_answers_on_granian(start_server: ServerFactory, database_url: str) -> None:
    api = start_server(database_url, env=GRANIAN)
    alice, bob = new_account(api.client, "alice"), new_account(api.client, "bob")
    follow(api.client, bob, alice.handle)
    post = post_tweet(api.client, alice, "served by granian")
    eventually(lambda: _assert_equal(feed_ids(api.client, bob), [post["id"]]))
    query = {"query": "{ feed(first: 5) { edges { node { id content } } } }"}
    answer = api.client.post("/graphql", json=query, headers=bob.headers).json()
    nodes = [edge["node"] for edge in answer["data"]["feed"]["edges"]]
    assert nodes == [{"id": post["id"], "content": "served by granian"}]
    too_big = api.client.post("/tweet", json={"content": "a" * 70_000}, headers=alice.headers)
    assert_error(too_big, 413, "payload_too_large")
    assert_error(api.client.get("/feed"), 401, "unauthorized")

    api.stop()
    assert api.process is not None
    assert api.process.returncode == 0


def _assert_equal(actual: list[str], expected: list[str]) -> None:
    assert actual == expected

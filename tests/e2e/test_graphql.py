"""GraphQL at /graphql, spoken to with a real GraphQL client (gql) against `roost serve`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport
from gql.transport.websockets import WebsocketsTransport
from websockets.typing import Subprotocol

from .support import (
    Account,
    Server,
    ServerFactory,
    eventually,
    follow,
    new_account,
    post_tweet,
)

SEED_QUERY = """
query feed($userID: UUID) {
    feeds(userID: $userID) {
        feeds_tweets {
            tweet_id
        }
    }
}
"""


class GraphQL:
    def __init__(self, server: Server, account: Account | None) -> None:
        headers = {} if account is None else dict(account.headers)
        self._client = Client(
            transport=HTTPXTransport(url=f"{server.url}/graphql", headers=headers, timeout=10),
            fetch_schema_from_transport=False,
        )

    def run(self, query: str, **variables: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._client.execute(
            GraphQLRequest(query, variable_values=variables or None)
        )
        return result

    def error_code(self, query: str, **variables: Any) -> str:
        with pytest.raises(TransportQueryError) as failure:
            self.run(query, **variables)
        errors = failure.value.errors or []
        assert errors, "expected a GraphQL error"
        code: str = errors[0].get("extensions", {}).get("code", "")
        return code

    def close(self) -> None:
        self._client.close_sync()


@pytest.fixture
def gql_for(api: Server) -> Iterator[Any]:
    clients: list[GraphQL] = []

    def make(account: Account | None) -> GraphQL:
        client = GraphQL(api, account)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_the_seed_query_works_as_written(api: Server, gql_for: Any) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    posts = [post_tweet(api.client, alice, f"seed {n}") for n in range(3)]
    client = gql_for(alice)

    mine = client.run(SEED_QUERY, userID=alice.user["id"])
    assert mine == {"feeds": [{"feeds_tweets": [{"tweet_id": p["id"]} for p in reversed(posts)]}]}
    assert client.run(SEED_QUERY) == mine  # userID may be omitted: the caller's feed
    assert client.error_code(SEED_QUERY, userID=bob.user["id"]) == "FORBIDDEN"


def test_feed_pages_through_a_relay_connection(api: Server, gql_for: Any) -> None:
    author = new_account(api.client, "author")
    posts = [post_tweet(api.client, author, f"paged {n}") for n in range(12)]
    client = gql_for(author)
    query = """
    query page($after: String) {
        feed(first: 5, after: $after) {
            edges { cursor node { id content author { handle displayName } } }
            pageInfo { hasNextPage endCursor }
        }
    }"""
    seen: list[str] = []
    after = None
    while True:
        feed = client.run(query, after=after)["feed"] if after else client.run(query)["feed"]
        seen += [edge["node"]["id"] for edge in feed["edges"]]
        assert all(edge["node"]["author"]["handle"] == author.handle for edge in feed["edges"])
        if not feed["pageInfo"]["hasNextPage"]:
            assert feed["pageInfo"]["endCursor"] is None
            break
        assert feed["edges"][-1]["cursor"] == feed["pageInfo"]["endCursor"]
        after = feed["pageInfo"]["endCursor"]
    assert seen == [p["id"] for p in reversed(posts)]


def test_every_mutation_and_its_errors(api: Server, gql_for: Any) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    as_alice, as_bob = gql_for(alice), gql_for(bob)

    posted = as_bob.run(
        "mutation($c: String!) { postTweet(content: $c) {"
        " id content inReplyTo author { handle } } }",
        c="hello graph",
    )["postTweet"]
    assert posted["content"] == "hello graph"
    assert posted["author"]["handle"] == bob.handle
    reply = as_alice.run(
        "mutation($c: String!, $r: ID) { postTweet(content: $c, inReplyTo: $r) { inReplyTo } }",
        c="a reply",
        r=posted["id"],
    )["postTweet"]
    assert reply["inReplyTo"] == posted["id"]

    followed = as_alice.run(
        "mutation($h: String!) { follow(handle: $h) { handle followersCount } }", h=bob.handle
    )["follow"]
    assert followed == {"handle": bob.handle, "followersCount": 1}
    following = as_alice.run(
        "query($h: String!) { following(handle: $h) { edges { node { handle } } } }",
        h=alice.handle,
    )
    assert following["following"]["edges"] == [{"node": {"handle": bob.handle}}]
    unfollowed = as_alice.run(
        "mutation($h: String!) { unfollow(handle: $h) { followersCount } }", h=bob.handle
    )
    assert unfollowed == {"unfollow": {"followersCount": 0}}

    delete = "mutation($id: ID!) { deleteTweet(id: $id) }"
    assert as_alice.error_code(delete, id=posted["id"]) == "FORBIDDEN"
    assert as_bob.run(delete, id=posted["id"]) == {"deleteTweet": True}
    assert as_bob.run("query($id: ID!) { tweet(id: $id) { id } }", id=posted["id"]) == {
        "tweet": None
    }
    assert as_bob.error_code(delete, id=posted["id"]) == "NOT_FOUND"

    post = "mutation($c: String!) { postTweet(content: $c) { id } }"
    assert as_bob.error_code(post, c="   ") == "INVALID_CONTENT"
    assert as_bob.error_code(post, c="x" * 281) == "INVALID_CONTENT"
    follow_self = "mutation($h: String!) { follow(handle: $h) { id } }"
    assert as_bob.error_code(follow_self, h=bob.handle) == "CANNOT_FOLLOW_SELF"
    assert as_bob.error_code(follow_self, h="nobody_at_all") == "NOT_FOUND"


def test_authentication_and_limits(api: Server, gql_for: Any) -> None:
    alice = new_account(api.client, "alice")
    anonymous, client = gql_for(None), gql_for(alice)
    assert anonymous.error_code("{ me { handle } }") == "UNAUTHORIZED"
    assert client.run("{ me { handle } }") == {"me": {"handle": alice.handle}}
    assert client.error_code("{ feed(first: 101) { edges { cursor } } }") == "INVALID_REQUEST"
    assert client.error_code('{ feed(after: "garbage") { edges { cursor } } }') == "INVALID_CURSOR"

    page = "feed(first: 100) { edges { cursor node { id content author { handle } } } }"
    costly = "{ " + " ".join(f"f{n}: {page}" for n in range(12)) + " }"
    assert client.error_code(costly) == "QUERY_TOO_COSTLY"


def test_introspection_can_be_switched_off(start_server: ServerFactory, database_url: str) -> None:
    server = start_server(database_url, env={"ROOST_GRAPHQL_INTROSPECTION": "false"})
    account = new_account(server.client, "closed")
    client = GraphQL(server, account)
    try:
        with pytest.raises(TransportQueryError, match="introspection"):
            client.run("{ __schema { types { name } } }")
        assert client.run("{ me { handle } }") == {"me": {"handle": account.handle}}
    finally:
        client.close()


def test_compiled_queries_answer_as_the_generic_path_did(api: Server) -> None:
    author = new_account(api.client, "compiled")
    post_tweet(api.client, author, "compiled path")
    query = "{ feed(first: 5) { edges { node { id content } } pageInfo { hasNextPage } } }"
    answers = [
        api.client.post("/graphql", json={"query": query}, headers=author.headers).json()
        for _ in range(3)  # the first runs generic and compiles; the others take the fast path
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["data"]["feed"]["edges"][0]["node"]["content"] == "compiled path"
    anonymous = api.client.post("/graphql", json={"query": query})
    assert anonymous.status_code == 200
    assert anonymous.json()["data"] is None
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHORIZED"
    assert anonymous.json()["errors"][0]["path"] == ["feed"]
    huge = api.client.post(
        "/graphql",
        json={"query": query, "variables": {"pad": "x" * 70_000}},
        headers=author.headers,
    )
    assert huge.status_code == 413


def test_likes_reposts_and_notifications_through_graphql(api: Server, gql_for: Any) -> None:
    alice, bob = new_account(api.client), new_account(api.client)
    post = post_tweet(api.client, alice, f"graphql @{bob.handle}")
    as_bob = gql_for(bob)
    fields = "id likeCount repostCount liked reposted repostOf { id likeCount }"
    liked = as_bob.run(f"mutation($id: ID!) {{ likeTweet(id: $id) {{ {fields} }} }}", id=post["id"])
    assert liked["likeTweet"]["id"] == post["id"]
    assert (liked["likeTweet"]["liked"], liked["likeTweet"]["repostOf"]) == (True, None)
    shared = as_bob.run(f"mutation($id: ID!) {{ repost(id: $id) {{ {fields} }} }}", id=post["id"])
    assert shared["repost"]["repostOf"]["id"] == post["id"]
    assert shared["repost"]["reposted"] is True

    def counted() -> None:  # the counts follow from the events
        found = as_bob.run(f'{{ tweet(id: "{post["id"]}") {{ likeCount repostCount }} }}')
        assert found["tweet"] == {"likeCount": 1, "repostCount": 1}

    eventually(counted)
    mentions = as_bob.run("{ mentions(first: 5) { edges { node { id } } } }")
    assert [e["node"]["id"] for e in mentions["mentions"]["edges"]] == [post["id"]]
    assert gql_for(bob).error_code('mutation { likeTweet(id: "1") { id } }') == "NOT_FOUND"

    as_alice = gql_for(alice)
    query = """{ unreadNotificationCount notifications(first: 10) {
        edges { node { id type actor { handle } tweet { id } read } } } }"""

    def two_unread() -> dict[str, Any]:
        found: dict[str, Any] = as_alice.run(query)
        assert found["unreadNotificationCount"] == 2
        return found

    edges = eventually(two_unread)["notifications"]["edges"]
    assert [(e["node"]["type"], e["node"]["tweet"]["id"]) for e in edges] == [
        ("repost", post["id"]),
        ("like", post["id"]),
    ]
    assert {e["node"]["actor"]["handle"] for e in edges} == {bob.handle}
    marked = as_alice.run(
        "mutation($id: ID!) { markNotificationsRead(upTo: $id) }", id=edges[0]["node"]["id"]
    )
    assert marked["markNotificationsRead"] == 0
    undone = as_bob.run(f"mutation($id: ID!) {{ unrepost(id: $id) {{ {fields} }} }}", id=post["id"])
    assert undone["unrepost"]["reposted"] is False


def test_subscriptions_deliver_notifications_and_feed_entries(api: Server) -> None:
    alice, bob = new_account(api.client), new_account(api.client)
    follow(api.client, alice, bob.handle)
    transport = WebsocketsTransport(
        url=api.url.replace("http://", "ws://") + "/graphql",
        headers=alice.headers,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        close_timeout=0.5,
    )

    async def watch() -> tuple[dict[str, Any], dict[str, Any]]:
        async with Client(transport=transport) as session:
            notes = session.subscribe(
                GraphQLRequest("subscription { notifications { type actor { handle } } }")
            )
            feed = session.subscribe(GraphQLRequest("subscription { feed { id content } }"))
            first_note = asyncio.ensure_future(anext(notes))
            first_entry = asyncio.ensure_future(anext(feed))
            await asyncio.sleep(0.5)  # both subscriptions are open
            await asyncio.to_thread(follow, api.client, bob, alice.handle)
            await asyncio.to_thread(post_tweet, api.client, bob, "over a websocket")
            return await asyncio.wait_for(asyncio.gather(first_note, first_entry), 5)

    note, entry = asyncio.run(watch())
    assert note == {"notifications": {"type": "follow", "actor": {"handle": bob.handle}}}
    assert entry["feed"]["content"] == "over a websocket"


def test_a_socket_without_connection_init_is_closed_with_4408(
    start_server: ServerFactory, database_url: str
) -> None:
    server = start_server(database_url, env={"ROOST_GRAPHQL_CONNECTION_INIT_SECONDS": "0.5"})

    async def wait_for_close() -> int | None:
        url = server.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert asyncio.run(wait_for_close()) == 4408


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": ' + b"[" * 1000 + b"]" * 1000 + b"}",  # 1,000 deep
        b'{"query": "{ me { handle } }"',  # cut short
        b'["not", "an", "object"]',
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(api: Server, body: bytes) -> None:
    answer = api.client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["errors"][0]["extensions"]["code"] == "INVALID_JSON"

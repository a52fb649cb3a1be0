"""A GraphQL feed query costs the same backend round trips as the REST feed read."""

from __future__ import annotations

import pytest

from roost.bootstrap import Roost
from roost.entrypoints.graphql.schema import Context, build_schema
from tests.integration.support import Consumers, RoundTrips, reader_of_warm_feed

FEED_QUERY = """{ feed(first: 50) {
    edges { cursor node { id content createdAt author { id handle displayName } } }
    pageInfo { hasNextPage endCursor } } }"""


async def test_graphql_feed_costs_what_the_rest_feed_costs(scaled: Roost) -> None:
    roost = scaled
    token = await reader_of_warm_feed(roost, posts=60, page=50)
    schema = build_schema(introspection=True)
    counter = RoundTrips(roost)

    caller = await roost.accounts.authenticate(token)
    rest = await roost.home_feed.page(caller, None, 50)
    rest_trips = counter.take()
    result = await schema.execute(FEED_QUERY, context_value=Context(roost=roost, token=token))
    graphql_trips = counter.take()

    assert result.errors is None
    assert result.data is not None
    assert len(result.data["feed"]["edges"]) == len(rest.items) == 50
    assert graphql_trips == rest_trips == ([], ["EVALSHA"])


HOT_QUERIES = [
    FEED_QUERY,
    """query page($n: Int!, $after: String) { feed(first: $n, after: $after) {
        __typename edges { __typename cursor node { __typename inReplyTo id
        writer: author { __typename handle id } } } pageInfo { endCursor } } }""",
    "{ mine: feed { edges { node { content } } pageInfo { hasNextPage } } }",
    "query feed($userID: UUID) { feeds(userID: $userID) { feeds_tweets { tweet_id } } }",
    "{ feeds(first: 3) { __typename id kind feeds_tweets { __typename tweet_id } } }",
    "query f($size: Int = 1) { feed(first: $size) { edges { node { id } } } }",
]


@pytest.mark.parametrize("query", HOT_QUERIES)
async def test_the_compiled_path_answers_as_the_generic_one(roost: Roost, query: str) -> None:
    alice = await roost.accounts.register("alice", "correct horse", None)
    token, _ = await roost.accounts.log_in("alice", "correct horse")
    first = await roost.publishing.publish(alice, "first")
    await roost.publishing.publish(alice, "a reply", in_reply_to=first.id)
    await Consumers(roost).drain()
    schema = build_schema(introspection=True)
    variables = {"n": 1, "userID": str(alice.id)}

    generic = await schema.execute(query, variables, Context(roost=roost, token=token))
    compiled = await schema.execute(query, variables, Context(roost=roost, token=token))

    assert generic.errors is None
    assert compiled.data == generic.data
    assert query in schema._compiled  # type: ignore[attr-defined]
    anonymous = await schema.execute(query, variables, Context(roost=roost, token=None))
    assert anonymous.errors is not None
    assert anonymous.errors[0].extensions == {"code": "UNAUTHORIZED"}

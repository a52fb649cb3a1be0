"""The compiled feed query's projection, on served tweet bytes."""

from __future__ import annotations

import msgspec

from roost.entrypoints.graphql.compiled import compile_query, run_feed
from roost.services.pages import Page

TWEET = (
    b'{"id":"7","author":{"id":"1","handle":"ann","display_name":"Ann"},"content":"hi",'
    b'"created_at":"2026-11-26T00:00:00.000Z","in_reply_to":null,"repost_of":null,'
    b'"like_count":0,"reply_count":0,"repost_count":0,"liked":false,"reposted":false}'
)
ALIASED = """{ feed(first: 1) {
    ids: edges { node { id } }
    contents: edges { text: node { content } mine: node { id liked } } } }"""


def test_each_aliased_node_gets_its_own_fields_in_both_modes() -> None:
    """Nodes are memoised per served tweet: two selections of one tweet must not share."""
    page = Page([TWEET], None, [(7, 1)])
    expected = {
        "ids": [{"node": {"id": "7"}}],
        "contents": [{"text": {"content": "hi"}, "mine": {"id": "7", "liked": False}}],
    }
    for raw in (False, True, False):
        data = run_feed(compile_query(ALIASED), page, raw=raw)
        assert msgspec.json.decode(msgspec.json.encode(data)) == expected

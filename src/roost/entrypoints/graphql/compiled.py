"""A compiled execution path for the hot queries: the feed and the seed's query.

Generic GraphQL execution resolves every field of every tweet through graphql-core and
Strawberry (about 2.7 us a field: a 50-tweet feed query ran at a tenth of the REST rate). A
query whose shape is known is turned once, after it has been validated by the generic path,
into a projection plan: the page comes from the same service call as REST, and each cached
tweet is decoded and cut down to the requested fields, with no resolver per field. Queries of
any other shape, and any query that fails, go through the generic path.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from graphql import (
    FieldNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    parse,
)
from graphql.error import GraphQLSyntaxError

from roost.domain.users import User
from roost.services.pages import Page

# GraphQL field name -> key in the cached tweet JSON, and how to project what is under it.
_AUTHOR_FIELDS = {"id": "id", "handle": "handle", "displayName": "display_name"}
_TWEET_FIELDS = {
    "id": "id",
    "content": "content",
    "createdAt": "created_at",
    "inReplyTo": "in_reply_to",
    "author": "author",
    "likeCount": "like_count",
    "replyCount": "reply_count",
    "repostCount": "repost_count",
    "liked": "liked",
    "reposted": "reposted",
}
_TYPENAMES = {"tweet": "Tweet", "author": "Author"}

Projection = list[tuple[str, str, "Projection | None"]]  # (response key, json key, nested)
FeedPage = Callable[[User, str | None, int], Any]

_decode = msgspec.json.Decoder(dict[str, Any]).decode
_encode = msgspec.json.Encoder().encode
_serials = itertools.count()


class NotCompilable(Exception):
    """The query has a shape the compiled path does not handle: use the generic one."""


@dataclass(frozen=True, slots=True)
class CompiledFeedQuery:
    """``{ feed(first, after) { edges { cursor node {...} } pageInfo {...} } }`` or the seed's
    ``feeds(userID) { feeds_tweets { tweet_id } }``, with any subset of fields and aliases."""

    root_key: str
    root_field: str
    arguments: dict[str, ValueNode]
    plan: Any
    variable_defaults: Mapping[str, ValueNode]

    def argument(self, name: str, variables: dict[str, Any], default: Any) -> Any:
        """The argument's value; raises NotCompilable when only the generic path can tell
        (a variable given no value and no default: that is its error to report)."""
        node = self.arguments.get(name)
        if node is None:
            return default
        if isinstance(node, VariableNode):
            variable = node.name.value
            if variable in variables:
                return variables[variable]
            if variable not in self.variable_defaults:
                raise NotCompilable("variable without a value")
            node = self.variable_defaults[variable]
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, StringValueNode):
            return node.value
        if isinstance(node, NullValueNode):
            return None
        raise NotCompilable("argument")


def compile_query(query: str) -> CompiledFeedQuery:
    try:
        document = parse(query)
    except GraphQLSyntaxError as failure:
        raise NotCompilable("syntax") from failure
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(document.definitions) != 1 or len(operations) != 1:
        raise NotCompilable("fragments or several operations")
    operation = operations[0]
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise NotCompilable("not a plain query")
    fields = _fields(operation.selection_set, root=True)
    if len(fields) != 1:
        raise NotCompilable("several root fields")
    (root,) = fields
    key = root.alias.value if root.alias else root.name.value
    arguments = {argument.name.value: argument.value for argument in root.arguments or ()}
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    if root.name.value == "feed" and set(arguments) <= {"first", "after"}:
        plan = _connection_plan(root.selection_set)
        return CompiledFeedQuery(key, "feed", arguments, plan, defaults)
    if root.name.value == "feeds" and set(arguments) <= {"userID", "first"}:
        return CompiledFeedQuery(key, "feeds", arguments, _seed_plan(root.selection_set), defaults)
    raise NotCompilable("root field")


def _fields(selection_set: SelectionSetNode | None, *, root: bool = False) -> list[FieldNode]:
    """Plain fields only: no fragments, no directives, arguments only on the root field."""
    if selection_set is None:
        raise NotCompilable("no selection")
    fields = []
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            raise NotCompilable("fragments or directives")
        if selection.arguments and not root:
            raise NotCompilable("arguments below the root")
        fields.append(selection)
    return fields


def _key(field: FieldNode) -> str:
    return field.alias.value if field.alias else field.name.value


def _connection_plan(selection_set: SelectionSetNode | None) -> list[tuple[str, str, Any]]:
    plan: list[tuple[str, str, Any]] = []
    for field in _fields(selection_set):
        name = field.name.value
        if name == "edges":
            plan.append((_key(field), "edges", _edge_plan(field.selection_set)))
        elif name == "pageInfo":
            plan.append((_key(field), "pageInfo", _page_info_plan(field.selection_set)))
        elif name == "__typename":
            plan.append((_key(field), "__typename", "TweetConnection"))
        else:
            raise NotCompilable(name)
    return plan


def _edge_plan(selection_set: SelectionSetNode | None) -> list[tuple[str, str, Any]]:
    plan: list[tuple[str, str, Any]] = []
    for field in _fields(selection_set):
        name = field.name.value
        if name == "cursor":
            plan.append((_key(field), "cursor", None))
        elif name == "node":  # a serial names this selection in _NODES (aliases may make more)
            selection = _object_plan(field.selection_set, "tweet")
            plan.append((_key(field), "node", (selection, next(_serials))))
        elif name == "__typename":
            plan.append((_key(field), "__typename", "TweetEdge"))
        else:
            raise NotCompilable(name)
    return plan


def _object_plan(selection_set: SelectionSetNode | None, kind: str) -> Projection:
    known = _TWEET_FIELDS if kind == "tweet" else _AUTHOR_FIELDS
    plan: Projection = []
    for field in _fields(selection_set):
        name = field.name.value
        if name == "__typename":
            plan.append((_key(field), "", None))
        elif name in known:
            nested = _object_plan(field.selection_set, "author") if name == "author" else None
            if name != "author" and field.selection_set is not None:
                raise NotCompilable(name)
            plan.append((_key(field), known[name], nested))
        else:
            raise NotCompilable(name)
    return plan


def _page_info_plan(selection_set: SelectionSetNode | None) -> list[tuple[str, str]]:
    plan = []
    for field in _fields(selection_set):
        if field.name.value not in {"hasNextPage", "endCursor", "__typename"}:
            raise NotCompilable(field.name.value)
        plan.append((_key(field), field.name.value))
    return plan


def _seed_plan(selection_set: SelectionSetNode | None) -> list[tuple[str, str, Any]]:
    plan: list[tuple[str, str, Any]] = []
    for field in _fields(selection_set):
        name = field.name.value
        if name == "feeds_tweets":
            entries = _fields(field.selection_set)
            if any(e.name.value not in {"tweet_id", "__typename"} for e in entries):
                raise NotCompilable("feeds_tweets")
            plan.append((_key(field), name, [(_key(e), e.name.value) for e in entries]))
        elif name in {"id", "kind", "__typename"}:
            plan.append((_key(field), name, None))
        else:
            raise NotCompilable(name)
    return plan


def project(tweet: dict[str, Any], plan: Projection, kind: str = "tweet") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, source, nested in plan:
        if not source:
            out[key] = _TYPENAMES[kind]
        elif nested is not None:
            out[key] = project(tweet[source], nested, "author")
        else:
            out[key] = tweet[source]
    return out


def run_feed(
    compiled: CompiledFeedQuery, page: Page[bytes], *, raw: bool = False
) -> dict[str, Any]:
    """The query's data. With ``raw``, each node is its JSON (msgspec.Raw), for a caller that
    encodes the result with msgspec; else a dict."""
    out: dict[str, Any] = {}
    for key, name, plan in compiled.plan:
        if name == "__typename":
            out[key] = plan
        elif name == "edges":
            out[key] = [
                _edge(plan, cursor, item, raw)
                for item, cursor in zip(page.items, page.cursors(), strict=True)
            ]
        else:
            info = {"hasNextPage": page.next_cursor is not None, "endCursor": page.next_cursor}
            info["__typename"] = "PageInfo"
            out[key] = {k: info[n] for k, n in plan}
    return out


def _edge(plan: list[tuple[str, str, Any]], cursor: str, item: bytes, raw: bool) -> dict[str, Any]:
    edge: dict[str, Any] = {}
    for key, name, nested in plan:
        if name == "cursor":
            edge[key] = cursor
        elif name == "__typename":
            edge[key] = nested
        else:
            node = _node(item, *nested)
            edge[key] = node if raw else _decode(node)
    return edge


_NODES_SIZE = 8192
_NODES: dict[tuple[bytes, int], msgspec.Raw] = {}


def _node(item: bytes, plan: Projection, serial: int) -> msgspec.Raw:
    """The node as JSON, memoised by tweet (as served) and node selection (``serial``, one per
    ``node`` field compiled). A post is read by many followers: a hit is one lookup (the served
    bytes keep their hash) instead of a decode, a projection and an encode. Cleared when full."""
    key = (item, serial)
    node = _NODES.get(key)
    if node is None:
        if len(_NODES) >= _NODES_SIZE:
            _NODES.clear()
        node = _NODES[key] = msgspec.Raw(_encode(project(_decode(item), plan)))
    return node


def run_seed(compiled: CompiledFeedQuery, caller: User, page: Page[bytes]) -> list[dict[str, Any]]:
    feed: dict[str, Any] = {}
    for key, name, plan in compiled.plan:
        if name == "feeds_tweets":
            ids = [_decode(item)["id"] for item in page.items]
            feed[key] = [
                {k: (tweet_id if n == "tweet_id" else "FeedTweet") for k, n in plan}
                for tweet_id in ids
            ]
        elif name == "id":
            feed[key] = str(caller.id)
        elif name == "kind":
            feed[key] = "home"
        else:
            feed[key] = "Feed"
    return [feed]

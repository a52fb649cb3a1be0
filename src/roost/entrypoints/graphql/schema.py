"""The schema: queries and mutations over the same services as REST (no rule lives here).

Parsed and validated documents are cached (ParserCache, ValidationCache), so a repeated query
such as the feed costs its execution only. Depth, aliases, tokens and an estimated cost (the
product of ``first`` along nested lists) are limited before anything runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

import msgspec
import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.litestar import BaseContext
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult, Info

from roost.bootstrap import Roost
from roost.domain.errors import DomainError, NotFound
from roost.domain.ids import parse_id
from roost.domain.users import User as DomainUser
from roost.entrypoints.graphql.compiled import (
    CompiledFeedQuery,
    NotCompilable,
    compile_query,
    run_feed,
    run_seed,
)
from roost.entrypoints.graphql.cost import CostLimiter
from roost.entrypoints.graphql.errors import as_graphql_errors, error
from roost.entrypoints.graphql.types import (
    UUID,
    UUID_SCALAR,
    Feed,
    FeedTweet,
    Notification,
    NotificationConnection,
    NotificationEdge,
    PageInfo,
    Tweet,
    TweetConnection,
    TweetEdge,
    User,
    UserConnection,
    UserEdge,
    notification_from_json,
    tweet_from_json,
)
from roost.entrypoints.rest.auth import bearer_in
from roost.entrypoints.rest.ids import body_id, path_id
from roost.services.pages import DEFAULT_LIMIT, Page
from roost.services.sessions import Session
from roost.services.stream import LiveEvent
from roost.services.views import user_view

MAX_DEPTH = 8
MAX_COST = 5_000
MAX_COMPILED = 256  # distinct hot query texts kept compiled


class Context(BaseContext, kw_only=True):
    """Per request: the wired app, and the caller, authenticated once on first use."""

    roost: Roost
    token: str | None
    authenticated: Session | None = None

    async def caller(self) -> DomainUser:
        return (await self.session()).user

    async def session(self) -> Session:
        if self.authenticated is None:
            with as_graphql_errors():
                self.authenticated = await self.roost.accounts.session(self.token)
        return self.authenticated


def context_for(roost: Roost, headers: Mapping[str, str]) -> Context:
    """From the headers of a request, or of a WebSocket's upgrade (subscriptions)."""
    return Context(roost=roost, token=bearer_in(headers.get("authorization", "")))


def _ctx(info: Info) -> Context:
    context: Context = info.context
    return context


def _user(user: DomainUser) -> User:
    return User.from_view(user_view(user))


def _tweets(page: Page[bytes]) -> TweetConnection:
    edges = [
        TweetEdge(cursor=cursor, node=tweet_from_json(item))
        for item, cursor in zip(page.items, page.cursors(), strict=True)
    ]
    return TweetConnection(edges=edges, page_info=_page_info(page))


def _notifications(page: Page[bytes]) -> NotificationConnection:
    edges = [
        NotificationEdge(cursor=cursor, node=notification_from_json(item))
        for item, cursor in zip(page.items, page.cursors(), strict=True)
    ]
    return NotificationConnection(edges=edges, page_info=_page_info(page))


def _users(page: Page[DomainUser]) -> UserConnection:
    edges = [
        UserEdge(cursor=cursor, node=_user(user))
        for user, cursor in zip(page.items, page.cursors(), strict=True)
    ]
    return UserConnection(edges=edges, page_info=_page_info(page))


def _page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(has_next_page=page.next_cursor is not None, end_cursor=page.next_cursor)


@strawberry.type
class Query:
    @strawberry.field(description="The caller.")
    async def me(self, info: Info) -> User:
        return _user(await _ctx(info).caller())

    @strawberry.field(description="A user by handle (case does not matter).")
    async def user(self, info: Info, handle: str) -> User | None:
        await _ctx(info).caller()
        try:
            return _user(await _ctx(info).roost.accounts.by_handle(handle))
        except NotFound:
            return None

    @strawberry.field(description="A tweet by id; null when there is none (or it was deleted).")
    async def tweet(self, info: Info, id: strawberry.ID) -> Tweet | None:
        caller = await _ctx(info).caller()
        try:
            return tweet_from_json(await _ctx(info).roost.publishing.get(caller, path_id(str(id))))
        except NotFound:
            return None

    @strawberry.field(description="The caller's home feed, newest first.")
    async def feed(
        self, info: Info, first: int = DEFAULT_LIMIT, after: str | None = None
    ) -> TweetConnection:
        caller = await _ctx(info).caller()
        with as_graphql_errors():
            return _tweets(await _ctx(info).roost.home_feed.page(caller, after, first))

    @strawberry.field(description="A user's own posts, newest first.")
    async def user_tweets(
        self, info: Info, handle: str, first: int = DEFAULT_LIMIT, after: str | None = None
    ) -> TweetConnection:
        caller = await _ctx(info).caller()
        roost = _ctx(info).roost
        with as_graphql_errors():
            author = await roost.accounts.by_handle(handle)
            return _tweets(await roost.timelines.by_author(caller, author, after, first))

    @strawberry.field(description="The replies to a tweet, newest first.")
    async def replies(
        self, info: Info, id: strawberry.ID, first: int = DEFAULT_LIMIT, after: str | None = None
    ) -> TweetConnection:
        caller = await _ctx(info).caller()
        with as_graphql_errors():
            tweet_id = path_id(str(id))
            return _tweets(await _ctx(info).roost.timelines.replies(caller, tweet_id, after, first))

    @strawberry.field(description="The posts that mention the caller, newest first.")
    async def mentions(
        self, info: Info, first: int = DEFAULT_LIMIT, after: str | None = None
    ) -> TweetConnection:
        caller = await _ctx(info).caller()
        with as_graphql_errors():
            return _tweets(await _ctx(info).roost.timelines.mentions(caller, after, first))

    @strawberry.field(description="The caller's notifications, newest first.")
    async def notifications(
        self, info: Info, first: int = DEFAULT_LIMIT, after: str | None = None
    ) -> NotificationConnection:
        caller = await _ctx(info).caller()
        with as_graphql_errors():
            page = await _ctx(info).roost.notifications.page(caller, after, first)
        return _notifications(page)

    @strawberry.field(description="How many of the caller's notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        caller = await _ctx(info).caller()
        return await _ctx(info).roost.notifications.unread_count(caller)

    @strawberry.field(description="Who follows a user, newest first.")
    async def followers(
        self, info: Info, handle: str, first: int = DEFAULT_LIMIT, after: str | None = None
    ) -> UserConnection:
        await _ctx(info).caller()
        with as_graphql_errors():
            return _users(await _ctx(info).roost.follows.followers(handle, after, first))

    @strawberry.field(description="Whom a user follows, newest first.")
    async def following(
        self, info: Info, handle: str, first: int = DEFAULT_LIMIT, after: str | None = None
    ) -> UserConnection:
        await _ctx(info).caller()
        with as_graphql_errors():
            return _users(await _ctx(info).roost.follows.following(handle, after, first))

    @strawberry.field(
        description="The seed's query: the caller's feeds and their entries (the newest "
        "`first`). userID may be omitted; another user's id is FORBIDDEN."
    )
    async def feeds(
        self,
        info: Info,
        user_id: Annotated[UUID | None, strawberry.argument(name="userID")] = None,
        first: int = DEFAULT_LIMIT,
    ) -> list[Feed]:
        caller = await _ctx(info).caller()
        if user_id is not None and parse_id(user_id) != caller.id:
            raise error("forbidden", "You may only read your own feeds.")
        with as_graphql_errors():
            page = await _ctx(info).roost.home_feed.page(caller, None, first)
        entries = [FeedTweet(tweet_id=UUID(_id_of(item))) for item in page.items]
        return [Feed(id=UUID(str(caller.id)), kind="home", feeds_tweets=entries)]


_ids = msgspec.json.Decoder(dict[str, Any])


def _id_of(rendered: bytes) -> str:
    value: str = _ids.decode(rendered)["id"]
    return value


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Post a tweet (1-280 characters after NFC).")
    async def post_tweet(
        self, info: Info, content: str, in_reply_to: strawberry.ID | None = None
    ) -> Tweet:
        caller = await _ctx(info).caller()
        with as_graphql_errors():
            reply_to = body_id(in_reply_to, "inReplyTo")
            tweet = await _ctx(info).roost.publishing.publish(caller, content, reply_to)
        return tweet_from_json(_ctx(info).roost.publishing.present_new(tweet))

    @strawberry.mutation(description="Delete one of your tweets.")
    async def delete_tweet(self, info: Info, id: strawberry.ID) -> bool:
        caller = await _ctx(info).caller()
        with as_graphql_errors():
            await _ctx(info).roost.publishing.delete(caller, path_id(str(id)))
        return True

    @strawberry.mutation(description="Like a tweet (the original, for a repost); returns it.")
    async def like_tweet(self, info: Info, id: strawberry.ID) -> Tweet:
        caller, roost = await _ctx(info).caller(), _ctx(info).roost
        with as_graphql_errors():
            await roost.interactions.like(caller, path_id(str(id)))
            return tweet_from_json(await roost.publishing.get(caller, path_id(str(id))))

    @strawberry.mutation(description="Take a like back; returns the tweet.")
    async def unlike_tweet(self, info: Info, id: strawberry.ID) -> Tweet:
        caller, roost = await _ctx(info).caller(), _ctx(info).roost
        with as_graphql_errors():
            await roost.interactions.unlike(caller, path_id(str(id)))
            return tweet_from_json(await roost.publishing.get(caller, path_id(str(id))))

    @strawberry.mutation(
        description="Repost a tweet; returns the repost (the earlier one, if any)."
    )
    async def repost(self, info: Info, id: strawberry.ID) -> Tweet:
        caller, roost = await _ctx(info).caller(), _ctx(info).roost
        with as_graphql_errors():
            repost, _ = await roost.interactions.repost(caller, path_id(str(id)))
            return tweet_from_json(await roost.publishing.present(caller, repost))

    @strawberry.mutation(description="Undo your repost of a tweet; returns the tweet.")
    async def unrepost(self, info: Info, id: strawberry.ID) -> Tweet:
        caller, roost = await _ctx(info).caller(), _ctx(info).roost
        with as_graphql_errors():
            await roost.interactions.unrepost(caller, path_id(str(id)))
            return tweet_from_json(await roost.publishing.get(caller, path_id(str(id))))

    @strawberry.mutation(
        description="Mark a notification and all older ones read; returns how many stay unread."
    )
    async def mark_notifications_read(self, info: Info, up_to: strawberry.ID) -> int:
        caller, roost = await _ctx(info).caller(), _ctx(info).roost
        with as_graphql_errors():
            await roost.notifications.mark_read(caller, path_id(str(up_to)))
        return await roost.notifications.unread_count(caller)

    @strawberry.mutation(description="Follow a user; returns them.")
    async def follow(self, info: Info, handle: str) -> User:
        caller = await _ctx(info).caller()
        roost = _ctx(info).roost
        with as_graphql_errors():
            await roost.follows.follow(caller, handle)
            return _user(await roost.accounts.by_handle(handle))

    @strawberry.mutation(description="Stop following a user; returns them.")
    async def unfollow(self, info: Info, handle: str) -> User:
        caller = await _ctx(info).caller()
        roost = _ctx(info).roost
        with as_graphql_errors():
            await roost.follows.unfollow(caller, handle)
            return _user(await roost.accounts.by_handle(handle))


@strawberry.type
class Subscription:
    """Each ends with an UNAUTHORIZED error when the caller's token is revoked or expires."""

    @strawberry.subscription(description="The caller's new notifications, as they happen.")
    async def notifications(self, info: Info) -> AsyncGenerator[Notification, None]:
        async for event in _live(info, "notification"):
            yield notification_from_json(event.data)

    @strawberry.subscription(description="New entries of the caller's home feed.")
    async def feed(self, info: Info) -> AsyncGenerator[Tweet, None]:
        async for event in _live(info, "feed"):
            yield tweet_from_json(event.data)


async def _live(info: Info, kind: str) -> AsyncGenerator[LiveEvent, None]:
    session = await _ctx(info).session()
    stream = _ctx(info).roost.stream
    with as_graphql_errors():
        stream.admit(session.user)
        async for event in stream.events(session, None):
            if event.kind == kind:
                yield event


class RoostSchema(strawberry.Schema):
    """Strawberry's schema, with the compiled path for hot queries (see compiled.py)."""

    def __init__(self, *args: Any, compile_hot_queries: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compile = compile_hot_queries
        self._compiled: dict[str, CompiledFeedQuery] = {}
        self._examined: set[str] = set()

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Any = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        compiled = self._compiled.get(query) if query is not None else None
        if compiled is not None and isinstance(context_value, Context):
            result = await _run_compiled(compiled, variable_values or {}, context_value)
            if result is not None:
                if result.errors:
                    self.process_errors(result.errors)
                return result
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if query is not None and not result.errors:
            self._remember(query)
        return result

    async def execute_compiled(
        self, query: str, variables: dict[str, Any], context: Context
    ) -> ExecutionResult | None:
        """The compiled path alone: None when the query is not (yet) compiled or needs the
        generic path. For the HTTP fast path, which skips the GraphQL HTTP layer."""
        compiled = self._compiled.get(query)
        if compiled is None:
            return None
        result = await _run_compiled(compiled, variables, context, raw=True)
        if result is not None and result.errors:
            self.process_errors(result.errors)
        return result

    def _remember(self, query: str) -> None:
        """Compile a query that passed validation and ran cleanly, once."""
        if not self._compile or query in self._examined or len(self._examined) >= MAX_COMPILED:
            return
        self._examined.add(query)
        with contextlib.suppress(NotCompilable):
            self._compiled[query] = compile_query(query)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log only unexpected errors: those with a code are the caller's, answered as such."""
        unexpected = [e for e in errors if "code" not in (e.extensions or {})]
        super().process_errors(unexpected, execution_context)


async def _run_compiled(
    compiled: CompiledFeedQuery, variables: dict[str, Any], context: Context, *, raw: bool = False
) -> ExecutionResult | None:
    """The hot query, without a resolver per field; None: run it the generic way instead (its
    variables need the generic coercion and error messages). With ``raw``, nodes are JSON
    (msgspec.Raw), for a caller that encodes the data with msgspec."""
    try:
        first = compiled.argument("first", variables, DEFAULT_LIMIT)
        after = compiled.argument("after", variables, None)
        user_id = compiled.argument("userID", variables, None)
    except NotCompilable:
        return None
    if not isinstance(first, int) or isinstance(first, bool):
        return None
    if not (after is None or isinstance(after, str)) or not (
        user_id is None or (isinstance(user_id, str) and parse_id(user_id) is not None)
    ):
        return None
    path = [compiled.root_key]
    try:
        caller = await context.caller()
        page = await context.roost.home_feed.page(caller, after, first)
        if compiled.root_field == "feed":
            data: Any = run_feed(compiled, page, raw=raw)
        elif user_id is not None and parse_id(user_id) != caller.id:
            return ExecutionResult(
                None, [error_at("forbidden", "You may only read your own feeds.", path)]
            )
        else:
            data = run_seed(compiled, caller, page)
    except DomainError as failure:
        return ExecutionResult(None, [error_at(failure.code, failure.message, path)])
    except GraphQLError as failure:
        code = (failure.extensions or {}).get("code", "internal_error")
        return ExecutionResult(None, [error_at(code, failure.message, path)])
    return ExecutionResult({compiled.root_key: data}, None)


def error_at(code: str, message: str, path: list[str]) -> GraphQLError:
    return GraphQLError(message, path=path, extensions={"code": code.upper()})


def build_schema(*, introspection: bool, compile_hot_queries: bool = True) -> RoostSchema:
    # The caches must outlive a request to be of use: the same instance serves every request.
    parsed, validated = ParserCache(maxsize=1024), ValidationCache(maxsize=1024)
    extensions: list[Any] = [
        lambda: parsed,
        lambda: validated,
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=15),
        lambda: MaxTokensLimiter(max_token_count=2000),
        lambda: CostLimiter(max_cost=MAX_COST),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return RoostSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map={UUID: UUID_SCALAR}),
        compile_hot_queries=compile_hot_queries,
    )

"""`roost bench graphql`: the feed through GraphQL next to the REST feed, in one process.

The same 50-tweet page, read by the same user, in steady state (scaled mode: caches warm):
the REST handler's work (authenticate, page, splice), GraphQL with generic execution, and
GraphQL with the compiled path for hot queries. No HTTP: this isolates the execution cost;
`roost bench http` (issue 8) measures the full request.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import build
from roost.entrypoints.bench.scratch import scratch_database, scratch_prefix
from roost.entrypoints.graphql.schema import Context, build_schema
from roost.entrypoints.rest.splice import page_response
from roost.entrypoints.workers.runner import Consumers
from roost.settings import Settings

FEED_QUERY = """{ feed(first: 50) {
    edges { cursor node { id content createdAt inReplyTo author { id handle displayName } } }
    pageInfo { hasNextPage endCursor } } }"""
ROUNDS, CALLS = 5, 300


async def bench_graphql(settings: Settings) -> list[tuple[str, float]]:
    if not settings.redis_url or not settings.database_url.startswith("postgresql"):
        raise SystemExit("roost bench graphql needs PostgreSQL and Redis (scaled mode)")
    async with (
        scratch_database(settings.database_url) as database_url,
        scratch_prefix(settings.redis_url) as prefix,
    ):
        await upgrade_async(database_url)
        roost = build(
            settings.model_copy(update={"database_url": database_url, "redis_prefix": prefix})
        )
        roost.start()
        try:
            reader = await roost.accounts.register("reader", "correct horse", None)
            author = await roost.accounts.register("author", "correct horse", None)
            token, _ = await roost.accounts.log_in("reader", "correct horse")
            await roost.follows.follow(reader, "author")
            for n in range(60):
                await roost.publishing.publish(author, f"post {n}: " + "words " * (n % 30))
            consumers = Consumers(roost)
            for loop in consumers.loops:
                await loop.drain()
            generic = build_schema(introspection=True, compile_hot_queries=False)
            compiled = build_schema(introspection=True)

            async def rest() -> None:
                caller = await roost.accounts.authenticate(token)
                page_response(await roost.home_feed.page(caller, None, 50))

            def graphql(schema: object) -> Callable[[], Awaitable[None]]:
                async def run() -> None:
                    result = await schema.execute(  # type: ignore[attr-defined]
                        FEED_QUERY, context_value=Context(roost=roost, token=token)
                    )
                    assert result.errors is None, result.errors

                return run

            candidates = [
                ("REST feed (handler work)", rest),
                ("GraphQL feed, generic execution", graphql(generic)),
                ("GraphQL feed, compiled path", graphql(compiled)),
            ]
            rates: dict[str, list[float]] = {name: [] for name, _ in candidates}
            for _ in range(ROUNDS):  # interleaved, so drift on a noisy machine hits all alike
                for name, call in candidates:
                    for _ in range(20):
                        await call()
                    started = time.perf_counter()
                    for _ in range(CALLS):
                        await call()
                    rates[name].append(CALLS / (time.perf_counter() - started))
            return [(name, statistics.median(values)) for name, values in rates.items()]
        finally:
            await roost.close()


def format_table(rows: list[tuple[str, float]]) -> str:
    rest = rows[0][1]
    head = f"{'path':<34} | {'req/s (median)':>14} | {'vs REST':>7}"
    lines = [head, "-" * len(head)]
    lines += [f"{name:<34} | {rate:>14,.0f} | {rate / rest:>7.2f}" for name, rate in rows]
    return "\n".join(lines)

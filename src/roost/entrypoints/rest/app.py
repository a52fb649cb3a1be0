"""The Litestar application: routes, dependencies, errors, OpenAPI, and the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from strawberry.litestar import make_graphql_controller

import roost
from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import Roost, build
from roost.entrypoints.graphql.fast_path import compiled_queries
from roost.entrypoints.graphql.schema import Context, build_schema, context_for
from roost.entrypoints.rest.admin import dashboard, dashboard_files
from roost.entrypoints.rest.analytics import AnalyticsController
from roost.entrypoints.rest.auth import provide_caller
from roost.entrypoints.rest.errors import exception_handlers
from roost.entrypoints.rest.feed import home_feed
from roost.entrypoints.rest.feed_fast_path import fast_feed
from roost.entrypoints.rest.health import healthz, metrics, openapi_document
from roost.entrypoints.rest.notifications import NotificationsController
from roost.entrypoints.rest.observability import observed
from roost.entrypoints.rest.openapi import declare_contract
from roost.entrypoints.rest.sessions import SessionsController
from roost.entrypoints.rest.stream import live_stream
from roost.entrypoints.rest.tweets import TweetsController
from roost.entrypoints.rest.users import UsersController
from roost.entrypoints.workers.runner import Consumers
from roost.settings import Settings

MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings, *, run_consumers: bool = True) -> Litestar:
    """The API. With ``run_consumers`` the event consumers run in this process (embedded)."""
    state: dict[str, Roost] = {}

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await upgrade_async(settings.database_url)
        state["roost"] = wired = build(settings)
        wired.start()
        consumers = Consumers(wired)
        if run_consumers:
            consumers.start()
        try:
            yield
        finally:
            if run_consumers:
                await consumers.stop()
            await wired.close()

    def provide_roost() -> Roost:
        return state["roost"]

    async def graphql_context(headers: dict[str, str]) -> Context:
        return context_for(state["roost"], headers)

    schema = build_schema(introspection=settings.graphql_introspection)
    graphql = make_graphql_controller(
        schema,
        path="/graphql",
        context_getter=graphql_context,
        graphql_ide="graphiql" if settings.graphql_introspection else None,
    )

    app = Litestar(
        route_handlers=[
            UsersController,
            SessionsController,
            TweetsController,
            NotificationsController,
            home_feed,
            live_stream,
            AnalyticsController,
            dashboard,
            dashboard_files,
            healthz,
            metrics,
            openapi_document,
            graphql,
        ],
        dependencies={
            "roost": Provide(provide_roost, sync_to_thread=False),
            "caller": Provide(provide_caller),
        },
        exception_handlers=exception_handlers,
        logging_config=None,  # the process's logging is set once: entrypoints/logs.py
        lifespan=[lifespan],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="roost",
            version=roost.__version__,
            description="A news-feed system. Authenticate with Authorization: Bearer <token>.",
            path="/docs",
            render_plugins=[SwaggerRenderPlugin(path="/"), JsonRenderPlugin(path="/openapi.json")],
        ),
    )
    declare_contract(app)
    # The hot paths, answered outside the framework's routing and dependency injection (inside
    # its lifespan): GET /feed, and POST /graphql for compiled queries. Request ids and metrics
    # wrap them all.
    app.asgi_handler = observed(provide_roost)(
        fast_feed(compiled_queries(schema, provide_roost)(app.asgi_handler), provide_roost)
    )
    return app

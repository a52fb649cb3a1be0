"""Every route spends the budget of its class; the table names every route that changes state."""

from __future__ import annotations

import pytest
from litestar.routes import HTTPRoute

from roost.domain.rate_limits import RouteClass
from roost.entrypoints.rest.app import create_app
from roost.entrypoints.rest.route_classes import ROUTES, classify
from roost.settings import Settings


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/feed", RouteClass.READ),
        ("GET", "/users/alice", RouteClass.READ),
        ("GET", "/tweets/123/replies", RouteClass.READ),
        ("POST", "/users", RouteClass.SIGNUP),
        ("POST", "/users/", RouteClass.SIGNUP),
        ("POST", "/sessions", RouteClass.LOGIN),
        ("POST", "/tweet", RouteClass.POST),
        ("DELETE", "/tweets/123", RouteClass.POST),
        ("POST", "/tweets/123/like", RouteClass.INTERACT),
        ("DELETE", "/tweets/123/repost", RouteClass.INTERACT),
        ("POST", "/users/bob/follow", RouteClass.FOLLOW),
        ("DELETE", "/users/bob/follow", RouteClass.FOLLOW),
        ("POST", "/graphql", RouteClass.GRAPHQL),
        ("GET", "/graphql", RouteClass.READ),
        ("GET", "/healthz", None),
        ("GET", "/metrics", None),
        ("GET", "/no/such/path", RouteClass.READ),
        ("POST", "/users//follow", RouteClass.READ),  # an empty handle matches no route
    ],
)
def test_requests_are_classified(method: str, path: str, expected: RouteClass | None) -> None:
    assert classify(method, path) == expected


def test_every_route_that_is_not_a_read_is_in_the_table() -> None:
    app = create_app(Settings(database_url="sqlite:///:memory:"), run_consumers=False)
    templates = {
        (method, route.path_format.replace(":str", ""))
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method in route.methods
        if method not in ("GET", "HEAD", "OPTIONS")
    }
    assert templates, "no routes found"
    assert templates <= set(ROUTES), templates - set(ROUTES)

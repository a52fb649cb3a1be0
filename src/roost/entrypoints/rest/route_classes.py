"""Which budget each route spends: the one table of route classes (see domain/rate_limits.py).

A route not in the table is a read (GET /feed, profiles, pages, the docs, and any path that
matches nothing, which answers 404). Operations' probes are never limited.
"""

from __future__ import annotations

from roost.domain.rate_limits import RouteClass

Route = tuple[str, str]  # method, path template ("{...}" matches one path segment)

ROUTES: dict[Route, RouteClass | None] = {
    ("POST", "/users"): RouteClass.SIGNUP,
    ("POST", "/sessions"): RouteClass.LOGIN,
    ("DELETE", "/sessions"): RouteClass.INTERACT,
    ("POST", "/tweet"): RouteClass.POST,
    ("DELETE", "/tweets/{tweet_id}"): RouteClass.POST,
    ("POST", "/tweets/{tweet_id}/like"): RouteClass.INTERACT,
    ("DELETE", "/tweets/{tweet_id}/like"): RouteClass.INTERACT,
    ("POST", "/tweets/{tweet_id}/repost"): RouteClass.INTERACT,
    ("DELETE", "/tweets/{tweet_id}/repost"): RouteClass.INTERACT,
    ("POST", "/notifications/read"): RouteClass.INTERACT,
    ("POST", "/users/{handle}/follow"): RouteClass.FOLLOW,
    ("DELETE", "/users/{handle}/follow"): RouteClass.FOLLOW,
    ("POST", "/graphql"): RouteClass.GRAPHQL,
    ("GET", "/healthz"): None,
    ("GET", "/metrics"): None,
}

_EXACT = {route: kind for route, kind in ROUTES.items() if "{" not in route[1]}
_TEMPLATES = [
    (method, template.split("/"), kind)
    for (method, template), kind in ROUTES.items()
    if "{" in template
]


def classify(method: str, path: str) -> RouteClass | None:
    """The route class of a request; None for one that no limit applies to."""
    route = (method, path.rstrip("/") or "/")
    if route in _EXACT:
        return _EXACT[route]
    segments = route[1].split("/")
    for template_method, template, kind in _TEMPLATES:
        if template_method == method and _matches(template, segments):
            return kind
    return RouteClass.READ


def _matches(template: list[str], segments: list[str]) -> bool:
    return len(template) == len(segments) and all(
        part == segment or (part.startswith("{") and segment != "")
        for part, segment in zip(template, segments, strict=True)
    )

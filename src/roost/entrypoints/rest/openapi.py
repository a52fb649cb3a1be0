"""The OpenAPI document as the contract: every status an operation can answer, with roost's error
body, its security, and the links a client (or schemathesis) follows from what it created.

Litestar documents the success responses from the handlers; this module adds the rest from
rules, so a new route is covered by what it takes (a token, a path parameter, a body, a query)
and by a row of ``_EXTRA_STATUSES`` for what only its service knows (403, 409, 429...).
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from litestar import Litestar
from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

BEARER = "bearer"
ERROR_BODY = "ErrorBody"
_ERROR_REF = Reference(ref=f"#/components/schemas/{ERROR_BODY}")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# What the rules below cannot see: statuses that come from the services.
_EXTRA_STATUSES: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/users"): (409,),
    ("POST", "/sessions"): (401, 429),
    ("POST", "/tweet"): (404, 429),
    ("DELETE", "/tweets/{tweet_id}"): (403,),
    ("POST", "/tweets/{tweet_id}/like"): (429,),
    ("DELETE", "/tweets/{tweet_id}/like"): (429,),
    ("POST", "/tweets/{tweet_id}/repost"): (429,),
    ("POST", "/users/{handle}/follow"): (422,),
    ("GET", "/tweets/{tweet_id}/stats"): (403,),
    ("GET", "/users/{handle}/stats"): (403,),
    ("GET", "/analytics/overview"): (403,),
    ("GET", "/analytics/forecast"): (403,),
    ("GET", "/stream"): (429,),
}
# Statuses every operation can answer (e.g. 429 and 431 once every request is limited).
_EVERY_OPERATION: tuple[int, ...] = ()
# Statuses every operation taking a JSON body can answer: unreadable JSON, too large, invalid.
_WITH_BODY: tuple[int, ...] = (400, 413, 422)
# Headers that always come with a status (its description, the header's schema type).
_HEADERS_BY_STATUS: dict[int, dict[str, tuple[str, OpenAPIType]]] = {
    429: {"Retry-After": ("Seconds to wait before trying again", OpenAPIType.INTEGER)},
}


@dataclass(frozen=True, slots=True)
class Follow:
    """A link from a success response to an operation whose path parameter is in its body."""

    method: str
    path: str
    parameter: str
    pointer: str = "/id"


def _tweet_links(*paths: tuple[str, str]) -> tuple[Follow, ...]:
    return tuple(Follow(method, path, "tweet_id") for method, path in paths)


def _user_links(*paths: tuple[str, str]) -> tuple[Follow, ...]:
    return tuple(Follow(method, path, "handle", "/handle") for method, path in paths)


_ON_A_TWEET = _tweet_links(
    ("GET", "/tweets/{tweet_id}"),
    ("GET", "/tweets/{tweet_id}/replies"),
    ("GET", "/tweets/{tweet_id}/stats"),
    ("POST", "/tweets/{tweet_id}/like"),
    ("DELETE", "/tweets/{tweet_id}/like"),
    ("POST", "/tweets/{tweet_id}/repost"),
    ("DELETE", "/tweets/{tweet_id}/repost"),
    ("DELETE", "/tweets/{tweet_id}"),
)
_ON_A_USER = _user_links(
    ("GET", "/users/{handle}"),
    ("POST", "/users/{handle}/follow"),
    ("DELETE", "/users/{handle}/follow"),
    ("GET", "/users/{handle}/followers"),
    ("GET", "/users/{handle}/following"),
    ("GET", "/users/{handle}/tweets"),
)
# Create -> read -> delete: what may follow each creation, with the id it returned.
_LINKS: dict[tuple[str, str, int], tuple[Follow, ...]] = {
    ("POST", "/tweet", 201): _ON_A_TWEET,
    ("POST", "/tweets/{tweet_id}/repost", 201): _ON_A_TWEET,
    ("POST", "/users", 201): _ON_A_USER,
}


def _error_schema() -> Schema:
    text = Schema(type=OpenAPIType.STRING, min_length=1)
    detail = Schema(
        type=OpenAPIType.OBJECT,
        required=["code", "message"],
        properties={
            "code": Schema(type=OpenAPIType.STRING, pattern="^[a-z][a-z0-9_]*$"),
            "message": text,
        },
    )
    return Schema(
        type=OpenAPIType.OBJECT,
        required=["error"],
        properties={"error": detail},
        description='Every error: {"error": {"code", "message"}}; the codes are stable.',
    )


def _error_response(status: int) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] = {
        name: OpenAPIHeader(description=text, required=True, schema=Schema(type=kind))
        for name, (text, kind) in _HEADERS_BY_STATUS.get(status, {}).items()
    }
    return OpenAPIResponse(
        description=HTTPStatus(status).phrase,
        content={"application/json": OpenAPIMediaType(schema=_ERROR_REF)},
        headers=headers or None,
    )


def _error_statuses(method: str, path: str, operation: Operation, secured: bool) -> set[int]:
    statuses = set(_EVERY_OPERATION) | set(_EXTRA_STATUSES.get((method, path), ()))
    parameters = operation.parameters or []
    if secured:
        statuses.add(401)
    if any(getattr(parameter, "param_in", None) == "path" for parameter in parameters):
        statuses.add(404)
    if any(getattr(parameter, "param_in", None) == "query" for parameter in parameters):
        statuses.add(422)
    if operation.request_body is not None:
        statuses.update(_WITH_BODY)
    return statuses


def _handlers_by_operation(app: Litestar) -> dict[tuple[str, str], bool]:
    """(method, path) -> whether the handler needs a caller (a Bearer token)."""
    secured: dict[tuple[str, str], bool] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            needs_caller = "caller" in handler.parsed_fn_signature.parameters
            for method in handler.http_methods:
                secured[(method, route.path_format)] = needs_caller
    return secured


def _operations(document: OpenAPI) -> dict[tuple[str, str], Operation]:
    found: dict[tuple[str, str], Operation] = {}
    for path, item in (document.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                found[(method.upper(), path)] = operation
    return found


def _add_links(operations: dict[tuple[str, str], Operation]) -> None:
    for (method, path, status), follows in _LINKS.items():
        response = (operations[(method, path)].responses or {})[str(status)]
        assert isinstance(response, OpenAPIResponse)
        response.links = {
            target.operation_id: Link(
                operation_id=target.operation_id,
                parameters={follow.parameter: f"$response.body#{follow.pointer}"},
            )
            for follow in follows
            if (target := operations[(follow.method, follow.path)]).operation_id
        }


def declare_contract(app: Litestar) -> None:
    """Complete the app's OpenAPI document in place (it is built once, then served as is)."""
    document = app.openapi_schema
    secured_by_operation = _handlers_by_operation(app)
    operations = _operations(document)
    for (method, path), operation in operations.items():
        secured = secured_by_operation.get((method, path), False)
        operation.security = [{BEARER: []}] if secured else None
        # Litestar's own 400 (its validation error body) is replaced by roost's statuses.
        responses = {
            status: response
            for status, response in (operation.responses or {}).items()
            if status != "400"
        }
        for status in sorted(_error_statuses(method, path, operation, secured)):
            responses[str(status)] = _error_response(status)
        operation.responses = responses
    _add_links(operations)
    document.security = None
    components = document.components
    if isinstance(components, list):  # Litestar allows several; roost gives one
        components = components[0]
    assert isinstance(components, Components)
    components.schemas = {**(components.schemas or {}), ERROR_BODY: _error_schema()}
    components.security_schemes = {BEARER: SecurityScheme(type="http", scheme="bearer")}

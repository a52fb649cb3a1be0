"""The GraphQL HTTP controller: Strawberry's, with a JSON answer to a body that is not JSON.

A body nested 1,000 deep made the JSON decoder raise RecursionError, answered as a plain-text
500; any malformed body, or one that is not an object, is now a 400 with a GraphQL error body
whose extensions.code is INVALID_JSON.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from strawberry.litestar.controller import GraphQLController

INVALID_JSON = "INVALID_JSON"


class InvalidJson(Exception):
    """The request's JSON (its body, or a query parameter) is malformed or not an object."""


def hardened(controller: type[GraphQLController]) -> type[GraphQLController]:
    """The controller made by make_graphql_controller, answering INVALID_JSON."""

    class Hardened(controller):  # type: ignore[valid-type,misc]
        def decode_json(self, data: str | bytes) -> object:
            try:
                value = json.loads(data)
            except (ValueError, RecursionError) as failure:
                raise InvalidJson("The body is not valid JSON.") from failure
            if not isinstance(value, dict):
                raise InvalidJson("The body must be a JSON object.")
            return value

        async def execute_request(
            self, request: Request[Any, Any, Any], context: Any, root_value: Any
        ) -> Response[Any]:
            try:
                response: Response[Any] = await super().execute_request(
                    request, context, root_value
                )
            except InvalidJson as failure:
                error = {"message": str(failure), "extensions": {"code": INVALID_JSON}}
                return Response({"errors": [error]}, status_code=400, media_type=MediaType.JSON)
            return response

    return Hardened

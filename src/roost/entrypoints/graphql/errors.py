"""Domain errors become GraphQL errors whose extensions.code is the REST code in upper case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from graphql import GraphQLError

from roost.domain.errors import DomainError


def error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code.upper()})


@contextmanager
def as_graphql_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as failure:
        raise error(failure.code, failure.message) from failure

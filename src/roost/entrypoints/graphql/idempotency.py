"""The ``idempotencyKey`` argument of every mutation: a retried mutation runs once per key.

A field extension adds the argument and wraps the resolver: with a key, the mutation's result
is stored under (caller, key) with a fingerprint of the mutation and its arguments, and a
retry gets that result back instead of running it again (services.idempotency). A mutation
that fails stores nothing. The ``Idempotency-Key`` header, which covers a whole request, is
the REST layer's (entrypoints/rest/idempotency.py).
"""

from __future__ import annotations

from typing import Any

import msgspec
from strawberry.annotation import StrawberryAnnotation
from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types import Info
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.field import StrawberryField

from roost.domain.idempotency import fingerprint, validate_key
from roost.entrypoints.graphql.errors import as_graphql_errors

ARGUMENT = "idempotency_key"
KEY_PREFIX = "m:"  # mutation arguments' keys; the header's have their own

_encode = msgspec.json.Encoder(order="sorted").encode


class Idempotent(FieldExtension):
    def apply(self, field: StrawberryField) -> None:
        self._name = field.python_name.encode()
        self._field = field
        field.arguments = [
            *field.arguments,
            StrawberryArgument(
                python_name=ARGUMENT,
                graphql_name=None,
                type_annotation=StrawberryAnnotation(str | None),
                default=None,
                description="Your key (1-255 printable ASCII) for running this once: a retry "
                "gets the first result.",
            ),
        ]

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        key = kwargs.pop(ARGUMENT, None)
        if key is None:
            return await next_(source, info, **kwargs)
        context = info.context
        with as_graphql_errors():
            key = validate_key(key)
        caller = await context.caller()
        asked = fingerprint(b"graphql", self._name, _encode(kwargs))

        async def run() -> bytes:
            return _encode(await next_(source, info, **kwargs))

        with as_graphql_errors():
            stored = await context.roost.idempotency.once(caller.id, KEY_PREFIX + key, asked, run)
        return msgspec.json.decode(stored, type=self._field.type)

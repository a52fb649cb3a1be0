"""Admission of a document: parsed within the token limit and measured (cost.py) before any
validator runs, on every path that executes one (HTTP, WebSocket; the compiled path only runs
texts admitted before).

Budget: any document of at most MAX_TOKENS tokens is answered or rejected in under 50 ms of
CPU (bench/graphql_abuse.py). The field limit keeps graphql-core's OverlappingFieldsCanBeMerged,
quadratic in same-named fields, inside it: MAX_FIELDS ``__typename`` validate in about 13 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import DocumentNode, FragmentDefinitionNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

from roost.entrypoints.graphql.cost import FragmentCycle, TooNested, measure

MAX_TOKENS = 2_000
MAX_FIELDS = 300  # the largest query of ours, GraphiQL's introspection, has 229
MAX_FRAGMENTS = 32  # OverlappingFieldsCanBeMerged compares the fragments of a selection in pairs
MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_COST = 5_000

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
TOO_COSTLY = "QUERY_TOO_COSTLY"


@dataclass(frozen=True, slots=True)
class Limits:
    tokens: int = MAX_TOKENS
    fields: int = MAX_FIELDS
    fragments: int = MAX_FRAGMENTS
    depth: int = MAX_DEPTH
    aliases: int = MAX_ALIASES
    cost: int = MAX_COST


class Admission:
    """Admits or rejects query texts, remembering both (LRU) so a repeated text costs a lookup."""

    def __init__(self, limits: Limits = Limits(), cache_size: int = 1024) -> None:
        self.limits = limits
        self._judged: Callable[[str], DocumentNode | GraphQLError] = lru_cache(cache_size)(
            self._judge
        )

    def admit(self, query: str) -> DocumentNode:
        """The parsed document; raises a GraphQLError with a code when it is refused."""
        judged = self._judged(query)
        if isinstance(judged, GraphQLError):
            raise judged
        return judged

    def extension(self) -> SchemaExtension:
        """Hands Strawberry the admitted document instead of parsing the text again."""
        return _Admitted(self)

    def _judge(self, query: str) -> DocumentNode | GraphQLError:
        try:
            document = parse(
                query, max_lexical_tokens=self.limits.tokens, max_comments=self.limits.tokens
            )
        except GraphQLError as failure:
            return _coded(failure, PARSE_FAILED)
        fragments = sum(isinstance(d, FragmentDefinitionNode) for d in document.definitions)
        if fragments > self.limits.fragments:
            return _too_costly(
                f"This document has {fragments} fragments (the limit is {self.limits.fragments})."
            )
        try:
            cost = measure(document)
        except FragmentCycle as cycle:
            return GraphQLError(str(cycle), extensions={"code": VALIDATION_FAILED})
        except TooNested:
            return _too_costly("Selections are nested too deeply.")
        limits = self.limits
        if cost.fields > limits.fields:
            return _too_costly(
                f"This document would run {cost.fields} fields (the limit is {limits.fields})."
            )
        if cost.depth > limits.depth:
            return _too_costly(
                f"This query is {cost.depth} fields deep (the limit is {limits.depth})."
            )
        if cost.aliases > limits.aliases:
            return _too_costly(
                f"This query has {cost.aliases} aliases (the limit is {limits.aliases})."
            )
        if cost.weight > limits.cost:
            return _too_costly(
                f"This query could cost {cost.weight} (the limit is {limits.cost}): ask for "
                "smaller pages or fewer nested lists."
            )
        return document


class _Admitted(SchemaExtension):
    def __init__(self, admission: Admission) -> None:
        self._admission = admission

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = self._admission.admit(context.query)
        yield


def _coded(failure: GraphQLError, code: str) -> GraphQLError:
    return GraphQLError(
        failure.message,
        source=failure.source,
        positions=failure.positions,
        extensions={"code": code},
    )


def _too_costly(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": TOO_COSTLY})

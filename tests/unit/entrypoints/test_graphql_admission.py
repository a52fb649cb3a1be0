"""Hostile documents are refused before any validator expands them, and quickly."""

from __future__ import annotations

import asyncio
import time

import pytest
from graphql import get_introspection_query

from roost.entrypoints.graphql.admission import MAX_FIELDS, Admission
from roost.entrypoints.graphql.schema import build_schema

CPU_BOUND = 0.5  # seconds; the budget is 50 ms (bench/graphql_abuse.py), CI is noisy

SEED_QUERY = "query feed($userID: UUID) { feeds(userID: $userID) { feeds_tweets { tweet_id } } }"


def fan_out(k: int, depth: int) -> str:
    """Fragments that each spread the next k times: k**depth fields from a few hundred bytes."""
    fragments = [
        f"fragment F{n} on Query {{ {' '.join([f'...F{n + 1}'] * k)} }}" for n in range(depth)
    ]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{depth} on Query {{ __typename }}"


def nested_fragments() -> str:
    """About 2,000 tokens: 30 fragments, each spreading the next twice under a field."""
    fragments = [f"fragment F{n} on User {{ handle ...F{n + 1} ...F{n + 1} }}" for n in range(30)]
    return "{ me { ...F0 } } " + " ".join(fragments) + " fragment F30 on User { id }"


def rejected_code(query: str) -> str:
    result = asyncio.run(build_schema(introspection=True).execute(query))
    assert result.data is None
    assert result.errors
    code: str = result.errors[0].extensions["code"]
    return code


@pytest.mark.parametrize(
    ("name", "query", "code"),
    [
        ("fan-out k=6 depth 8", fan_out(6, 8), "QUERY_TOO_COSTLY"),
        ("1,990 __typename", "{" + " __typename" * 1990 + "}", "QUERY_TOO_COSTLY"),
        ("nested fragments", nested_fragments(), "QUERY_TOO_COSTLY"),
        (
            "40 fragments",
            "{ me { handle } } " + " ".join(f"fragment F{n} on User {{ id }}" for n in range(40)),
            "QUERY_TOO_COSTLY",
        ),
        (
            "a cycle",
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("too many tokens", "{" + " __typename" * 2001 + "}", "GRAPHQL_PARSE_FAILED"),
    ],
)
def test_a_hostile_document_is_refused_cheaply(name: str, query: str, code: str) -> None:
    started = time.process_time()
    assert rejected_code(query) == code, name
    assert time.process_time() - started < CPU_BOUND


def test_a_repeated_refusal_is_remembered() -> None:
    schema = build_schema(introspection=True)
    query = fan_out(6, 8)
    asyncio.run(schema.execute(query))
    started = time.process_time()
    assert asyncio.run(schema.execute(query)).errors
    assert time.process_time() - started < 0.05


def test_depth_aliases_and_cost_are_limited_in_the_same_pass() -> None:
    deep = "{ feed { edges { node {" + " repostOf {" * 5 + " id" + " }" * 8 + " }"
    assert rejected_code(deep) == "QUERY_TOO_COSTLY"
    aliased = "{ " + " ".join(f"a{n}: __typename" for n in range(16)) + " }"
    assert rejected_code(aliased) == "QUERY_TOO_COSTLY"
    page = "feed(first: 100) { edges { cursor node { id content author { handle } } } }"
    costly = "{ " + " ".join(f"f{n}: {page}" for n in range(12)) + " }"
    assert rejected_code(costly) == "QUERY_TOO_COSTLY"


def test_our_queries_are_admitted() -> None:
    admission = Admission()
    introspection = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    for query in (SEED_QUERY, introspection, "{" + " __typename" * MAX_FIELDS + "}"):
        assert admission.admit(query).definitions

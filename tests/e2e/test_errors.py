"""Cross-cutting error behaviour: authentication, malformed requests, rate limits, error shape."""

from __future__ import annotations

from typing import Any

import pytest

from .support import (
    Account,
    Server,
    ServerFactory,
    assert_error,
    assert_error_shape,
    auth,
    describe,
    get_page,
    get_user,
    login,
    new_account,
    post_tweet,
)

# Every endpoint that needs a session: (method, path template, JSON body or None).
AUTHENTICATED = [
    ("GET", "/users/{handle}", None),
    ("GET", "/users/{handle}/tweets", None),
    ("GET", "/users/{handle}/followers", None),
    ("GET", "/users/{handle}/following", None),
    ("POST", "/users/{handle}/follow", None),
    ("DELETE", "/users/{handle}/follow", None),
    ("POST", "/tweet", {"content": "sneaky"}),
    ("GET", "/tweets/{tweet_id}", None),
    ("DELETE", "/tweets/{tweet_id}", None),
    ("GET", "/feed", None),
    ("DELETE", "/sessions", None),
]


def _bad_credentials(
    api: Server, variant: str, victim: Account, intruder: Account
) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query params) for one way of not being properly authenticated as intruder."""
    if variant == "none":
        return {}, {}
    if variant == "unknown-token":
        return auth("not-a-real-token-" + "x" * 40), {}
    if variant == "empty-bearer":
        return {"Authorization": "Bearer"}, {}
    if variant == "revoked-token":
        token = login(api.client, intruder.handle)
        revoked = api.client.delete("/sessions", headers=auth(token))
        assert revoked.status_code == 204, describe(revoked)
        return auth(token), {}
    if variant == "query-parameter":
        # A valid token, but in the query string: not accepted.
        return {}, {"auth_token": victim.token}
    if variant == "no-scheme":
        return {"Authorization": victim.token}, {}
    if variant == "basic-scheme":
        return {"Authorization": f"Basic {victim.token}"}, {}
    raise AssertionError(variant)


@pytest.mark.parametrize(
    "variant",
    [
        "none",
        "unknown-token",
        "empty-bearer",
        "revoked-token",
        "query-parameter",
        "no-scheme",
        "basic-scheme",
    ],
)
def test_every_authenticated_endpoint_rejects_bad_credentials(api: Server, variant: str) -> None:
    victim = new_account(api.client, "victim")
    intruder = new_account(api.client, "intruder")
    tweet = post_tweet(api.client, victim, "do not touch")
    headers, params = _bad_credentials(api, variant, victim, intruder)

    for method, template, body in AUTHENTICATED:
        path = template.format(handle=victim.handle, tweet_id=tweet["id"])
        response = api.client.request(method, path, headers=headers, params=params, json=body)
        assert_error(response, 401, "unauthorized")
        assert response.headers.get("content-type", "").startswith("application/json")

    # None of those requests did anything.
    fetched = api.client.get(f"/tweets/{tweet['id']}", headers=victim.headers)
    assert fetched.status_code == 200, describe(fetched)
    me = get_user(api.client, victim, victim.handle)
    assert (me["followers_count"], me["following_count"]) == (0, 0)
    assert [item["id"] for item in get_page(api.client, "/feed", victim)["items"]] == [tweet["id"]]
    # And the victim's own token still works.
    assert api.client.get("/feed", headers=victim.headers).status_code == 200


def test_public_endpoints_need_no_session(api: Server) -> None:
    assert api.client.get("/healthz").status_code == 200
    assert api.client.get("/openapi.json").status_code == 200
    # POST /users and POST /sessions work without an Authorization header.
    account = new_account(api.client, "public")
    assert account.token


# ---------------------------------------------------------------------------------------------
# Malformed requests


# Bodies that are not JSON at all are 400 invalid_json; JSON of the wrong shape is 422.
MALFORMED_BODIES = [
    (b'{"handle": ', 400, "invalid_json"),
    (b"{not json}", 400, "invalid_json"),
    (b"\xff\xfe\x00garbage", 400, "invalid_json"),
    (b"", 422, "invalid_request"),
    (b"null", 422, "invalid_request"),
    (b"[]", 422, "invalid_request"),
    (b'"a string"', 422, "invalid_request"),
    (b"42", 422, "invalid_request"),
]


@pytest.mark.parametrize(("raw", "status", "code"), MALFORMED_BODIES, ids=lambda v: repr(v)[:24])
def test_malformed_bodies_are_refused(api: Server, raw: bytes, status: int, code: str) -> None:
    account = new_account(api.client, "malformed")
    json_headers = {"Content-Type": "application/json"}
    for path, headers in (
        ("/users", json_headers),
        ("/sessions", json_headers),
        ("/tweet", {**json_headers, **account.headers}),
    ):
        response = api.client.post(path, content=raw, headers=headers)
        assert_error(response, status, code)
    # Still nothing posted, and still able to post.
    assert get_page(api.client, f"/users/{account.handle}/tweets", account)["items"] == []
    post_tweet(api.client, account, "fine")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users", {"handle": "HANDLE", "password": "correct horse", "extra": 1}),
        ("/sessions", {"handle": "HANDLE", "password": "correct horse", "extra": 1}),
        ("/tweet", {"content": "hello", "extra": 1}),
        ("/tweet", {"content": "hello", "in_reply_to": None, "Content": "again"}),
    ],
    ids=["users", "sessions", "tweet", "tweet-case-variant-field"],
)
def test_unknown_fields_are_rejected(api: Server, path: str, body: dict[str, Any]) -> None:
    account = new_account(api.client, "fields")
    if body.get("handle") == "HANDLE":
        body = {**body, "handle": account.handle if path == "/sessions" else account.handle + "2"}
    response = api.client.post(path, json=body, headers=account.headers)
    assert_error(response, 422, "invalid_request")


def test_reply_with_null_in_reply_to_is_a_plain_post(api: Server) -> None:
    account = new_account(api.client, "nullreply")
    response = api.client.post(
        "/tweet", json={"content": "hi", "in_reply_to": None}, headers=account.headers
    )
    assert response.status_code == 201, describe(response)
    assert response.json()["in_reply_to"] is None


# ---------------------------------------------------------------------------------------------
# Error shape for routing errors


def test_unknown_route_has_an_error_body(api: Server) -> None:
    account = new_account(api.client, "routing")
    response = api.client.get("/no/such/route", headers=account.headers)
    assert_error_shape(response, 404)


def test_wrong_method_has_an_error_body(api: Server) -> None:
    account = new_account(api.client, "routing")
    response = api.client.put("/feed", headers=account.headers)
    assert_error_shape(response, 405)


# ---------------------------------------------------------------------------------------------
# Rate limits


def test_posting_is_rate_limited_per_user(start_server: ServerFactory, database_url: str) -> None:
    server = start_server(database_url, env={"ROOST_RATE_LIMIT_POSTS_PER_MINUTE": "3"})
    client = server.client
    alice = new_account(client, "alice")
    bob = new_account(client, "bob")

    posted = [post_tweet(client, alice, f"post {n}") for n in range(3)]
    limited = client.post("/tweet", json={"content": "one too many"}, headers=alice.headers)
    assert_error(limited, 429, "rate_limited")
    retry_after = limited.headers.get("retry-after")
    assert retry_after is not None, limited.headers
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60, retry_after
    again = client.post("/tweet", json={"content": "and another"}, headers=alice.headers)
    assert_error(again, 429, "rate_limited")

    # The refused posts were not stored.
    timeline = get_page(client, f"/users/{alice.handle}/tweets", alice)["items"]
    assert [item["id"] for item in timeline] == [tweet["id"] for tweet in reversed(posted)]
    # Reading is not limited, and the limit is per user: bob can still post.
    assert client.get("/feed", headers=alice.headers).status_code == 200
    post_tweet(client, bob, "my first")


def test_crafted_ids_and_handles_are_answered_not_crashed_on(api: Server) -> None:
    account = new_account(api.client, "crafted")
    huge = "9" * 5000
    assert_error(api.client.get(f"/tweets/{huge}", headers=account.headers), 404, "not_found")
    response = api.client.post(
        "/tweet", json={"content": "hi", "in_reply_to": huge}, headers=account.headers
    )
    assert_error(response, 422, "invalid_request")
    assert_error(api.client.get("/users/a%00b", headers=account.headers), 404, "not_found")
    response = api.client.post("/sessions", json={"handle": "a\u0000b", "password": "whatever1"})
    assert_error(response, 401, "invalid_credentials")
    response = api.client.post("/sessions", json={"handle": "x" * 60_000, "password": "whatever1"})
    assert_error(response, 401, "invalid_credentials")
    seed = "query feed($userID: UUID) { feeds(userID: $userID) { feeds_tweets { tweet_id } } }"
    for user_id in (None, "\u00b2", huge):  # the first run compiles the query
        response = api.client.post(
            "/graphql",
            json={"query": seed, "variables": {"userID": user_id}},
            headers=account.headers,
        )
        assert response.status_code == 200
        assert (user_id is None) == ("errors" not in response.json())

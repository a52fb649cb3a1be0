"""The OWASP API Security Top 10 (2023), items API1-API6, each tested against the controls roost
has, over HTTP (REST and GraphQL), in every mode.

API7 (server-side request forgery) does not apply: roost fetches no URL a client gives. API8-10
(misconfiguration, inventory, unsafe consumption of third-party APIs) are not request-level
behaviours and are left to their own tests (headers, OpenAPI) and reviews.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from .support import (
    DEFAULT_PASSWORD,
    USER_KEYS,
    Account,
    Server,
    SseListener,
    assert_error,
    describe,
    eventually,
    follow,
    get_page,
    get_user,
    new_account,
    post_tweet,
    unique_handle,
)

STREAMS_PER_USER = 10  # services/live.py SESSIONS_PER_USER
MAX_PAGE = 100  # services/pages.py MAX_LIMIT
MAX_BODY = 64 * 1024
LOGINS_PER_MINUTE = 20  # ROOST_RATE_LIMIT_LOGINS_PER_MINUTE's default


def _graphql(api: Server, query: str, account: Account | None, **variables: Any) -> Any:
    headers = {} if account is None else account.headers
    response = api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, describe(response)
    return response.json()


def _graphql_error_code(body: Any) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def _unread(api: Server, account: Account) -> int:
    response = api.client.get("/notifications/unread_count", headers=account.headers)
    assert response.status_code == 200, describe(response)
    count: int = response.json()["count"]
    return count


# --------------------------------------------------------------------------------------------
# API1: Broken Object Level Authorization — one user's objects through another's token


def test_api1_broken_object_level_authorization_stats_are_their_owners(api: Server) -> None:
    alice, bob = new_account(api.client), new_account(api.client)
    bobs = post_tweet(api.client, bob, "bob's numbers")
    as_alice = alice.headers
    assert_error(api.client.get(f"/tweets/{bobs['id']}/stats", headers=as_alice), 403, "forbidden")
    assert_error(api.client.get(f"/users/{bob.handle}/stats", headers=as_alice), 403, "forbidden")
    assert api.client.get(f"/tweets/{bobs['id']}/stats", headers=bob.headers).status_code == 200


def test_api1_broken_object_level_authorization_no_one_reads_anothers_feed(api: Server) -> None:
    alice, bob = new_account(api.client), new_account(api.client)
    seed = "query($u: UUID) { feeds(userID: $u) { feeds_tweets { tweet_id } } }"
    assert _graphql_error_code(_graphql(api, seed, alice, u=bob.id)) == "FORBIDDEN"
    assert _graphql(api, seed, bob, u=bob.id)["data"]["feeds"] is not None


def test_api1_broken_object_level_authorization_likes_and_reads_are_the_callers_own(
    api: Server,
) -> None:
    alice, bob, carol = (new_account(api.client) for _ in range(3))
    post = post_tweet(api.client, carol, "liked by bob")
    liked = api.client.post(f"/tweets/{post['id']}/like", headers=bob.headers)
    assert liked.status_code == 204, describe(liked)
    eventually(lambda: _equal(_unread(api, carol), 1), timeout=5.0)
    notification = get_page(api.client, "/notifications", carol)["items"][0]

    # alice "unlikes" carol's post: it removes alice's like (there is none), never bob's
    undone = api.client.delete(f"/tweets/{post['id']}/like", headers=alice.headers)
    assert undone.status_code == 204, describe(undone)
    got = api.client.get(f"/tweets/{post['id']}", headers=bob.headers).json()
    assert got["liked"] is True
    # alice marking carol's notification read marks nothing of carol's
    mark = api.client.post(
        "/notifications/read", json={"up_to": notification["id"]}, headers=alice.headers
    )
    assert mark.status_code == 204, describe(mark)
    assert _unread(api, carol) == 1
    assert get_page(api.client, "/notifications", alice)["items"] == []


def _equal(actual: object, expected: object) -> None:
    assert actual == expected


# --------------------------------------------------------------------------------------------
# API2: Broken Authentication


def test_api2_broken_authentication_only_a_live_bearer_token_gets_in(api: Server) -> None:
    alice = new_account(api.client)
    refused: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Basic {alice.token}"},
        {"Authorization": alice.token},
        {"Authorization": f"Bearer {alice.token}x"},
    ]
    for headers in refused:
        for path in ("/feed", "/notifications", "/stream"):
            response = api.client.get(path, headers=headers)
            assert_error(response, 401, "unauthorized")
            assert response.headers.get("www-authenticate") == "Bearer", response.headers
    # never from the URL, where it would end up in logs and browser history
    for name in ("token", "access_token"):
        assert_error(api.client.get("/feed", params={name: alice.token}), 401, "unauthorized")
    assert _graphql_error_code(_graphql(api, "{ me { id } }", None)) == "UNAUTHORIZED"
    assert _graphql(api, "{ me { id } }", alice)["data"]["me"]["id"] == alice.id


def test_api2_broken_authentication_a_logged_out_token_is_dead(api: Server) -> None:
    alice = new_account(api.client)
    assert api.client.delete("/sessions", headers=alice.headers).status_code == 204
    assert_error(api.client.get("/feed", headers=alice.headers), 401, "unauthorized")
    assert_error(api.client.delete("/sessions", headers=alice.headers), 401, "unauthorized")
    assert_error(api.client.get("/stream", headers=alice.headers), 401, "unauthorized")
    assert _graphql_error_code(_graphql(api, "{ me { id } }", alice)) == "UNAUTHORIZED"


def test_api2_broken_authentication_logins_tell_nothing_and_tokens_are_unguessable(
    api: Server,
) -> None:
    alice = new_account(api.client)
    wrong = api.client.post("/sessions", json={"handle": alice.handle, "password": "wrong horse"})
    nobody = api.client.post(
        "/sessions", json={"handle": unique_handle(), "password": DEFAULT_PASSWORD}
    )
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(nobody, 401, "invalid_credentials")
    assert wrong.json() == nobody.json()  # no way to tell which handles exist
    tokens = {
        api.client.post(
            "/sessions", json={"handle": alice.handle, "password": DEFAULT_PASSWORD}
        ).json()["token"]
        for _ in range(3)
    }
    assert len(tokens) == 3
    assert all(len(token) >= 43 for token in tokens)  # 256 random bits, URL-safe base64


# --------------------------------------------------------------------------------------------
# API3: Broken Object Property Level Authorization — mass assignment and excessive exposure


def test_api3_broken_object_property_level_authorization_extra_fields_are_refused(
    api: Server,
) -> None:
    handle = unique_handle()
    for extra in (
        {"is_admin": True},
        {"followers_count": 1_000_000},
        {"id": "1"},
        {"created_at": "2000-01-01T00:00:00Z"},
    ):
        body = {"handle": handle, "password": DEFAULT_PASSWORD, **extra}
        assert_error(api.client.post("/users", json=body), 422, "invalid_request")
    alice = new_account(api.client)
    assert_error(api.client.get(f"/users/{handle}", headers=alice.headers), 404, "not_found")
    bob = new_account(api.client)
    for extra in (
        {"author_id": bob.id},
        {"id": "1"},
        {"like_count": 999},
        {"created_at": "2000-01-01T00:00:00Z"},
    ):
        body = {"content": "mine, as I say", **extra}
        assert_error(
            api.client.post("/tweet", json=body, headers=alice.headers), 422, "invalid_request"
        )
    assert get_page(api.client, f"/users/{alice.handle}/tweets", alice)["items"] == []
    assert get_page(api.client, f"/users/{bob.handle}/tweets", bob)["items"] == []
    login = {"handle": alice.handle, "password": DEFAULT_PASSWORD, "is_admin": True}
    assert_error(api.client.post("/sessions", json=login), 422, "invalid_request")
    read = {"up_to": "1", "user_id": bob.id}
    assert_error(
        api.client.post("/notifications/read", json=read, headers=alice.headers),
        422,
        "invalid_request",
    )


def test_api3_broken_object_property_level_authorization_no_secret_leaves(api: Server) -> None:
    alice, bob = new_account(api.client), new_account(api.client)
    follow(api.client, alice, bob.handle)
    post = post_tweet(api.client, bob, f"hello @{alice.handle}")
    digests = {hashlib.sha256(t.encode()).hexdigest() for t in (alice.token, bob.token)}
    session = api.client.post(
        "/sessions", json={"handle": bob.handle, "password": DEFAULT_PASSWORD}
    ).json()
    assert set(session) == {"token", "user"}
    assert set(session["user"]) == USER_KEYS
    assert set(get_user(api.client, alice, bob.handle)) == USER_KEYS  # no last_seen_at, no admin
    eventually(lambda: _equal(_unread(api, alice), 1), timeout=5.0)
    bodies = [
        session,
        get_user(api.client, alice, bob.handle),
        api.client.get(f"/tweets/{post['id']}", headers=alice.headers).json(),
        get_page(api.client, "/feed", alice),
        get_page(api.client, f"/users/{bob.handle}/followers", alice),
        get_page(api.client, "/notifications", alice),
        get_page(api.client, "/mentions", alice),
        _graphql(api, "{ me { id handle displayName } }", alice),
    ]
    text = httpx.Response(200, json=bodies).text
    assert "$argon2" not in text
    assert DEFAULT_PASSWORD not in text
    assert not any(digest in text for digest in digests)
    assert alice.token not in text
    assert bob.token not in text
    names = _graphql(api, '{ __type(name: "User") { fields { name } } }', alice)
    fields = {f["name"] for f in names["data"]["__type"]["fields"]}
    assert fields == {
        "id",
        "handle",
        "displayName",
        "followersCount",
        "followingCount",
        "createdAt",
    }


# --------------------------------------------------------------------------------------------
# API4: Unrestricted Resource Consumption


def test_api4_unrestricted_resource_consumption_bodies_over_64_kib_are_refused(
    api: Server,
) -> None:
    alice = new_account(api.client)
    huge = "x" * (MAX_BODY + 1)
    assert_error(
        api.client.post("/users", json={"handle": "h" * 10, "password": huge}),
        413,
        "payload_too_large",
    )
    assert_error(
        api.client.post("/tweet", json={"content": huge}, headers=alice.headers),
        413,
        "payload_too_large",
    )
    graphql = api.client.post(
        "/graphql",
        json={"query": "{ me { id } }", "variables": {"pad": huge}},
        headers=alice.headers,
    )
    assert graphql.status_code == 413, describe(graphql)
    post_tweet(api.client, alice, "the server is fine afterwards")


def test_api4_unrestricted_resource_consumption_pages_are_capped(api: Server) -> None:
    alice = new_account(api.client)
    for path in ("/feed", "/notifications", "/mentions", f"/users/{alice.handle}/followers"):
        too_many = api.client.get(path, params={"limit": MAX_PAGE + 1}, headers=alice.headers)
        assert_error(too_many, 422, "invalid_request")
        get_page(api.client, path, alice, limit=MAX_PAGE)
    query = "query($n: Int!) { feed(first: $n) { edges { cursor } } }"
    assert _graphql_error_code(_graphql(api, query, alice, n=MAX_PAGE + 1)) == "INVALID_REQUEST"
    assert _graphql(api, query, alice, n=MAX_PAGE)["data"]["feed"]["edges"] == []


def test_api4_unrestricted_resource_consumption_graphql_cost_is_bounded(api: Server) -> None:
    alice = new_account(api.client)
    costly = (
        "{ feed(first: 100) { edges { node { author { handle } replies(first: 100) "
        "{ edges { node { id } } } } } } }"
    )
    assert _graphql_error_code(_graphql(api, costly, alice)) == "QUERY_TOO_COSTLY"


def test_api4_unrestricted_resource_consumption_live_streams_are_capped(api: Server) -> None:
    alice = new_account(api.client)
    listeners = [SseListener(api.url, alice) for _ in range(STREAMS_PER_USER)]
    try:
        for listener in listeners:
            listener.__enter__()

        def one_more_is_refused() -> None:
            with api.client.stream("GET", "/stream", headers=alice.headers) as extra:
                assert extra.status_code == 429, extra.status_code
                extra.read()
                assert_error(extra, 429, "rate_limited")

        eventually(one_more_is_refused, timeout=5.0)
        other = new_account(api.client)  # the cap is per user
        with SseListener(api.url, other):
            pass
    finally:
        for listener in listeners:
            listener.__exit__()


# --------------------------------------------------------------------------------------------
# API5: Broken Function Level Authorization


def test_api5_broken_function_level_authorization_admin_data_is_for_admins(api: Server) -> None:
    alice = new_account(api.client)
    for path in ("/analytics/overview", "/analytics/forecast"):
        assert_error(api.client.get(path, headers=alice.headers), 403, "forbidden")
        assert_error(api.client.get(path), 401, "unauthorized")
    page = api.client.get("/admin")  # the dashboard page itself holds no data
    assert page.status_code == 200
    assert "$argon2" not in page.text


def test_api5_broken_function_level_authorization_only_authors_delete_their_posts(
    api: Server,
) -> None:
    alice, bob = new_account(api.client), new_account(api.client)
    post = post_tweet(api.client, bob, "bob's to delete")
    assert_error(
        api.client.delete(f"/tweets/{post['id']}", headers=alice.headers), 403, "forbidden"
    )
    mutation = "mutation($id: ID!) { deleteTweet(id: $id) }"
    assert _graphql_error_code(_graphql(api, mutation, alice, id=post["id"])) == "FORBIDDEN"
    still = api.client.get(f"/tweets/{post['id']}", headers=alice.headers)
    assert still.status_code == 200, describe(still)
    assert api.client.delete(f"/tweets/{post['id']}", headers=bob.headers).status_code == 204


# --------------------------------------------------------------------------------------------
# API6: Unrestricted Access to Sensitive Business Flows


def test_api6_unrestricted_access_to_sensitive_business_flows_login_guessing_is_limited(
    api: Server,
) -> None:
    alice, bob = new_account(api.client), new_account(api.client)
    # new_account logged alice in once: that attempt counts too
    for _ in range(LOGINS_PER_MINUTE - 1):
        wrong = api.client.post("/sessions", json={"handle": alice.handle, "password": "guess1234"})
        assert_error(wrong, 401, "invalid_credentials")
    limited = api.client.post("/sessions", json={"handle": alice.handle, "password": "guess1234"})
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    right = api.client.post(
        "/sessions", json={"handle": alice.handle, "password": DEFAULT_PASSWORD}
    )
    assert_error(right, 429, "rate_limited")  # checked before the password: guessing gains nothing
    ignoring_case = {"handle": alice.handle.upper(), "password": DEFAULT_PASSWORD}
    assert_error(api.client.post("/sessions", json=ignoring_case), 429, "rate_limited")
    other = api.client.post("/sessions", json={"handle": bob.handle, "password": DEFAULT_PASSWORD})
    assert other.status_code == 201, describe(other)  # the limit is per handle

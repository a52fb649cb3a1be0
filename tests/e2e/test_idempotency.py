"""Idempotency-Key on POST (REST), and GraphQL's idempotencyKey argument and header: a retried
write runs once; its retries get the first response, in every mode and across API processes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.conftest import REDIS_URL

from .support import (
    DEFAULT_PASSWORD,
    Account,
    Server,
    ServerFactory,
    assert_error,
    describe,
    get_page,
    new_account,
    post_tweet,
    scaled_env,
    unique_handle,
)

REPLAYED = "idempotent-replayed"


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"key-{uuid.uuid4()}"}


def _post(
    client: httpx.Client, path: str, account: Account | None, key: dict[str, str], **body: Any
) -> httpx.Response:
    headers = {**(account.headers if account else {}), **key}
    return client.post(path, json=body or None, headers=headers)


def _own_tweets(client: httpx.Client, author: Account) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = get_page(
        client, f"/users/{author.handle}/tweets", author, limit=100
    )["items"]
    return items


def _replay_of(first: httpx.Response, retry: httpx.Response) -> None:
    assert REPLAYED not in first.headers, describe(first)
    assert retry.status_code == first.status_code, describe(retry)
    assert retry.headers[REPLAYED] == "true", describe(retry)
    assert retry.content == first.content
    assert retry.headers.get("content-type") == first.headers.get("content-type")


# --------------------------------------------------------------------------------------------
# REST


def test_a_retried_post_creates_one_tweet_and_replays_the_first_answer(api: Server) -> None:
    author = new_account(api.client, "keyed")
    key = _key()
    first = _post(api.client, "/tweet", author, key, content="only once")
    assert first.status_code == 201, describe(first)
    retries = [_post(api.client, "/tweet", author, key, content="only once") for _ in range(3)]
    for retry in retries:
        _replay_of(first, retry)
    assert [t["id"] for t in _own_tweets(api.client, author)] == [first.json()["id"]]


def test_the_same_key_for_another_request_is_refused(api: Server) -> None:
    author = new_account(api.client, "keyed")
    key = _key()
    first = _post(api.client, "/tweet", author, key, content="one thing")
    assert first.status_code == 201, describe(first)
    assert_error(
        _post(api.client, "/tweet", author, key, content="another"), 422, "idempotency_key_reused"
    )
    other_path = _post(api.client, f"/tweets/{first.json()['id']}/like", author, key)
    assert_error(other_path, 422, "idempotency_key_reused")
    assert len(_own_tweets(api.client, author)) == 1


def test_concurrent_duplicates_run_once(api: Server) -> None:
    author = new_account(api.client, "keyed")
    key = _key()

    def send(_: int) -> httpx.Response:
        return _post(api.client, "/tweet", author, key, content="at once")

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(16)))
    fresh = [a for a in answers if a.status_code == 201 and REPLAYED not in a.headers]
    assert len(fresh) == 1, [describe(a) for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert_error(answer, 409, "idempotency_key_in_flight")
        elif answer is not fresh[0]:
            _replay_of(fresh[0], answer)
    assert [t["id"] for t in _own_tweets(api.client, author)] == [fresh[0].json()["id"]]


def test_keys_are_per_user(api: Server) -> None:
    alice, bob = new_account(api.client, "alice"), new_account(api.client, "bob")
    key = _key()
    mine = _post(api.client, "/tweet", alice, key, content="same words")
    theirs = _post(api.client, "/tweet", bob, key, content="same words")
    assert mine.status_code == theirs.status_code == 201, describe(theirs)
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert theirs.json()["author"]["id"] == bob.id


def test_reposts_follows_likes_and_other_posts_honour_the_key(api: Server) -> None:
    author, fan = new_account(api.client, "author"), new_account(api.client, "fan")
    tweet = post_tweet(api.client, author)
    calls = [
        (f"/tweets/{tweet['id']}/repost", {}, 201),
        (f"/tweets/{tweet['id']}/like", {}, 204),
        (f"/users/{author.handle}/follow", {}, 204),
        ("/tweet", {"content": "a reply", "in_reply_to": tweet["id"]}, 201),
    ]
    for path, body, status in calls:
        key = _key()
        first = _post(api.client, path, fan, key, **body)
        assert first.status_code == status, describe(first)
        _replay_of(first, _post(api.client, path, fan, key, **body))
    # Without a key a second repost answers 200 (the earlier one): the keyed retry got the 201.
    again = api.client.post(f"/tweets/{tweet['id']}/repost", headers=fan.headers)
    assert again.status_code == 200, describe(again)


def test_an_error_answer_is_replayed_too(api: Server) -> None:
    author = new_account(api.client, "keyed")
    key = _key()
    first = _post(api.client, "/tweet", author, key, content="")
    assert_error(first, 422, "invalid_content")
    _replay_of(first, _post(api.client, "/tweet", author, key, content=""))


def test_a_malformed_key_is_an_invalid_request(api: Server) -> None:
    author = new_account(api.client, "keyed")
    for bad in (b"", b"x" * 256, "caf\u00e9".encode(), b"tab\there"):
        headers: dict[str, str | bytes] = {**author.headers, "Idempotency-Key": bad}
        answer = api.client.post("/tweet", json={"content": "hi"}, headers=headers)
        assert_error(answer, 422, "invalid_request")
    assert _own_tweets(api.client, author) == []
    longest = _post(api.client, "/tweet", author, {"Idempotency-Key": "~" * 255}, content="hi")
    assert longest.status_code == 201, describe(longest)


def test_log_ins_and_sign_ups_ignore_the_key(api: Server) -> None:
    """A session token is never stored in clear, so POST /sessions is never replayed; sign-up
    has no user to key by (a repeated sign-up is a 409)."""
    handle, key = unique_handle("signup"), _key()
    body = {"handle": handle, "password": DEFAULT_PASSWORD}
    created = api.client.post("/users", json=body, headers=key)
    assert created.status_code == 201, describe(created)
    assert_error(api.client.post("/users", json=body, headers=key), 409, "handle_taken")
    logins = [api.client.post("/sessions", json=body, headers=key) for _ in range(2)]
    for login in logins:
        assert login.status_code == 201, describe(login)
        assert REPLAYED not in login.headers
    assert logins[0].json()["token"] != logins[1].json()["token"]


def test_a_keyed_post_without_a_token_is_answered_as_always(api: Server) -> None:
    key = _key()
    assert_error(
        api.client.post("/tweet", json={"content": "hi"}, headers=key), 401, "unauthorized"
    )
    bad_token = {"Authorization": "Bearer not-a-token", **key}
    answer = api.client.post("/tweet", json={"content": "hi"}, headers=bad_token)
    assert_error(answer, 401, "unauthorized")


def test_other_methods_ignore_the_key(api: Server) -> None:
    author = new_account(api.client, "keyed")
    tweet = post_tweet(api.client, author)
    key = _key()
    for _ in range(2):
        read = api.client.get(f"/tweets/{tweet['id']}", headers={**author.headers, **key})
        assert read.status_code == 200, describe(read)
        assert REPLAYED not in read.headers


# --------------------------------------------------------------------------------------------
# GraphQL

POST_TWEET = """
mutation post($content: String!, $key: String) {
  postTweet(content: $content, idempotencyKey: $key) { id content author { handle } }
}
"""


def _graphql(
    api: Server,
    account: Account,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> httpx.Response:
    return api.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**account.headers, **(headers or {})},
    )


def test_graphql_post_tweet_with_an_idempotency_key_runs_once(api: Server) -> None:
    author = new_account(api.client, "graphql")
    key = str(uuid.uuid4())
    answers = [_graphql(api, author, POST_TWEET, content="keyed", key=key) for _ in range(3)]
    bodies = [answer.json() for answer in answers]
    assert all("errors" not in body for body in bodies), bodies
    assert bodies[0]["data"]["postTweet"]["content"] == "keyed"
    assert bodies[1] == bodies[2] == bodies[0]
    assert [t["id"] for t in _own_tweets(api.client, author)] == [
        bodies[0]["data"]["postTweet"]["id"]
    ]
    reused = _graphql(api, author, POST_TWEET, content="other words", key=key).json()
    assert reused["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED", reused
    bad = _graphql(api, author, POST_TWEET, content="keyed", key="").json()
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_REQUEST", bad


def test_graphql_keys_are_per_user_and_per_mutation(api: Server) -> None:
    alice, bob = new_account(api.client, "alice"), new_account(api.client, "bob")
    key = str(uuid.uuid4())
    mine = _graphql(api, alice, POST_TWEET, content="same", key=key).json()
    theirs = _graphql(api, bob, POST_TWEET, content="same", key=key).json()
    assert mine["data"]["postTweet"]["id"] != theirs["data"]["postTweet"]["id"]
    follow = """
    mutation f($h: String!, $key: String) {
      follow(handle: $h, idempotencyKey: $key) { handle followersCount }
    }
    """
    first = _graphql(api, alice, follow, h=bob.handle, key=str(uuid.uuid4())).json()
    assert first["data"]["follow"] == {"handle": bob.handle, "followersCount": 1}, first


def test_the_idempotency_key_header_covers_a_whole_graphql_request(api: Server) -> None:
    author = new_account(api.client, "graphql")
    key = _key()
    query = 'mutation { a: postTweet(content: "one") { id } b: postTweet(content: "two") { id } }'
    first = _graphql(api, author, query, key)
    assert first.status_code == 200, describe(first)
    assert "errors" not in first.json(), describe(first)
    _replay_of(first, _graphql(api, author, query, key))
    assert len(_own_tweets(api.client, author)) == 2
    reused = _graphql(api, author, 'mutation { postTweet(content: "three") { id } }', key)
    assert reused.status_code == 422, describe(reused)
    assert reused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"


# --------------------------------------------------------------------------------------------
# Scaled: two API processes, one PostgreSQL database and one Redis prefix


def test_a_key_holds_across_api_processes(
    redis_prefix: str, start_server: ServerFactory, postgres_url: str
) -> None:
    servers = [
        start_server(postgres_url, env=scaled_env(REDIS_URL, redis_prefix, worker_id=n))
        for n in (1, 2)
    ]
    one, two = servers
    author = new_account(one.client, "scaled")
    key = _key()
    first = _post(one.client, "/tweet", author, key, content="across processes")
    assert first.status_code == 201, describe(first)
    _replay_of(first, _post(two.client, "/tweet", author, key, content="across processes"))
    assert_error(
        _post(two.client, "/tweet", author, key, content="changed"), 422, "idempotency_key_reused"
    )

    burst = _key()
    clients: list[Callable[[], httpx.Response]] = [
        (lambda s=s: _post(s.client, "/tweet", author, burst, content="burst")) for s in servers * 8
    ]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda call: call(), clients))
    fresh = [a for a in answers if a.status_code == 201 and REPLAYED not in a.headers]
    assert len(fresh) == 1, [describe(a) for a in answers]
    assert all(a.status_code in (201, 409) for a in answers), [describe(a) for a in answers]
    assert len(_own_tweets(two.client, author)) == 2

"""Posting, reading, replying to and deleting tweets; a user's own timeline."""

from __future__ import annotations

import time
import unicodedata

import pytest

from .support import (
    Server,
    assert_error,
    assert_error_shape,
    assert_newest_first,
    assert_tweet,
    collect_pages,
    describe,
    eventually,
    feed_ids,
    follow,
    get_page,
    ids,
    new_account,
    post_tweet,
)

# ---------------------------------------------------------------------------------------------
# POST /tweet, GET /tweets/{id}


def test_post_returns_the_tweet_and_get_returns_the_same(api: Server) -> None:
    author = new_account(api.client, "poster", display_name="The Poster")
    response = api.client.post("/tweet", json={"content": "first post!"}, headers=author.headers)
    assert response.status_code == 201, describe(response)
    assert response.headers["content-type"].startswith("application/json")
    tweet = response.json()
    assert_tweet(tweet)
    assert tweet["content"] == "first post!"
    assert tweet["in_reply_to"] is None
    assert tweet["author"] == {
        "id": author.id,
        "handle": author.handle,
        "display_name": "The Poster",
    }
    assert tweet["created_at"].endswith("Z")

    # Anyone logged in can read it, and reads give exactly what the post returned.
    reader = new_account(api.client, "reader")
    fetched = api.client.get(f"/tweets/{tweet['id']}", headers=reader.headers)
    assert fetched.status_code == 200, describe(fetched)
    assert fetched.json() == tweet


def test_tweet_ids_are_time_ordered(api: Server) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    posted = [post_tweet(api.client, user, f"post {n}") for n in range(3) for user in (alice, bob)]
    numbers = [int(tweet["id"]) for tweet in posted]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)


@pytest.mark.parametrize(
    "content",
    [
        "a",
        "a" * 280,
        "\U0001f426" * 280,  # 280 code points outside the BMP
        "line one\nline two\n\nline four",
        "caf\u00e9 \u65e5\u672c\u8a9e \u0645\u0631\u062d\u0628\u0627",
    ],
    ids=["1-char", "280-ascii", "280-emoji", "newlines", "non-latin"],
)
def test_post_accepts_valid_content(api: Server, content: str) -> None:
    author = new_account(api.client, "valid")
    tweet = post_tweet(api.client, author, content)
    assert tweet["content"] == content
    fetched = api.client.get(f"/tweets/{tweet['id']}", headers=author.headers)
    assert fetched.json()["content"] == content


def test_content_length_is_counted_after_nfc_normalisation(api: Server) -> None:
    author = new_account(api.client, "nfc")
    # "e" + COMBINING ACUTE ACCENT composes to one character: 560 code points, 280 after NFC.
    decomposed = "e\u0301" * 280
    assert len(decomposed) == 560
    tweet = post_tweet(api.client, author, decomposed)
    assert unicodedata.normalize("NFC", tweet["content"]) == "\u00e9" * 280

    # 281 of them is one too many.
    too_long = api.client.post("/tweet", json={"content": "e\u0301" * 281}, headers=author.headers)
    assert_error(too_long, 422, "invalid_content")

    # "q" + COMBINING ACUTE ACCENT has no precomposed form: it stays 2 characters after NFC.
    ok = post_tweet(api.client, author, "q\u0301" * 140)
    assert unicodedata.normalize("NFC", ok["content"]) == "q\u0301" * 140
    over = api.client.post("/tweet", json={"content": "q\u0301" * 141}, headers=author.headers)
    assert_error(over, 422, "invalid_content")


@pytest.mark.parametrize(
    "content",
    [
        "",
        " ",
        "   \n  \n ",
        "\u3000\u2003",  # ideographic space, em space
        "a" * 281,
        "\U0001f426" * 281,
        "nul\x00byte",
        "bell\x07",
        "tab\there",
        "carriage\rreturn",
        "escape\x1b[31m",
        "delete\x7f",
        "c1 control\x85",
        "a" * 60_000,  # under the 64 KiB body limit, over the length limit
    ],
    ids=[
        "empty",
        "space",
        "whitespace-newlines",
        "unicode-whitespace",
        "281-ascii",
        "281-emoji",
        "nul",
        "bell",
        "tab",
        "cr",
        "escape",
        "del",
        "c1-nel",
        "60000-chars",
    ],
)
def test_post_rejects_invalid_content(api: Server, content: str) -> None:
    author = new_account(api.client, "invalid")
    response = api.client.post("/tweet", json={"content": content}, headers=author.headers)
    assert_error(response, 422, "invalid_content")
    # Nothing was stored.
    assert get_page(api.client, f"/users/{author.handle}/tweets", author)["items"] == []
    assert feed_ids(api.client, author) == []


@pytest.mark.parametrize(
    "body",
    [
        {"content": "hello", "author_id": "1"},
        {"content": "hello", "id": "1"},
        {"content": 42},
        {"content": None},
        {"content": ["hello"]},
        {"content": "hello", "in_reply_to": {"id": "1"}},
        {},
        ["hello"],
    ],
    ids=[
        "unknown-field",
        "id-field",
        "content-int",
        "content-null",
        "content-list",
        "in-reply-to-object",
        "empty-object",
        "array",
    ],
)
def test_post_rejects_malformed_bodies(api: Server, body: object) -> None:
    author = new_account(api.client, "malformed")
    response = api.client.post("/tweet", json=body, headers=author.headers)
    if body == {}:
        # A missing content is a malformed request; invalid_content is accepted too.
        assert_error(response, 422, {"invalid_request", "invalid_content"})
    else:
        assert_error(response, 422, "invalid_request")
    assert get_page(api.client, f"/users/{author.handle}/tweets", author)["items"] == []


def test_post_rejects_bodies_over_64_kib(api: Server) -> None:
    author = new_account(api.client, "huge")
    response = api.client.post("/tweet", json={"content": "a" * 70_000}, headers=author.headers)
    assert_error(response, 413, "payload_too_large")
    big = api.client.post("/tweet", json={"content": "b" * 1_000_000}, headers=author.headers)
    assert_error(big, 413, "payload_too_large")
    # The server is fine afterwards, and nothing was stored.
    assert get_page(api.client, f"/users/{author.handle}/tweets", author)["items"] == []
    post_tweet(api.client, author, "small again")


def test_get_unknown_tweet_is_not_found(api: Server) -> None:
    reader = new_account(api.client, "reader")
    tweet = post_tweet(api.client, reader)
    missing = str(int(tweet["id"]) + 1_000_000)
    assert_error(api.client.get(f"/tweets/{missing}", headers=reader.headers), 404, "not_found")
    assert_error(api.client.get("/tweets/1", headers=reader.headers), 404, "not_found")


@pytest.mark.parametrize("tweet_id", ["abc", "12abc", "-5", "1.5", "99999999999999999999999"])
def test_get_non_numeric_or_out_of_range_tweet_id(api: Server, tweet_id: str) -> None:
    reader = new_account(api.client, "reader")
    response = api.client.get(f"/tweets/{tweet_id}", headers=reader.headers)
    assert response.status_code in (404, 422), describe(response)
    code = assert_error_shape(response, response.status_code)
    assert code in ("not_found", "invalid_request"), describe(response)


# ---------------------------------------------------------------------------------------------
# Replies


def test_reply_refers_to_its_parent(api: Server) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")
    parent = post_tweet(api.client, alice, "what do you think?")
    reply = post_tweet(api.client, bob, "I agree", in_reply_to=parent["id"])
    assert reply["in_reply_to"] == parent["id"]
    assert reply["author"]["id"] == bob.id
    assert int(reply["id"]) > int(parent["id"])
    fetched = api.client.get(f"/tweets/{reply['id']}", headers=alice.headers).json()
    assert fetched["in_reply_to"] == parent["id"]
    # A reply to a reply.
    nested = post_tweet(api.client, alice, "thanks", in_reply_to=reply["id"])
    assert nested["in_reply_to"] == reply["id"]


def test_reply_to_unknown_tweet_is_not_found(api: Server) -> None:
    author = new_account(api.client, "replier")
    own = post_tweet(api.client, author)
    missing = str(int(own["id"]) + 1_000_000)
    response = api.client.post(
        "/tweet", json={"content": "hello?", "in_reply_to": missing}, headers=author.headers
    )
    assert_error(response, 404, "not_found")
    assert ids(get_page(api.client, f"/users/{author.handle}/tweets", author)["items"]) == [
        own["id"]
    ]


def test_reply_to_deleted_tweet_is_not_found(api: Server) -> None:
    author = new_account(api.client, "replier")
    gone = post_tweet(api.client, author)
    assert api.client.delete(f"/tweets/{gone['id']}", headers=author.headers).status_code == 204
    response = api.client.post(
        "/tweet", json={"content": "hello?", "in_reply_to": gone["id"]}, headers=author.headers
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("in_reply_to", ["abc", "99999999999999999999999"])
def test_reply_to_malformed_id_is_rejected(api: Server, in_reply_to: str) -> None:
    author = new_account(api.client, "replier")
    response = api.client.post(
        "/tweet", json={"content": "hello?", "in_reply_to": in_reply_to}, headers=author.headers
    )
    assert response.status_code in (404, 422), describe(response)
    code = assert_error_shape(response, response.status_code)
    assert code in ("not_found", "invalid_request"), describe(response)
    assert get_page(api.client, f"/users/{author.handle}/tweets", author)["items"] == []


# ---------------------------------------------------------------------------------------------
# DELETE /tweets/{id}


def test_only_the_author_can_delete(api: Server) -> None:
    author = new_account(api.client, "author")
    other = new_account(api.client, "other")
    tweet = post_tweet(api.client, author, "mine")

    refused = api.client.delete(f"/tweets/{tweet['id']}", headers=other.headers)
    assert_error(refused, 403, "forbidden")
    still = api.client.get(f"/tweets/{tweet['id']}", headers=other.headers)
    assert still.status_code == 200, describe(still)

    deleted = api.client.delete(f"/tweets/{tweet['id']}", headers=author.headers)
    assert deleted.status_code == 204, describe(deleted)
    assert deleted.content == b""
    for viewer in (author, other):
        gone = api.client.get(f"/tweets/{tweet['id']}", headers=viewer.headers)
        assert_error(gone, 404, "not_found")
    # Deleting it again: it is not there any more.
    again = api.client.delete(f"/tweets/{tweet['id']}", headers=author.headers)
    assert_error(again, 404, "not_found")


def test_delete_unknown_tweet_is_not_found(api: Server) -> None:
    author = new_account(api.client, "deleter")
    tweet = post_tweet(api.client, author)
    missing = str(int(tweet["id"]) + 1_000_000)
    assert_error(api.client.delete(f"/tweets/{missing}", headers=author.headers), 404, "not_found")


def test_deleted_tweet_disappears_from_every_feed_and_timeline(api: Server) -> None:
    author = new_account(api.client, "author")
    followers = [new_account(api.client, "fan") for _ in range(2)]
    for fan in followers:
        follow(api.client, fan, author.handle)
    keep = post_tweet(api.client, author, "keep me")
    drop = post_tweet(api.client, author, "delete me")
    later = post_tweet(api.client, author, "posted after")

    def fanned_out() -> None:
        for fan in followers:
            assert feed_ids(api.client, fan) == [later["id"], drop["id"], keep["id"]]

    eventually(fanned_out)

    assert api.client.delete(f"/tweets/{drop['id']}", headers=author.headers).status_code == 204
    # Gone at once from the author's feed and timeline and from the followers' feeds.
    assert feed_ids(api.client, author) == [later["id"], keep["id"]]
    timeline = get_page(api.client, f"/users/{author.handle}/tweets", author)["items"]
    assert ids(timeline) == [later["id"], keep["id"]]
    for fan in followers:
        assert feed_ids(api.client, fan) == [later["id"], keep["id"]]
    # Paging does not trip over the hole either.
    pages = collect_pages(api.client, "/feed", followers[0], limit=1)
    assert [item["id"] for page in pages for item in page] == [later["id"], keep["id"]]


def test_tweet_deleted_before_fanout_never_reaches_followers(api: Server) -> None:
    author = new_account(api.client, "quick")
    fan = new_account(api.client, "fan")
    follow(api.client, fan, author.handle)
    doomed = post_tweet(api.client, author, "oops")
    assert api.client.delete(f"/tweets/{doomed['id']}", headers=author.headers).status_code == 204
    marker = post_tweet(api.client, author, "the real one")
    # Once the later post has arrived, give any straggling fanout a moment more.
    eventually(lambda: _assert_contains(feed_ids(api.client, fan), marker["id"]))
    time.sleep(0.7)
    assert feed_ids(api.client, fan) == [marker["id"]]


def _assert_contains(values: list[str], value: str) -> None:
    assert value in values, values


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


# ---------------------------------------------------------------------------------------------
# GET /users/{handle}/tweets


def test_user_timeline_holds_only_their_own_posts_newest_first(api: Server) -> None:
    bob = new_account(api.client, "bob")
    carol = new_account(api.client, "carol")
    follow(api.client, bob, carol.handle)
    bobs = []
    for n in range(3):
        bobs.append(post_tweet(api.client, bob, f"bob {n}"))
        post_tweet(api.client, carol, f"carol {n}")
    # Wait until carol's posts are in bob's feed, so they had every chance to leak.
    eventually(lambda: _assert_equal(len(feed_ids(api.client, bob)), 6))

    reader = new_account(api.client, "reader")
    body = get_page(api.client, f"/users/{bob.handle}/tweets", reader)
    assert body["next_cursor"] is None
    for item in body["items"]:
        assert_tweet(item)
    assert_newest_first(body["items"])
    assert body["items"] == list(reversed(bobs))
    # Handle lookup ignores case here too.
    upper = get_page(api.client, f"/users/{bob.handle.upper()}/tweets", reader)
    assert upper["items"] == body["items"]


def test_user_timeline_pages(api: Server) -> None:
    author = new_account(api.client, "pager")
    posted = [post_tweet(api.client, author, f"n{n}") for n in range(6)]
    newest_first = list(reversed(ids(posted)))

    pages = collect_pages(api.client, f"/users/{author.handle}/tweets", author, limit=4)
    assert [ids(page) for page in pages] == [newest_first[:4], newest_first[4:]]

    # A last page that is exactly full still ends the listing.
    pages = collect_pages(api.client, f"/users/{author.handle}/tweets", author, limit=3)
    assert [ids(page) for page in pages] == [newest_first[:3], newest_first[3:]]
    pages = collect_pages(api.client, f"/users/{author.handle}/tweets", author, limit=6)
    assert [ids(page) for page in pages] == [newest_first]


def test_user_timeline_of_user_without_posts_is_empty(api: Server) -> None:
    quiet = new_account(api.client, "quiet")
    body = get_page(api.client, f"/users/{quiet.handle}/tweets", quiet)
    assert body == {"items": [], "next_cursor": None}

"""Events survive a crash: what the API accepted is delivered once the consumers run again.

`roost serve --no-consumers` serves the API without the in-process event consumers, so a fanout
or backfill it records stays pending; after a kill -9, a normal server on the same database must
deliver it, exactly once.
"""

from __future__ import annotations

import signal
import time

import httpx

from .support import (
    Account,
    ServerFactory,
    eventually,
    feed_ids,
    follow,
    get_page,
    get_user,
    ids,
    login,
    new_account,
    post_tweet,
)


def _relogin(client: httpx.Client, account: Account) -> Account:
    """The same user with a fresh session on another server."""
    return Account(user=account.user, token=login(client, account.handle))


def test_pending_fanout_is_delivered_after_kill_9(
    start_server: ServerFactory, database_url: str
) -> None:
    first = start_server(database_url, "--no-consumers")
    alice = new_account(first.client, "alice")
    bob = new_account(first.client, "bob")
    before = post_tweet(first.client, bob, "posted before the follow")
    follow(first.client, alice, bob.handle)
    after = post_tweet(first.client, bob, "posted after the follow")
    own = post_tweet(first.client, alice, "alice's own")

    # The API itself works: the follow is recorded, own posts are in own feeds at once.
    assert get_user(first.client, alice, bob.handle)["followers_count"] == 1
    assert get_user(first.client, alice, alice.handle)["following_count"] == 1
    assert feed_ids(first.client, bob) == [after["id"], before["id"]]
    assert feed_ids(first.client, alice) == [own["id"]]
    timeline = get_page(first.client, f"/users/{bob.handle}/tweets", alice)["items"]
    assert ids(timeline) == [after["id"], before["id"]]

    # But without consumers neither the backfill nor the fanout has run.
    time.sleep(1.0)  # a running fanout would have delivered by now
    assert feed_ids(first.client, alice) == [own["id"]]

    first.kill()
    assert first.process is not None
    assert first.process.returncode == -signal.SIGKILL

    second = start_server(database_url)
    alice2 = _relogin(second.client, alice)
    expected = [own["id"], after["id"], before["id"]]
    eventually(lambda: _assert_equal(feed_ids(second.client, alice2), expected), timeout=10.0)
    # And it stays exactly once (no late duplicate from the backfill and the fanout both
    # delivering `after`).
    time.sleep(0.5)
    assert feed_ids(second.client, alice2) == expected
    items = get_page(second.client, "/feed", alice2)["items"]
    assert items[1] == after
    # The data written before the crash is all there.
    assert get_user(second.client, alice2, bob.handle)["followers_count"] == 1
    bob2 = _relogin(second.client, bob)
    assert feed_ids(second.client, bob2) == [after["id"], before["id"]]


def test_kill_9_in_the_middle_of_fanout_loses_and_duplicates_nothing(
    start_server: ServerFactory, database_url: str
) -> None:
    first = start_server(database_url)
    author = new_account(first.client, "author")
    fans = [new_account(first.client, "fan") for _ in range(4)]
    for fan in fans:
        follow(first.client, fan, author.handle)
    posts = [post_tweet(first.client, author, f"burst {n}") for n in range(6)]
    first.kill()  # wherever the consumers were, they stop now

    second = start_server(database_url)
    expected = list(reversed(ids(posts)))
    fans2 = [_relogin(second.client, fan) for fan in fans]

    def delivered() -> None:
        for fan in fans2:
            assert feed_ids(second.client, fan) == expected

    eventually(delivered, timeout=10.0)
    time.sleep(0.5)
    delivered()

    # The restarted server keeps delivering new posts as usual.
    more = post_tweet(second.client, _relogin(second.client, author), "after the crash")
    eventually(lambda: _assert_equal(feed_ids(second.client, fans2[0])[0], more["id"]))


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected

"""The steady-state feed read in scaled mode: one Redis round trip, no SQL."""

from __future__ import annotations

from roost.bootstrap import Roost
from tests.integration.support import Consumers, RoundTrips


async def test_a_warm_feed_page_is_one_redis_call_and_no_sql(scaled: Roost) -> None:
    roost = scaled
    alice = await roost.accounts.register("alice", "correct horse", None)
    bob = await roost.accounts.register("bob", "correct horse", None)
    token, _ = await roost.accounts.log_in("alice", "correct horse")
    await roost.follows.follow(alice, "bob")
    for n in range(30):
        await roost.publishing.publish(bob, f"post {n}")
    await Consumers(roost).drain()
    caller = await roost.accounts.authenticate(token)
    await roost.home_feed.page(caller, None, 20)  # warms the tweet cache

    counter = RoundTrips(roost)

    caller = await roost.accounts.authenticate(token)
    page = await roost.home_feed.page(caller, None, 20)

    assert len(page.items) == 20
    assert counter.take() == ([], ["EVALSHA"])

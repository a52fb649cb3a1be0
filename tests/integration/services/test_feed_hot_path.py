"""The steady-state feed read in scaled mode: one Redis round trip, no SQL."""

from __future__ import annotations

from roost.bootstrap import Roost
from tests.integration.support import RoundTrips, reader_of_warm_feed


async def test_a_warm_feed_page_is_one_redis_call_and_no_sql(scaled: Roost) -> None:
    roost = scaled
    token = await reader_of_warm_feed(roost, posts=30, page=20)

    counter = RoundTrips(roost)

    caller = await roost.accounts.authenticate(token)
    page = await roost.home_feed.page(caller, None, 20)

    assert len(page.items) == 20
    assert counter.take() == ([], ["EVALSHA"])

"""The engagement splice works on the cached bytes; decoding the result must give the object."""

from datetime import UTC, datetime

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from roost.domain.tweets import Author, Counts, Flags, Tweet
from roost.services.views import origin_in, render_tweet, with_engagement, with_engagement_all

WHEN = datetime(2026, 11, 25, tzinfo=UTC)


def tweet(tweet_id: int, content: str, repost_of: Tweet | None = None) -> Tweet:
    return Tweet(tweet_id, Author(5, "bob", 'Bob "the" Builder'), content, WHEN, None, repost_of)


@given(st.text(max_size=50))
def test_splicing_gives_the_object_with_its_engagement(content: str) -> None:
    rendered = render_tweet(tweet(9, content))
    out = msgspec.json.decode(with_engagement(rendered, Counts(3, 2, 1), Flags(True, False)))
    assert out["content"] == content
    assert (out["like_count"], out["reply_count"], out["repost_count"]) == (3, 2, 1)
    assert (out["liked"], out["reposted"], out["repost_of"]) == (True, False, None)
    assert origin_in(9, rendered) == 9


@given(st.text(max_size=50))
def test_a_repost_shares_the_original_engagement(content: str) -> None:
    faked = f'","repost_of":{{"id":"66"}} {content}'  # content cannot fake the marker
    rendered = render_tweet(tweet(20, "", repost_of=tweet(10, faked)))
    out = msgspec.json.decode(with_engagement(rendered, Counts(1, 0, 4), Flags(False, True)))
    assert out["repost_of"]["content"] == faked
    for shown in (out, out["repost_of"]):
        assert (shown["like_count"], shown["repost_count"], shown["reposted"]) == (1, 4, True)
    assert origin_in(20, rendered) == 10


def test_splicing_a_page_splices_each_tweet() -> None:
    rendered = [render_tweet(tweet(i, f"post {i}")) for i in (1, 2, 3)]
    counts = [Counts(1, 0, 0), Counts(), Counts(1, 0, 0)]
    flags = [Flags(), Flags(True, True), Flags()]
    page = with_engagement_all(rendered, counts, flags)
    assert page == list(map(with_engagement, rendered, counts, flags))
    assert [msgspec.json.decode(body)["liked"] for body in page] == [False, True, False]

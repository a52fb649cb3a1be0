import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roost.domain.cursors import (
    MAX_SERVED,
    decode_cursor,
    decode_feed_cursor,
    encode_cursor,
    encode_feed_cursors,
)
from roost.domain.errors import InvalidCursor
from roost.domain.ids import MAX_ID


@given(st.integers(min_value=1, max_value=MAX_ID))
def test_cursors_round_trip(last_id: int) -> None:
    assert decode_cursor(encode_cursor(last_id)) == last_id


def test_no_cursor_starts_from_the_newest() -> None:
    assert decode_cursor(None) == MAX_ID


@pytest.mark.parametrize(
    "cursor", ["", "zz", "!!!!", "AAAAAAAAAAA", "AAAAAAAAAAAAAAAA", "////////"]
)
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


@given(st.integers(min_value=1, max_value=MAX_ID), st.integers(min_value=0, max_value=MAX_SERVED))
def test_feed_cursors_round_trip_one_by_one_and_by_page(last_id: int, served: int) -> None:
    cursor = encode_cursor(last_id, served)
    assert decode_feed_cursor(cursor) == (last_id, served)
    assert encode_feed_cursors([last_id, last_id], [served, served]) == [cursor, cursor]


def test_feed_cursors_given_out_before_still_decode() -> None:
    """8 bytes of id and 2 of count, as cursors were written until 12-byte ones."""
    raw = (2**62 + 5).to_bytes(8, "big") + (42).to_bytes(2, "big")
    assert decode_feed_cursor(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == (2**62 + 5, 42)


def test_the_count_a_feed_cursor_carries_is_capped() -> None:
    assert decode_feed_cursor(encode_cursor(7, MAX_SERVED + 10)) == (7, MAX_SERVED)

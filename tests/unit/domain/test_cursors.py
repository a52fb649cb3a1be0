import pytest
from hypothesis import given
from hypothesis import strategies as st

from roost.domain.cursors import decode_cursor, encode_cursor
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

"""Decoding a page's flags with the hash's ``since``: each path gives what the mark says."""

import pytest

from roost.adapters.redis.engagement import decoded_flags
from roost.domain.tweets import Flags

NEITHER, LIKED = Flags(False, False), Flags(True, False)


@pytest.mark.parametrize(
    ("origins", "found", "expected"),
    [
        ([5, 6], [None, b"10", None], [None, LIKED]),  # no mark: a missing field is not known
        ([5, 6], [None, b"10", b"5"], [NEITHER, LIKED]),  # all covered
        ([5, 6, 3], [None, b"10", None, b"5"], [NEITHER, LIKED, None]),  # the extra entry
        ([5, 3, 9], [None, None, b"1?", b"4"], [NEITHER, None, LIKED]),  # mixed; covered "?" is "0"
        ([5, 3], [b"1?", b"1?", b"4"], [LIKED, None]),  # "?" is not known before the mark
        ([], [], []),
    ],
)
def test_a_missing_field_is_neither_only_where_the_mark_covers_it(
    origins: list[int], found: list[bytes | None], expected: list[Flags | None]
) -> None:
    assert decoded_flags(origins, found) == expected

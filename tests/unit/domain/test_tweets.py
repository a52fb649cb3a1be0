import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roost.domain.errors import InvalidContent
from roost.domain.tweets import normalise_content


def test_content_is_counted_after_nfc() -> None:
    decomposed = "e\u0301" * 280  # 560 code points, 280 characters once composed
    assert normalise_content(decomposed, 280) == "\u00e9" * 280


@pytest.mark.parametrize(
    "content",
    ["", "   ", "\n\t", "a" * 281, "bell\x07", "nul\x00", "esc\x1b[31m", "del\x7f", "c1\x85"],
)
def test_bad_content_is_refused(content: str) -> None:
    with pytest.raises(InvalidContent):
        normalise_content(content, 280)


def test_newlines_and_emoji_with_joiners_are_kept() -> None:
    text = "line one\nline two 👩\u200d💻"
    assert normalise_content(text, 280) == text


@given(st.text(min_size=1, max_size=400))
def test_accepted_content_obeys_every_rule(content: str) -> None:
    try:
        stored = normalise_content(content, 280)
    except InvalidContent:
        return
    assert stored == unicodedata.normalize("NFC", stored)
    assert 1 <= len(stored) <= 280
    assert stored.strip()
    assert all(ch == "\n" or unicodedata.category(ch) not in {"Cc", "Cs"} for ch in stored)
